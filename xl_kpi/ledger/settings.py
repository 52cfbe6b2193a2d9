"""Read options: the command line's flags, or the workbook's Settings table for the ribbon (which has no command line).

The ledger template ships a small Excel Table ``Settings`` (columns
Setting, Value, What it does). Each row is one registered :class:`Setting`;
a blank value means the default. A command-line flag overrides the row, and
a refresh that used a row says so.

================================  =========================  ==========================================
Setting                           Values                     What it does
================================  =========================  ==========================================
As-of month                       YYYY-MM                    the last month reported (default: a
                                                             ledger's last month with a row; a
                                                             subscription list's current month)
Date order                        day first / month first    how numeric text dates (05/01/2024) read
                                                             (default: decided by a day above 12)
Input table                       Ledger / Subscriptions     the table to read when both hold data
Duplicate rows                    keep / drop                exact duplicate rows added up, or dropped
Merge ids differing in case       no / yes                   "d" and "D" one customer, or two
Fiscal year start                 1-12 or a month name       the fiscal year's first month, for the
                                                             report's quarters and years (default 1:
                                                             calendar)
================================  =========================  ==========================================

The source rows (Ledger source, Source table, Source query, Source columns,
Amount unit, FX rates, Currency) are read by
:mod:`xl_kpi.refresh.source_settings`.

Other engineers' settings (a segment column, a source) are one
:func:`register_setting` each.

>>> opts, used = resolve({"As-of month": "2024-06", "Date order": "Day first"}, {"as_of": None})
>>> opts["as_of"], opts["dayfirst"], used
('2024-06', True, ['Settings table: As-of month = 2024-06', 'Settings table: Date order = Day first'])
>>> resolve({"As-of month": "2024-06"}, {"as_of": "2024-03"})[0]["as_of"]   # a flag wins
'2024-03'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from xl_kpi.cells import is_blank
from xl_kpi.ledger.validation import LedgerError

__all__ = ["Setting", "SETTINGS", "SETTINGS_TABLE", "SETTINGS_HEADERS", "register_setting", "parse_settings",
           "resolve"]

SETTINGS_TABLE = "Settings"
SETTINGS_HEADERS = ("Setting", "Value", "What it does")


@dataclass(frozen=True)
class Setting:
    """One row of the Settings table: its label, the option key it sets, how a value is read, and help."""

    label: str
    key: str
    parse: Callable[[Any], Any]
    values: str
    help: str
    example: str = ""


def _month(value: Any) -> str:
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{1,2}(-\d{1,2})?", text):
        raise ValueError("a month as YYYY-MM")
    return text


def _order(value: Any) -> bool:
    text = " ".join(str(value).lower().replace("-", " ").split())
    if text in ("day first", "dd/mm", "dd/mm/yyyy", "day"):
        return True
    if text in ("month first", "mm/dd", "mm/dd/yyyy", "month"):
        return False
    raise ValueError("'day first' or 'month first'")


def _choice(*words: str) -> Callable[[Any], bool]:
    yes, no = words

    def parse(value: Any) -> bool:
        text = str(value).strip().lower()
        if isinstance(value, bool):
            return value
        if text in (yes, "yes", "true", "1"):
            return True
        if text in (no, "no", "false", "0"):
            return False
        raise ValueError(f"{yes!r} or {no!r}")

    return parse


def _text(value: Any) -> str:
    return str(value).strip()


#: The registry: label (lower case) -> setting, in the table's order.
SETTINGS: dict[str, Setting] = {}


def register_setting(setting: Setting) -> Setting:
    SETTINGS[setting.label.lower()] = setting
    return setting


register_setting(Setting("As-of month", "as_of", _month, "YYYY-MM",
                         "The last month reported. Blank: a ledger's last month with any row; a subscription "
                         "list's current month.", "2024-06"))
register_setting(Setting("Date order", "dayfirst", _order, "day first / month first",
                         "How numeric text dates such as 05/01/2024 are read. Blank: a date whose first number "
                         "is above 12 decides; when none does, the refresh asks."))
register_setting(Setting("Input table", "input", _text, "Ledger / Subscriptions (a source: also stripe / "
                         "baremetrics)", "The table to read when more than one input table holds data; with a "
                         "Ledger source below, what its columns mean (ledger, subscriptions, stripe, baremetrics)."))
register_setting(Setting("Duplicate rows", "drop_duplicates", _choice("drop", "keep"), "keep / drop",
                         "Exact duplicate rows (same customer, month and MRR): keep (added up, and reported) "
                         "or drop."))
register_setting(Setting("Merge ids differing in case", "merge_case", _choice("yes", "no"), "no / yes",
                         "yes: customer ids that differ only in upper/lower case (d, D) are one customer."))


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")


def fiscal_month(value: Any) -> int:
    """A fiscal year's first month: a whole number 1 to 12 (4, 4.0, "4") or a month's name ("April", "apr").

    The value :func:`xl_kpi.ledger.rollup` takes as ``fiscal_year_start``.

    >>> fiscal_month(4.0), fiscal_month(" 10 "), fiscal_month("April"), fiscal_month("Sept")
    (4, 10, 4, 9)
    """
    if isinstance(value, bool):
        raise ValueError("a month number 1 to 12 or a month name")
    text = str(value).strip().lower().rstrip(".")
    try:
        number = float(text)
    except ValueError:
        matches = [i + 1 for i, name in enumerate(_MONTH_NAMES) if len(text) >= 3 and name.startswith(text)]
        if len(matches) != 1:
            raise ValueError("a month number 1 to 12 or a month name") from None
        return matches[0]
    if not (number.is_integer() and 1 <= number <= 12):
        raise ValueError("a month number 1 to 12 or a month name")
    return int(number)


register_setting(Setting("Fiscal year start", "fiscal_year_start", fiscal_month, "1-12 or a month name",
                         "The first month of the fiscal year, for the report's quarters and years (4 or April: "
                         "April - June 2024 is FY2025-Q1). Blank: 1, calendar quarters and years.", "April"))


def _unit(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("units", "cents"):
        raise ValueError("'units' or 'cents'")
    return text


# Where the ledger lives, for the ribbon (no --ledger): xl_kpi/refresh/source_settings.py reads these rows.
register_setting(Setting("Ledger source", "ledger", _text, "a file path",
                         "Read the ledger from this CSV, Parquet, DuckDB or SQLite file or other workbook instead "
                         "of this workbook's tables (a relative path is relative to this workbook's folder). "
                         "Blank: this workbook's Ledger or Subscriptions table.", "ledger.csv"))
register_setting(Setting("Source table", "table", _text, "a table name",
                         "With a Ledger source: the database table or view (or other workbook's Excel Table) "
                         "to read."))
register_setting(Setting("Source query", "query", _text, "SELECT ...",
                         "With a Ledger source that is a database: a SELECT whose result is the input."))
register_setting(Setting("Source columns", "columns", _text, "customer=Account,month=Date,mrr=Amount",
                         "With a Ledger source: the source's names for the format's columns."))
register_setting(Setting("Amount unit", "amount_unit", _unit, "units / cents",
                         "Billing exports: what the amounts count (blank: Stripe units, Baremetrics cents)."))
register_setting(Setting("FX rates", "fx", _text, "a file path",
                         "Billing exports in several currencies: a table with columns currency, rate (the value "
                         "of 1 unit in the reporting currency), relative to this workbook's folder."))
register_setting(Setting("Currency", "currency", _text, "a currency code",
                         "Billing exports: keep this currency and skip the others."))


def parse_settings(rows, first_row: int = 2, sheet: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The (Setting, Value) rows of a Settings table -> ({label: raw value}, [warnings for unknown labels])."""
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for i, row in enumerate(rows):
        label, value = (list(row) + [None, None])[:2]
        if is_blank(label):
            continue
        key = " ".join(str(label).split()).lower()
        setting = SETTINGS.get(key)
        if setting is None:
            unknown.append(f"Settings table row {first_row + i}: {str(label).strip()!r} is not a setting "
                           f"(known: {', '.join(s.label for s in SETTINGS.values())}); ignored")
            continue
        if not is_blank(value):
            values[setting.label] = (value, first_row + i)
    return {k: v for k, v in values.items()}, unknown


def resolve(settings: dict[str, Any], flags: dict[str, Any], sheet: str | None = None
            ) -> tuple[dict[str, Any], list[str]]:
    """Options from the Settings table's values overridden by the flags that were given (not None).

    ``settings``: label -> value or (value, row). Returns (options by key,
    the lines saying which settings were used). A value that cannot be read
    raises :class:`LedgerError` naming the row.
    """
    options = {s.key: None for s in SETTINGS.values()}
    used: list[str] = []
    for label, raw in settings.items():
        value, row = raw if isinstance(raw, tuple) else (raw, None)
        setting = SETTINGS[label.lower()]
        if flags.get(setting.key) is not None:
            continue
        try:
            options[setting.key] = setting.parse(value)
        except ValueError as exc:
            where = f"Sheet {sheet!r}, row {row}" if sheet and row else "The Settings table"
            raise LedgerError(f"{where}, setting {setting.label!r}: {value!r} is not {exc} ({setting.values})",
                              row=row, column="Value", sheet=sheet, value=value) from None
        used.append(f"Settings table: {setting.label} = {value}")
    for key, value in flags.items():
        if value is not None:
            options[key] = value
    return options, used
