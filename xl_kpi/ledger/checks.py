"""Data checks: what reading a ledger noticed that may make a number wrong, without refusing it.

A refusal (:class:`~xl_kpi.ledger.LedgerError`) stops at the first bad row;
a *check* lets the computation go on but is reported everywhere the numbers
are: printed one line each by the command line (``--strict`` turns them into
a refusal), written as the "Data checks" block of the report, and available
in Python as ``prepare_ledger(df).checks``.

Each :class:`Check` has a short ``name``, a ``count`` of the rows (or ids,
or months) concerned, a few ``examples`` with sheet and row, and the one
line a user reads. ``notes`` are facts about how the data was read (the date
order found, a setting used) that are not warnings; ``figure_notes`` are words
on figures that stand as defined but surprise (a quarter's churn rate above
100 %), not warnings either.

>>> checks = DataChecks()
>>> checks.add("duplicate rows", 2, ["row 5", "row 9"], "2 exact duplicate rows (same customer, month and MRR)",
...            "they are added up")
>>> checks.lines()
['2 exact duplicate rows (same customer, month and MRR): row 5, row 9; they are added up']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator
from xl_kpi.words import counted

__all__ = ["Check", "DataChecks", "EXAMPLES", "add_duplicate_rows", "add_near_duplicate_ids",
           "add_months_without_customers"]

#: How many examples a check keeps.
EXAMPLES = 3


@dataclass(frozen=True)
class Check:
    """One data check: its name, how many rows/ids/months, a few examples and the advice."""

    name: str
    count: int
    examples: tuple[str, ...]
    summary: str
    advice: str = ""

    def line(self) -> str:
        """The check as one line: summary, examples, advice."""
        text = self.summary
        if self.examples:
            more = f" and {self.count - len(self.examples):,} more" if self.count > len(self.examples) else ""
            text += ": " + ", ".join(self.examples) + more
        return f"{text}; {self.advice}" if self.advice else text


@dataclass
class DataChecks:
    """The checks of one read of a ledger, in the order found, and the notes."""

    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figure_notes: list[str] = field(default_factory=list)

    def add(self, name: str, count: int, examples, summary: str, advice: str = "", *, note: bool = False) -> None:
        """Add a check: its ``count``, its first :data:`EXAMPLES` examples, the summary and the advice.

        ``note=True`` records the same line as a note instead (a fact about how the data was read, such
        as a billing export's trials skipped by design): listed and printed, but not a warning, so
        ``--strict`` does not refuse it.

        >>> c = DataChecks(); c.add("rows skipped (trial)", 1, ["line 7"], "1 row skipped (trial)", "no MRR", note=True)
        >>> c.checks, c.notes
        ([], ['1 row skipped (trial): line 7; no MRR'])
        """
        check = Check(name, int(count), tuple(list(examples)[:EXAMPLES]), summary, advice)
        if note:
            self.note(check.line())
        else:
            self.checks.append(check)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def figure_note(self, text: str) -> None:
        """A word on a figure shown (not on how the data was read): printed and listed, never a warning.

        >>> c = DataChecks(); c.figure_note("Note: 2024-Q2: customer churn rate 350.0% above 100%."); bool(c)
        False
        """
        if text not in self.figure_notes:
            self.figure_notes.append(text)

    def extend(self, other: "DataChecks") -> None:
        self.checks.extend(other.checks)
        for n in other.notes:
            self.note(n)
        for n in other.figure_notes:
            self.figure_note(n)

    def __iter__(self) -> Iterator[Check]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def __bool__(self) -> bool:
        return bool(self.checks)

    def names(self) -> list[str]:
        return [c.name for c in self.checks]

    def lines(self) -> list[str]:
        """One line per check (what the command line prints as warnings)."""
        return [c.line() for c in self.checks]


def add_duplicate_rows(checks: DataChecks, count: int, examples, dropped: bool = False) -> None:
    """The exact-duplicate-rows check (same customer, month and MRR), one wording for every engine.

    >>> c = DataChecks(); add_duplicate_rows(c, 2, ["row 5", "row 9"]); c.lines()
    ["2 exact duplicate rows (same customer, month and MRR): row 5, row 9; they are added up; set 'Duplicate rows' to 'drop' if they were pasted twice"]
    """
    advice = "dropped (setting)" if dropped else \
        "they are added up; set 'Duplicate rows' to 'drop' if they were pasted twice"
    checks.add("duplicate rows", int(count), examples,
               f"{counted(count, 'exact duplicate row')} (same customer, month and MRR)", advice)


def add_near_duplicate_ids(checks: DataChecks, count: int, examples, merge_case: bool = False) -> None:
    """The near-duplicate-ids check (ids differing only in case or leading zeros), one wording for every engine.

    ``examples``: a group each (``"'d' (row 5) / 'D' (row 9)"``).

    >>> c = DataChecks(); add_near_duplicate_ids(c, 1, ["'d' (row 5) / 'D' (row 9)"]); c.lines()
    ["1 group of customer ids that differ only in case or leading zeros: 'd' (row 5) / 'D' (row 9); counted as different customers; make them one id (the Settings table's 'Merge ids differing in case' merges case)"]
    """
    advice = "counted as different customers; make them one id" + \
        ("" if merge_case else " (the Settings table's 'Merge ids differing in case' merges case)")
    checks.add("near-duplicate ids", int(count), examples,
               f"{counted(count, 'group', 'groups')} of customer ids that differ only in case or leading zeros", advice)


def add_months_without_customers(checks: DataChecks, months) -> None:
    """Months with no active customer between active months (``months``: their labels), one wording for every engine.

    >>> c = DataChecks(); add_months_without_customers(c, ["Mar 2024"]); c.lines()
    ['1 month with no active customer between active months: Mar 2024; is data missing for them?']
    """
    months = list(months)
    checks.add("months without customers", len(months), months,
               f"{counted(len(months), 'month')} with no active customer between active months", "is data missing for them?")
