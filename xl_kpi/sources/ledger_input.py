"""A ledger from outside the workbook: a source (where) read through an input format (what).

:class:`ExternalLedgerSource` is the refresh pipeline's ``TableSource`` for
``xl-kpi refresh BOOK --ledger SOURCE``: it opens the source
(:func:`xl_kpi.sources.open_source`), renames mapped columns
(``--columns``), and hands the pipeline a :class:`~xl_kpi.ledger.raw.RawTable`
as a workbook's own table would, so the same input format
(:mod:`xl_kpi.ledger.formats`: ledger, subscriptions, stripe, baremetrics)
converts it and the same checks run.

Messages name the source's file, its line or row and the user's column:
the pipeline reports positions, :meth:`ExternalLedgerSource.relocate` turns
them into ``ledger.csv: line 12, column 'Amount': ...``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from xl_kpi.errors import UserError
from xl_kpi.ledger.raw import RawTable
from xl_kpi.ledger.validation import LedgerError, parse_amounts, relocate
from xl_kpi.sources import SourceTable, open_source
from xl_kpi.sources.columns import ColumnMap, parse_columns

__all__ = ["ExternalLedgerSource", "SourceRawTable", "read_fx", "FIRST_ROW", "NOT_LARGE"]

#: Row number of the first data row the formats are told (the header is row 1);
#: :meth:`ExternalLedgerSource.relocate` maps it back to the source's own numbering.
FIRST_ROW = 2


def _roles(fmt) -> dict[str, str]:
    """Role -> header of an input format, the names ``--columns`` uses (customer, month, mrr ...)."""
    from xl_kpi.ledger import formats as f

    if fmt.name == "ledger":
        return {"customer": f.CUSTOMER, "month": f.MONTH, "mrr": f.MRR}
    if fmt.name == "subscriptions":
        return {"customer": f.CUSTOMER, "start": f.START, "end": f.END, "amount": f.AMOUNT, "billing": f.BILLING}
    from xl_kpi.ledger.baremetrics import BAREMETRICS_COLUMNS
    from xl_kpi.ledger.stripe import STRIPE_COLUMNS

    columns = {"stripe": STRIPE_COLUMNS, "baremetrics": BAREMETRICS_COLUMNS}.get(fmt.name, {})
    return {role: names[0] for role, names in columns.items()} or {h.lower(): h for h in fmt.headers}


#: :meth:`ExternalLedgerSource.large_analysis`'s answer for a source that is not a ledger too large for memory.
NOT_LARGE = object()

#: Options each kind of format's converter takes (the as-of month is a read option of every input, not
#: one of these: :func:`xl_kpi.refresh.pipeline.run` applies it to a ledger, a list and an export alike).
TABLE_OPTIONS: tuple[str, ...] = ()
EXPORT_OPTIONS = ("amount_unit", "fx", "currency")
#: Headers that give a Stripe / Baremetrics file away (for a hint when the format was not given).
_TELLTALE = {"stripe": {"customer id", "interval", "status", "current period end (utc)"},
             "baremetrics": {"plan_amount", "plan_interval", "customer_oid", "subscription_started_at"}}


@dataclass
class SourceRawTable(RawTable):
    """A :class:`RawTable` whose rows are named the source's way (a CSV's "line 12")."""

    located: SourceTable | None = None

    def row_label(self, row: int) -> str:
        if self.located is None:
            return super().row_label(row)
        if self.below_row is not None and row >= self.below_row and self.located.below_number is not None:
            return self.located.name(self.located.below_number + row - self.below_row)  # typed under the table
        return self.located.locate(row - self.first_row)


def _with_workbooks() -> None:
    """Register the workbook source (another workbook's table) before a source is opened: imported here,
    not with this module, which the command line's head start imports for a Parquet or DuckDB file."""
    from xl_kpi.refresh import workbook_source  # noqa: F401 - registers the workbook source


def read_fx(spec: Any) -> dict[str, float]:
    """An FX table (columns ``currency`` and ``rate``: the value of 1 unit in the reporting currency).

    Any source holds it (a CSV in practice).  Refuses a blank, repeated or
    non-positive rate, naming its line.
    """
    _with_workbooks()
    table = open_source(spec)
    frame = table.frame
    have = {" ".join(str(c).split()).lower(): c for c in frame.columns}
    for need in ("currency", "rate"):
        if need not in have:
            raise UserError(f"{table.label}: an FX table needs the columns currency and rate "
                            f"(its columns: {', '.join(repr(str(c)) for c in frame.columns)})")
    codes = frame[have["currency"]].astype(object).where(frame[have["currency"]].notna(), "")
    codes = codes.astype(str).str.strip().str.upper()
    rate, blank, bad = parse_amounts(frame[have["rate"]])
    out: dict[str, float] = {}
    for i, (code, r) in enumerate(zip(codes, rate)):
        where = f"{table.label}: {table.locate(i)}"
        if not code:
            raise UserError(f"{where}, column {str(have['currency'])!r}: the currency is blank")
        if blank[i] or bad[i] or not (r > 0):
            raise UserError(f"{where}, column {str(have['rate'])!r}: the rate for {code} must be a number > 0, "
                            f"got {frame[have['rate']].iloc[i]!r}")
        if code in out:
            raise UserError(f"{where}: a second rate for {code}")
        out[code] = float(r)
    return out


class ExternalLedgerSource:
    """A :class:`~xl_kpi.ledger.raw.TableSource` holding one table: the source's, read as one input format.

    Parameters
    ----------
    spec : path or table
        A CSV / Parquet / DuckDB / SQLite file, another workbook, or (from
        Python) a DataFrame, DuckDB relation or Arrow table.
    input : str, optional
        The input format (``ledger``, ``subscriptions``, ``stripe``,
        ``baremetrics``: :data:`xl_kpi.ledger.formats.FORMATS`); default: the
        format of a workbook table's name, else ``ledger``.
    table, query : str, optional
        For a database (``table`` also names a workbook's Excel Table).
    columns : str or dict, optional
        ``--columns``: role -> the source's column name.
    amount_unit, fx, currency :
        The format's options (billing exports: :mod:`xl_kpi.ledger.billing`);
        ``fx`` is a mapping or an FX table source (:func:`read_fx`).
    """

    def __init__(self, spec: Any, *, input: str | None = None, table: str | None = None,
                 query: str | None = None, columns: str | Mapping[str, str] | None = None, **options: Any):
        from xl_kpi.ledger.formats import FORMATS, get_format

        if input is not None and str(input).strip().lower() not in FORMATS:
            raise UserError(f"--input: {input!r} is not an input format (one of {', '.join(FORMATS)})")
        self.spec, self.table, self.query = spec, table, query
        self.format = get_format(input) if input is not None else None
        self.columns = parse_columns(columns)
        self.options = {k: v for k, v in options.items() if v is not None}
        self.label = str(spec) if isinstance(spec, (str, os.PathLike)) else "the table"
        self.source: SourceTable | None = None
        self.map: ColumnMap | None = None

    def _open(self) -> SourceTable:
        from xl_kpi.ledger.formats import LEDGER, format_for_table

        if self.source is None:
            _with_workbooks()
            self.source = open_source(self.spec, table=self.table, query=self.query)
            self.label = self.source.label
            if self.format is None:
                self.format = format_for_table(self.source.table or "") or LEDGER
        return self.source

    # ------------------------------------------------------------------ TableSource
    def table_names(self) -> list[str]:
        self._open()
        return [self.format.table]

    def read_table(self, name: str) -> RawTable:
        src, fmt = self._open(), self.format
        self.map = ColumnMap(_roles(fmt), self.columns)
        frame = self.map.apply(src.frame, src.label, fmt.name)
        if fmt.name in ("ledger", "subscriptions"):
            self._require(frame, fmt)
        below, below_row = [], None
        if src.below_number is not None:  # another workbook's table: the rows under it, as for the book's own
            below = [list(r) for r in src.below]  # --columns renames, in place: the same columns in order
            gap = src.below_number - (int(src.numbers[-1]) + 1 if len(src.frame) else src.below_number)
            below_row = FIRST_ROW + len(frame) + gap  # after its Total Row, if any (RawTable.has_total_row)
        return SourceRawTable([str(c) for c in frame.columns], frame.to_numpy(dtype=object).tolist(),
                              first_row=FIRST_ROW, source=src.label, sheet=src.sheet, table=src.table or "",
                              located=src, below=below, below_row=below_row)

    def analysis_in_place(self, read: Mapping[str, Any] | None = None, early=None):
        """The analysis computed where the data is, for a ledger too large for memory; else None.

        ``read``: the refresh's read options (:func:`xl_kpi.refresh.pipeline.read_options`: flags over
        the Settings table): the as-of month cuts the report as in memory; the date order changes
        nothing there (a date column is a date; text months are read as ISO or year-month text); merging ids that
        differ in case and dropping duplicate rows are not done in the database, so a refresh asking
        for them is refused, naming the setting, rather than reporting other numbers.

        A ledger-format Parquet file or DuckDB table of more than
        :data:`xl_kpi.engines.LARGE_ROWS` rows is not read into Python: the
        Ibis engine (:mod:`xl_kpi.engines`) runs the checks and the analyses
        in DuckDB, with the same numbers and the same kind of message for a
        bad row (naming the file, row and column). Any other source returns
        None and is read as usual.

        ``early``: the command line's head start
        (:class:`xl_kpi.refresh.source_head_start.SourceHeadStart`), whose
        answer is used when it computed exactly this (else it is dropped).
        """
        from xl_kpi import engines
        from xl_kpi.ledger.formats import LEDGER

        if (self.format is not None and self.format.name != "ledger") or not isinstance(self.spec, (str, os.PathLike)):
            if early is not None:
                early.close()
            return None
        read = dict(read or {})
        taken = None
        if early is not None and not self.options:  # (a billing export's options: its own read)
            taken = early.take(self.spec, self.table, self.query, self.columns, read.get("as_of"))
        elif early is not None:
            early.close()
        if taken is not None:
            if taken.not_large:
                return None
            table = None
        else:
            table = engines.large_table(self.spec, table=self.table, query=self.query)
            if table is None:
                return None
        self.format = LEDGER
        # a billing export's option given for a ledger is refused, as in memory, not left out unsaid
        self._refuse_other_options()
        for key, label, flag in (("merge_case", "Merge ids differing in case", "--merge-case"),
                                 ("drop_duplicates", "Duplicate rows", "--drop-duplicates")):
            if read.get(key):
                raise UserError(f"{self.label}: {flag} (or the Settings table's {label!r}) is not applied to a "
                                f"ledger of more than {engines.LARGE_ROWS:,} rows, computed where it lives; "
                                "clean the ids or rows in the source, or leave the setting out")
        if table is None:
            return taken.result()
        return self._analyse(table, read.get("as_of"))

    def large_analysis(self, as_of: Any = None, on_table=None):
        """:meth:`analysis_in_place`'s computation with the as-of month ``as_of`` and no other read option:
        :data:`NOT_LARGE` for a source that is not a large ledger, else the analysis (raising what it
        raises). ``on_table(table)`` is told the Ibis table before it is computed. What the command
        line's head start runs in its thread."""
        from xl_kpi import engines

        if self.format is not None and self.format.name != "ledger":
            return NOT_LARGE
        table = engines.large_table(self.spec, table=self.table, query=self.query)
        if table is None:
            return NOT_LARGE
        if on_table is not None:
            on_table(table)
        return self._analyse(table, as_of)

    def _analyse(self, table, as_of: Any):
        """The Ibis engine's checks and analysis of the large ``table`` (messages in the source's terms)."""
        from xl_kpi import engines

        names = self._in_place_columns(table.columns)
        options = {k: v for k, v in self.options.items() if k in TABLE_OPTIONS}
        if as_of is not None:
            options["as_of"] = as_of
        try:
            led = engines.ledger(table, names["customer"], names["month"], names["mrr"], engine="ibis", first_row=1,
                                 **options)
        except LedgerError as exc:
            raise engines.in_source_terms(exc, self.label, first_row=1) from None
        return engines.analysis_of(led)

    def _in_place_columns(self, columns) -> dict[str, str]:
        """Role -> the table's column (``--columns`` or the ledger headers, case and spaces ignored)."""
        from xl_kpi.ledger.formats import LEDGER

        have = {" ".join(str(c).split()).lower(): str(c) for c in columns if c != "file_row_number"}
        out = {}
        for role, header in _roles(LEDGER).items():
            want = self.columns.get(role, header)
            col = have.get(" ".join(want.split()).lower())
            if col is None:
                cols = ", ".join(repr(c) for c in list(have.values())[:12])
                if role in self.columns:
                    raise UserError(f"{self.label}: --columns {role}={want}: no column {want!r} (its columns: {cols})")
                raise UserError(f"{self.label}: no column {header!r} for the {role} (its columns: {cols}); "
                                f"name yours with --columns {role}=YOUR_COLUMN")
            out[role] = col
        return out

    def format_options(self) -> dict[str, Any]:
        """The options the chosen format's converter takes (an FX table read into a mapping)."""
        self._open()
        self._refuse_other_options()
        out = dict(self.options)
        if "fx" in out and not isinstance(out["fx"], Mapping):
            out["fx"] = read_fx(out["fx"])
        return out

    def _refuse_other_options(self) -> None:
        """Refuse an option the chosen format does not take (``--fx`` for a ledger): never ignored."""
        allowed = EXPORT_OPTIONS if self.format.name not in ("ledger", "subscriptions") else TABLE_OPTIONS
        wrong = [k for k in self.options if k not in allowed]
        if wrong:
            flags = ", ".join("--" + k.replace("_", "-") for k in wrong)
            raise UserError(f"{flags}: only for billing exports (--input stripe or baremetrics), "
                            f"not for the {self.format.name} input")

    def _require(self, frame: pd.DataFrame, fmt) -> None:
        have = {" ".join(str(c).split()).lower() for c in frame.columns}
        roles = {h: r for r, h in _roles(fmt).items()}
        missing = [h for h in fmt.required if h.lower() not in have]
        if not missing:
            return
        header = missing[0]
        role = roles.get(header, header)
        hint = ""
        for other, telltale in _TELLTALE.items():
            if telltale <= have:
                hint = f"; it looks like a {other.capitalize()} export: add --input {other}"
        cols = ", ".join(repr(str(c)) for c in frame.columns[:12]) + (" ..." if len(frame.columns) > 12 else "")
        raise UserError(f"{self.source.label}: no column {header!r} for the {role} (its columns: {cols}); "
                        f"name yours with --columns {role}=YOUR_COLUMN{hint}")

    # ------------------------------------------------------------------ reporting
    def relocate(self, exc: LedgerError) -> LedgerError:
        """``exc`` (rows counted from :data:`FIRST_ROW`, the format's headers) in the source's terms."""
        if self.source is None:
            return exc
        return relocate(exc, self.source, FIRST_ROW, self.map.user_column if self.map is not None else None)

    def stamp_label(self) -> str:
        """The report stamp's "Input table": the file, its table or query, and the format it was read as.

        >>> ExternalLedgerSource("ledger.csv").stamp_label()
        'ledger.csv (ledger format)'
        """
        where = self.label
        if self.table:
            where += f", table {self.table}"
        elif self.query:
            where += f", query {' '.join(str(self.query).split())}"
        return f"{where} ({self.format.name if self.format is not None else 'ledger'} format)"

    def describe(self, note: str = "") -> str:
        """The input in one line, for the summary line and the report's stamp: file, format, ``note``."""
        text = self.label if self.format is None or self.format.name == "ledger" else \
            f"{self.label} ({self.format.name})"
        return f"{text}; {note}" if note else text

