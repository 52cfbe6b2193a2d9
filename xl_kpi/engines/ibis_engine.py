"""The ledger analyses as Ibis expressions, computed where the data is.

The same expressions run on DuckDB (embedded, the default: a Parquet file or
a pandas frame is read by an in-process DuckDB), Spark, BigQuery, Snowflake,
Postgres ... whatever Ibis backend the source table is bound to. Only results
come back to Python: a few numbers per month (bridge), per cohort and age
(cohorts) or per month and window (trailing retention). No Python object is
made per ledger row, so Python's memory is bounded by the result, not the
data; the database does the heavy lifting with its own memory management.

The definitions are the catalog's "Ledger analysis" and "Additions", the same
as the numpy path (:mod:`xl_kpi.ledger`); the test suite checks the two equal
to 1e-9 on random ledgers, on DuckDB and on PySpark. How the SQL reaches each
number:

1. ``m`` = the row's calendar month as an integer (months since 1970-01), so
   "the previous month" is ``m - 1`` on every backend.
2. Customer-months: ``GROUP BY customer, m``, with the rows failing a check
   counted. The sum is rounded by the money rule (:data:`MONEY_DECIMALS`,
   the same rounding as the numpy path); the active ones are those reported
   (through the as-of month) with a sum > 0. Grouped by the ids as written:
   the table counts the ids that normalising could change (a space at an
   end, a "."), and only when there are some is it made again, grouped by
   the normalised ids (a computed id column costs the grouping a third more).
3. In the same query, over each customer's months in one order (active
   months first, by month): the previous active month and its MRR
   (``LAG``), the next active month (``LEAD``), the first one (the cohort),
   the MRR :data:`TRAILING_WINDOW` months later (``FIRST_VALUE`` over a
   ``RANGE`` frame of that many months following: no self-join) and whether
   the row is the customer's first (no ``LAG``: the distinct customers
   without a COUNT DISTINCT). All over one window, so the database sorts the
   data once.
   The result is the one temporary table that the checks and every analysis
   read: the customer-months are sorted once (the rows plan below sorts the
   rows themselves and makes this table only if asked for what it did not keep).
4. The checks: one aggregate of that table (rows, months, customers, bad
   rows, customer-months netting below 0, customer-months of several rows);
   a bad row is looked up in the source only when there is one. Exact
   duplicate rows can only be in a customer-month of several rows: only
   those are grouped by customer, month and MRR (a semi-join), and only when
   there are some. Near-duplicate ids are grouped over the distinct
   customers (:meth:`IbisLedger._check_near_duplicate_ids`).
5. Per active row: new (no previous), reactivation (previous < m - 1),
   expansion / contraction (previous = m - 1, by the change), churn in
   m + 1 (no next, or next > m + 1). One ``GROUP BY m, cohort`` adds these
   up: the checks query of step 4, whose groups of active rows are the
   summary (the checks add up every group), so one scan of the table serves
   both. The bridge is that summed over cohorts, the cohort matrices are its
   customers and MRR by (cohort, m - cohort).
6. Trailing retention: per base month m, the active rows and their MRR
   ``window`` months later (the stored column for :data:`TRAILING_WINDOW`,
   else a ``RANGE`` frame over the active months), totalled by m + window.
7. Movements: the active rows whose MRR moved, and the churns, filtered to
   the months asked for (the MRR Movements sheet's latest months).

Two plans compute these steps (:attr:`IbisLedger.plan`). When every reported
customer-month is one row above 0 (most ledgers: one row per customer per
month), the customer-months are the rows: the **rows plan**
(:meth:`IbisLedger._rows_plan`) makes one scan without grouping (the checks
from counts and extremes, and a HyperLogLog estimate of the distinct
customer-months of the first rows: of a Parquet file, in a query that reads
only those), then one query: the window of step 3 over
the rows themselves (no GROUP BY, whose hash table of every customer-month is
a third of the work), straight into the aggregate of step 5, whose few groups
also list the latest months' rows (their movements, step 7) and the ids that
could have a near duplicate. Its window counts the neighbours in the same
month: a customer-month of two rows sends the ledger to the **customer-month
plan** (steps 2-7 as written), as do a row not above 0, or many fewer
estimated customer-months than rows (then at once).
What the rows plan did not keep (another trailing window, earlier months'
movements) is read from the customer-month table, made when first needed.

The result frames are built by the numpy path's own functions
(:func:`xl_kpi.ledger.bridge.bridge_from_totals`,
:func:`xl_kpi.ledger.cohorts.cohort_frame`), which compute every rate with
the core KPI functions: one definition of each number, whichever engine
added up the totals.

Example (DuckDB in memory, reading a pandas frame):

>>> import pandas as pd
>>> ledger = pd.DataFrame({"customer_id": ["a", "b", "a", "b", "a"],
...     "month": pd.to_datetime(["2024-01-15", "2024-01-20", "2024-02-10", "2024-02-11", "2024-03-01"]),
...     "mrr": [100.0, 50.0, 120.0, 0.0, 120.0]})
>>> led = IbisLedger(ledger)
>>> led.bridge()[["new_mrr", "expansion_mrr", "churned_mrr", "ending_mrr"]].values.tolist()
[[150.0, 0.0, 0.0, 150.0], [0.0, 20.0, 50.0, 120.0], [0.0, 0.0, 0.0, 120.0]]
>>> led.cohorts("logo").values.tolist()
[[1.0, 0.5, 0.5]]
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from xl_kpi.engines.extras import WAREHOUSE, import_optional
from xl_kpi.engines.lazy_package import import_lazily
# Python's white space and re's \d as regex classes (the numpy path's blank text and digits)
from xl_kpi.engines.text_classes import DIGIT_CLASS as _DIGIT_CLASS, SPACE_CLASS as _SPACE_CLASS
from xl_kpi.ledger.bridge import BRIDGE_TOTALS, bridge_from_totals
from xl_kpi.ledger.checks import (DataChecks, add_duplicate_rows, add_months_without_customers,
                                  add_near_duplicate_ids)
from xl_kpi.ledger.cohorts import check_basis, cohort_frame, retention
from xl_kpi.ledger.periods import check_fiscal_year_start, check_period, period_keys, rollup
from xl_kpi.ledger.money import DECIMALS
from xl_kpi.ledger.money import round_money as round_money_np
from xl_kpi.ledger.monthly import monthly_kpis
from xl_kpi.ledger.movements import MOVEMENT_COLUMNS, MOVEMENT_MONTHS, MOVEMENTS
from xl_kpi.ledger.report_range import as_of_month
from xl_kpi.ledger.trailing import TRAILING_TOTALS, check_window, trailing_from_totals
from xl_kpi.ledger.validation import (DATE_RANGE_MESSAGE, FIRST_DAY, LAST_DAY, LedgerError, _describe, _where,
                                      month_label, negative_net, row_label,
                                      days_to_months, months_to_timestamps)
from xl_kpi.words import are, counted

ibis = import_optional("ibis", WAREHOUSE, "the Ibis engine")
# The SQL compilers of the backend in use only, not of all twenty (a twentieth of a second less per refresh).
# Ibis's own dialects are still registered with sqlglot, as every compiler but DuckDB's would have done: code
# beside xl_kpi reading SQL written in them (con.sql(..., dialect="impala")) works as without xl_kpi.
import_lazily("ibis.backends.sql.compilers", eager=("ibis.backends.sql.dialects",))

__all__ = ["IbisLedger", "ibis_table", "duckdb_table", "round_money", "MONEY_DECIMALS"]

#: Customer-month sums are rounded to this many decimals before anything is
#: compared: the numpy path's money rule (:data:`xl_kpi.ledger.money.DECIMALS`, docs/money.md).
MONEY_DECIMALS: int | None = DECIMALS

#: The supported months (as the numpy path: 1900-01 .. 2261-12), as months since 1970-01.
FIRST_MONTH = int(days_to_months(np.array([FIRST_DAY]))[0])
LAST_MONTH = int(days_to_months(np.array([LAST_DAY]))[0])

#: 2^52: from here on every double is a whole number (:func:`round_money`).
_TWO_52 = float(2 ** 52)

#: Name of the position column added to a pandas frame (row numbers for messages).
_POS = "__xl_kpi_row"

#: The trailing window whose later MRR the customer-month table holds (the Retention sheet's twelve
#: months, :func:`xl_kpi.refresh.pipeline.report_data`); any other window costs one more sort.
TRAILING_WINDOW = 12

#: The rows plan is tried when the estimated distinct customer-months (HyperLogLog, a few per cent off)
#: are at least this share of the rows estimated (:data:`ROWS_PLAN_SAMPLE`): below it, some customer-months
#: surely have several rows, and
#: the customer-month plan computes at once rather than after a query whose result it would drop.
ROWS_PLAN_DISTINCT = 0.9

#: The estimate is made over the first rows only (by row number, where the source has one): hashing every
#: row cost the first scan a third of its time, and a ledger's several rows of one customer-month are
#: written near each other (a month's invoice lines). Where they are not, the rows query finds them and
#: the customer-month plan computes after it (the same numbers, later).
ROWS_PLAN_SAMPLE = 1_000_000

#: Step between the ranks of a customer's months in its window order (active, other reported, the rest):
#: more than the supported months span (FIRST_MONTH .. LAST_MONTH) plus :data:`TRAILING_WINDOW`, so
#: the ranks never overlap.
_RANK_SPAN = 100_000


# ------------------------------------------------------------------ the source


def ibis_table(source: Any, *, row_numbers: bool = True):
    """An Ibis table for ``source``: an Ibis table as it is, a Parquet path read by DuckDB, a DataFrame.

    A Parquet file gets its row position as a column (DuckDB's
    ``file_row_number``), so that a message can name the row; so does a
    DataFrame (``row_numbers``).
    """
    if isinstance(source, ibis.Table):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix.lower() != ".parquet":
            raise LedgerError(f"{path}: the Ibis engine reads Parquet files (.parquet) or Ibis tables; "
                              f"give a database table as an Ibis table (ibis.duckdb.connect(...).table(...))")
        if not path.exists():
            raise LedgerError(f"{path}: no such file")
        con = ibis.duckdb.connect()
        _our_connection(con)
        return con.read_parquet(str(path), file_row_number=row_numbers)
    if isinstance(source, pd.DataFrame):
        frame = source.copy(deep=False)
        for name in frame.columns:
            col = frame[name]
            if col.dtype == object and len(col):
                kinds = set(map(type, col.dropna()))
                if len(kinds) > 1:  # 1 and "1" are two customers in the numpy path; a SQL column has one type
                    raise LedgerError(f"Column {name!r} mixes {', '.join(sorted(k.__name__ for k in kinds))} "
                                      f"values; the Ibis engine needs one type per column (use engine='numpy')",
                                      column=str(name))
        if row_numbers:
            frame[_POS] = np.arange(len(frame), dtype=np.int64)
        return ibis.memtable(frame)
    raise LedgerError(f"The ledger must be an Ibis table, a Parquet path or a DataFrame, got {type(source).__name__}")


def _normal_id(text):
    """Ids as the numpy path makes them (:mod:`xl_kpi.ledger.ids`): trimmed, ``"123.0"`` and ``"123."`` are ``"123"``.

    Only text that can change is rewritten (a space at either end, or a
    ".": a whole number written with a decimal point): a cheap gate, as in
    :func:`_blank`.
    """
    change = _id_may_change(text)
    # Python's strip() and re's \d (what the numpy path uses): every Unicode space, every decimal digit;
    # SQL's TRIM cuts only " " and [0-9] only ASCII digits ("x\u00a0" / "x", "\u0661\u0662.0" / "\u0661\u0662" were two ids)
    # No back-reference in the replacement: Spark (Java) reads "\\1" as the text "1" ("12.0" was the id "1")
    trimmed = text.re_replace(f"^{_SPACE_CLASS}+|{_SPACE_CLASS}+$", "")
    fixed = ibis.ifelse(trimmed.re_search(f"^[+-]?{_DIGIT_CLASS}+\\.0*$"), trimmed.re_replace("\\.0*$", ""), trimmed)
    return ibis.ifelse(change, fixed, text)


def _iso_date_text(text):
    """Month texts the numpy path reads (:mod:`xl_kpi.ledger.dates`) and the database's cast does not, as the
    dates it casts: a year and a month (``2024-01``, ``2024/1``, ``2024.01``), a month and a year (``01/2024``,
    ``1.2024``, ``1-2024``) and a compact ISO date (``20240105``); null for any other text.

    Written without a back-reference (Spark reads ``\\1`` as the text ``1``): the fields by position. A month
    or day out of range (``2024-13``) gives a text the cast refuses, as the numpy path does; so does year 0
    where the numpy path's own patterns read the text (Python's dates start at year 1). ASCII digits only: the
    numpy path also reads other scripts' digits (``２０２４.１``), which stay refused here.
    """
    # (year 0: refused by the numpy path's own patterns, y/m, y.m and m/y; its ISO parser reads 0000-01 and
    # 00000101, which the range check then refuses, as the database's cast gives year 0 here)
    year_month = (text.re_search("^[0-9]{4}[-/.][0-9]{1,2}$")
                  & ((text.left(4) != "0000") | (text.substr(4, 1) == "-")))
    month_year = text.re_search("^[0-9]{1,2}[-/.][0-9]{4}$") & (text.right(4) != "0000")
    compact = text.re_search("^[0-9]{8}$")
    return ibis.cases(
        (year_month, text.left(4) + "-" + text.substr(5) + "-01"),
        (month_year, text.right(4) + "-" + text.left(text.length() - 5) + "-01"),
        (compact, text.left(4) + "-" + text.substr(4, 2) + "-" + text.substr(6, 2)),
        else_=ibis.null("string"))


def _id_may_change(text):
    """Whether :func:`_normal_id` may rewrite ``text``: a space or a non-ASCII character at either end, or a ".".

    The same gate as :func:`_normal_id`'s; true of nearly no real id, so the
    ledger is grouped by the ids as written unless some id has it.
    """
    first, last = text.ascii_str(), text.right(1).ascii_str()
    edge = (first <= 32) | (first >= 127) | (last <= 32) | (last >= 127)
    return (edge | text.contains(".")).fill_null(False)


def _blank(text):
    """Null, empty or only white space (as the numpy path's blank text).

    The regular expression runs only on strings whose first character is a
    control character, a space or not ASCII: a cheap test that leaves out
    nearly every real id (TRIM on every row costs as much as the bridge).
    """
    code = text.ascii_str()
    maybe = (code <= 32) | (code >= 127)
    return text.isnull() | ibis.ifelse(maybe, text.re_search(f"^{_SPACE_CLASS}*$"), False).fill_null(False)


def _our_connection(con) -> None:
    """Settings of a DuckDB connection the engine opened itself (a caller's own connection is left as it is).

    No progress bar (DuckDB's would cut through the command's own); no insertion order kept: no
    query of the engine relies on it (each orders what it returns), and keeping it costs memory
    and time when the customer-month table is materialised.
    """
    con.raw_sql("SET enable_progress_bar = false")
    con.raw_sql("SET preserve_insertion_order = false")


def duckdb_table(path: str | os.PathLike, *, table: str | None = None, query: str | None = None):
    """A DuckDB database's ``table`` or ``query`` as an Ibis table (the file opened read-only)."""
    import duckdb
    from ibis.common.exceptions import IbisError, TableNotFound

    try:
        con = ibis.duckdb.connect(str(path), read_only=True)
        _our_connection(con)
        if table is not None:
            return con.table(table)
        # a view, not con.sql(query): ibis 12 asks DuckDB 2 for the query's schema through a removed call
        con.raw_sql(f"CREATE TEMP VIEW xl_kpi_query AS {query}")
        return con.table("xl_kpi_query")
    except (duckdb.Error, IbisError, TableNotFound) as exc:  # not a database, no such table, bad SQL
        raise LedgerError(f"{path}: {str(exc).splitlines()[0]}") from None


def _month_number(value):
    """A date or timestamp -> months since 1970-01 (the numpy path's month numbers)."""
    kind = value.type()
    if kind.is_timestamp() and kind.scale is not None and kind.scale != 6:
        # DuckDB (2.0) gets EXTRACT wrong on timestamps of another unit than microseconds: on a
        # TIMESTAMP_NS column of a Parquet file it derives the statistics as if it held microseconds
        # (years near 55000) and folds range tests on them to TRUE (every row of a file pandas 2
        # wrote would be "outside the supported dates"); on a TIMESTAMP_S or _MS column of a table it
        # gives wrong years (the months of 2024 numbered near 656,000: movements dated 1689). Microseconds
        # hold every supported date (1900..2261).
        value = value.cast(ibis.expr.datatypes.Timestamp(timezone=kind.timezone, scale=6))
    return (value.year() - 1970) * 12 + value.month() - 1


def round_money(x, decimals: int | None = None):
    """``x`` rounded to ``decimals`` (default :data:`MONEY_DECIMALS`) as
    :func:`xl_kpi.ledger.money.round_money` does: ``rint(x * 10^d) / 10^d``, ties to even.

    Written with float arithmetic only (no cast to an integer type, no backend
    ROUND, whose half-way rule differs between databases), so every backend
    gives numpy's bits: for 0 <= y < 2^52, ``(y + 2^52) - 2^52`` is ``rint(y)``
    (the sum lies where doubles are the whole numbers, and IEEE addition
    rounds half to even); from 2^52 on, a double is a whole number already.
    Two additions, where a remainder (``fmod``) costs several times more on
    ten million customer-months. A negative amount is rounded by its size.
    """
    decimals = MONEY_DECIMALS if decimals is None else decimals
    if decimals is None:
        return x
    scale = float(10 ** decimals)
    y = x * scale
    size = y.abs()
    whole = ibis.ifelse(size < _TWO_52, (size + _TWO_52) - _TWO_52, size)
    # a tiny negative (a full refund's -2.8e-17) rounds to 0.0, not -0.0: numpy's round_money adds 0.0 for it
    rounded = ibis.ifelse((y < 0) & (whole > 0), -whole, whole)
    return rounded / scale


def _rounds_above_zero(x: float) -> bool:
    """``round_money(x) > 0`` for one number, by numpy's rounding (``rint(x * 10^d) / 10^d``, whose bits
    :func:`round_money` gives on every backend): the rows plan's test of the smallest amount.

    >>> _rounds_above_zero(0.0000004), _rounds_above_zero(0.0000006), _rounds_above_zero(-1.0)
    (False, True, False)
    """
    return (x if MONEY_DECIMALS is None else float(np.round(np.float64(x), MONEY_DECIMALS))) > 0


@dataclass(frozen=True)
class Checks:
    """What the checks query found: rows used, the report's months, customers, rows after ``as_of``,
    customer-months of more than one row (where duplicate rows can be)."""

    rows: int
    first_month: int
    n_months: int
    n_customers: int
    rows_after_as_of: int
    multi_row_months: int = 0
    tiny_months: int = 0


# ------------------------------------------------------------------ the ledger


class IbisLedger:
    """A ledger where it lives, with the analyses of :mod:`xl_kpi.ledger` as methods.

    Parameters
    ----------
    source : Ibis table, Parquet path or DataFrame
        The ledger (see :func:`ibis_table`), one row per customer per month.
    customer, month, mrr : str
        Column names. ``month`` is a date or timestamp column (or text: ISO
        dates, a year and a month, compact ISO dates; see :func:`_iso_date_text`);
        ``mrr`` is numeric (or numeric text).
    as_of : date-like, optional
        The last month reported (the catalog's "Report month"); rows after it
        are left out and counted in :attr:`rows_after_as_of`.
    row_number : str, optional
        A column holding each row's position (0 for the first data row), so
        that a message names the row (``first_row`` + position). Parquet files
        and DataFrames get one automatically.
    first_row, sheet : optional
        As in :func:`xl_kpi.ledger.validate_ledger`: the row number of the
        first data row and the sheet, for messages.

    Constructing it runs one of two plans (:attr:`plan`: the rows plan,
    :meth:`_rows_plan`, or the customer-month table,
    :meth:`_customer_month_table`, and one query of checks over it) with the
    numpy path's checks (the numpy path's: blank ids, months and amounts, dates
    that are not dates or out of range, amounts that are not numbers or
    negative; completely blank rows are skipped); a bad row raises
    :class:`xl_kpi.ledger.LedgerError` naming row and column. The data
    checks that do not refuse (:meth:`data_checks`: rows after the as-of
    month, duplicate rows, near-duplicate ids, months without customers) are
    the numpy path's, in its words.
    """

    def __init__(self, source: Any, customer: str = "customer_id", month: str = "month", mrr: str = "mrr", *,
                 as_of: Any = None, row_number: str | None = None, first_row: int = 2, sheet: str | None = None):
        table = ibis_table(source)
        if row_number is None:
            for name in (_POS, "file_row_number"):
                if name in table.columns and name not in (customer, month, mrr):
                    row_number = name
        self.names = {"customer": customer, "month": month, "MRR": mrr}
        for role, name in self.names.items():
            if name not in table.columns:
                have = ", ".join(repr(c) for c in table.columns if c not in (_POS, "file_row_number")) or "none"
                where = f"Sheet {sheet!r}: the" if sheet else "The"
                raise LedgerError(f"{where} ledger has no {role} column {name!r} (its columns: {have})",
                                  column=name, sheet=sheet)
        self.table, self.customer, self.month, self.mrr = table, customer, month, mrr
        self.row_number, self.first_row, self.sheet = row_number, first_row, sheet
        self.as_of, self.as_of_month = as_of, None if as_of is None else as_of_month(as_of)
        # First grouped by the ids as written (a computed string column costs the grouping a third more);
        # the customer-month table counts the ids that trimming or a ".0" could change, and only when
        # there are some is it made again, grouped by the normalised ids (:func:`_normal_id`)
        self._normalise = False
        self._summary: pd.DataFrame | None = None
        self._cm_table = None  # the customer-month table (:attr:`_cm`), made when first needed
        self._rows_table = None  # the one-query plan's results (:meth:`_rows_plan`)
        #: How the analysis was computed: ``"rows"`` (one row per customer-month: one query over the rows,
        #: :meth:`_rows_plan`) or ``"customer-months"`` (the rows added up per customer and month first).
        self.plan = "customer-months"
        self._flags = self._flagged()
        if self._rows_plan():
            self.plan = "rows"
            return
        self.checks = self._run_checks()
        if self.checks is None:
            self._normalise = True
            self._drop_cm()
            self._flags = self._flagged()
            self.checks = self._run_checks()

    @property
    def _cm(self):
        """The customer-month table (:meth:`_customer_month_table`), made on first use: at once by the
        customer-month plan; by the rows plan only for what its one query did not keep (a trailing window
        other than :data:`TRAILING_WINDOW`, movements of earlier months, the sequence itself)."""
        if self._cm_table is None:
            self._cm_table = self._customer_month_table()
        return self._cm_table

    # ---------------------------------------------------------- checks

    def _flagged(self):
        """The ledger as (c, m, v) with one flag per check (the numpy path's checks, in its order).

        ``skip`` marks the completely blank rows. A flag is not masked by it
        (that would repeat the blank tests in every flag): the checks query
        subtracts the skipped rows where a flag can hold on one.
        """
        t = self.table
        c, d, v = t[self.customer], t[self.month], t[self.mrr]
        if c.type().is_string():
            c_blank = _blank(c)
        else:  # (a NaN id, which a database's float column can hold, is blank as in memory, not a customer)
            c_blank = c.isnull() | c.isnan().fill_null(False) if c.type().is_floating() else c.isnull()
        raw_c = c
        if c.type().is_string():
            raw_c = _normal_id(c)  # (the value a message shows: the numpy path's id)
            if self._normalise:
                c = raw_c
        if d.type().is_string():
            d_blank = _blank(d)
            text = d.strip()
            stamp = text.try_cast("timestamp")
            # (a CASE: the other forms are only looked at in a text the database does not read)
            stamp = ibis.ifelse(stamp.isnull(), _iso_date_text(text).try_cast("timestamp"), stamp)
            m = _month_number(stamp)
            # DuckDB reads 'infinity' / '-infinity' (no month: the row was neither refused nor counted) and
            # 'epoch' (1970-01-01) as timestamps; the numpy path says they are not dates
            d_bad = (stamp.isnull() | m.isnull() | (text.lower() == "epoch")) & ~d_blank
        elif d.type().is_temporal() and not d.type().is_time():
            d_blank, d_bad, m = d.isnull(), ibis.literal(False), _month_number(d)
        else:
            raise LedgerError(f"{_where(None, self.month, self.sheet)}: holds {d.type()} values; the Ibis engine "
                              f"needs dates, timestamps or date text (Excel serial numbers: use engine='numpy')",
                              column=self.month, sheet=self.sheet)
        if v.type().is_string():
            v_blank = _blank(v)
            x = v.strip().try_cast("float64")
            # 'nan' (any case or sign) casts to NaN, which DuckDB orders above every number (a row "above 0"):
            # not a number, as the numpy path says
            # DuckDB also casts '1_000' (a digit separator); the numpy path says it is not a number
            v_bad = (x.isnull() & ~v_blank) | x.isinf().fill_null(False) | x.isnan().fill_null(False) \
                | v.contains("_").fill_null(False)
        elif v.type().is_numeric() and not v.type().is_boolean():
            x = v.cast("float64")
            v_blank = x.isnull() | x.isnan().fill_null(False)
            v_bad = x.isinf().fill_null(False)
        else:
            raise LedgerError(f"{_where(None, self.mrr, self.sheet)}: holds {v.type()} values, not numbers",
                              column=self.mrr, sheet=self.sheet)
        flags = {
            "c_blank": c_blank,
            "d_blank": d_blank,
            "d_bad": d_bad,
            "d_out": ((m < FIRST_MONTH) | (m > LAST_MONTH)).fill_null(False),  # m is null for blank / bad dates
            "v_blank": v_blank,
            "v_bad": v_bad,
        }
        cols = {"c": c, "m": m, "v": x, **flags, "raw_c": raw_c, "raw_d": d, "raw_v": v}
        if self.row_number is not None:
            cols["pos"] = t[self.row_number]
        return t.select(**cols)

    #: The column of a role's value as written (what a message shows).
    _RAW = {"customer": "raw_c", "month": "raw_d", "MRR": "raw_v"}

    _MESSAGES = {
        "c_blank": ("customer", "the customer id is blank (only completely blank rows are skipped)"),
        "d_blank": ("month", "the month is blank (only completely blank rows are skipped)"),
        "d_bad": ("month", "{value} is not a date"),
        "d_out": ("month", DATE_RANGE_MESSAGE),
        "v_blank": ("MRR", "the MRR is blank (only completely blank rows are skipped)"),
        "v_bad": ("MRR", "{value} is not a number"),
    }

    def _customer_month_table(self):
        """The customer-month plan's one scan and one sort of the data: per (customer, month), the sums, counts
        and window columns.

        Grouped by the id (as written, or normalised: :meth:`__init__`) and
        the month number: ``r`` the MRR sum rounded by the money rule, ``n``
        rows, ``bad`` rows failing any check (completely blank rows are not
        bad: they are skipped). ``in_range``: the month is reported (through
        ``as_of``); ``active``: in range with ``r > 0``; ``negative`` / ``tiny``:
        in range with an unrounded sum below 0 / above 0 but not active (the
        unrounded sum itself is not kept). ``changing``: on a customer's first
        row, whether its id may change when normalised.

        Then, over each customer's months in one order (active months first,
        by month: :data:`_RANK_SPAN`), one sort for every window column:
        ``prev_m`` / ``prev_v`` (the previous active month and its MRR),
        ``next_m`` (the next active month), ``cohort`` (the first active
        month), ``later`` (the MRR :data:`TRAILING_WINDOW` months later: a
        RANGE frame on the month, no self-join) and ``first_of_c`` (the
        customer's first row: the distinct customers without a COUNT
        DISTINCT).

        The result is materialised in the backend (:meth:`_materialise`: a
        temporary table on DuckDB, ``Table.cache()`` elsewhere), so the checks
        and every analysis read it rather than the source: the source is
        scanned and sorted once. It is as large as the customer-months, not
        the rows. The rows plan makes it only when asked for what its query did not keep (:attr:`_cm`).
        """
        f = self._flags
        skip, bad = self._skipped_and_bad(f)
        # (no `skipped` count: a completely blank row has no month, and every other row without a month
        # is bad, so the skipped rows are the rows of the month-less customer-months that are not bad)
        g = f.group_by(["c", "m"]).aggregate(v=f.v.sum(), n=f.count(), bad=f.count(where=bad))
        # 32-bit months and counts (months are within +-4,000, a customer-month's rows far below 2^31):
        # the window sorts every column it carries, so narrower ones sort faster
        g = g.mutate(m=g.m.cast("int32"), n=g.n.cast("int32"), bad=g.bad.cast("int32"))
        # one step per column, each reading the last one's columns: the rounding is computed once
        g = g.mutate(r=round_money(g.v), in_range=self._in_range(g.m))
        g = g.mutate(active=g.in_range & (g.r > 0).fill_null(False))
        # what the checks ask of the unrounded sum, as two flags (the table need not hold it): below 0
        # (numpy: after as_of, left out), and above 0 but 0 by the money rule (active for the gaps check)
        g = g.mutate(negative=g.in_range & (g.v < 0).fill_null(False),
                     tiny=g.in_range & (g.v > 0).fill_null(False) & ~g.active)
        # one integer order per customer: its active months (key = m), then the other reported months,
        # then the rest; an active month's neighbours in this order are its previous / next active months
        # when their keys are months too, and a RANGE frame on the key finds the month `window` later
        rank = ibis.cases((g.active, 0), (g.in_range, 1), else_=2)
        g = g.mutate(key=(g.m.fill_null(0) + rank * _RANK_SPAN).cast("int32"))
        w = ibis.window(group_by=g.c, order_by=g.key)
        ahead = ibis.window(group_by=g.c, order_by=g.key, range=(TRAILING_WINDOW, TRAILING_WINDOW))
        before, after = g.key.lag().over(w), g.key.lead().over(w)
        month = lambda key: (key < _RANK_SPAN // 2).fill_null(False)  # noqa: E731 - an active month's key
        none = ibis.null().cast("int32")
        seq = g.mutate(
            prev_m=ibis.ifelse(month(before), before, none),
            prev_v=ibis.ifelse(month(before), g.r.lag().over(w), ibis.null().cast("float64")),
            next_m=ibis.ifelse(month(after), after, none),
            cohort=g.key.first().over(w),  # of an active month: its customer's first active month
            later=g.r.first().over(ahead),  # the one row of month m + window, if any (FIRST_VALUE: no segment tree)
            first_of_c=before.isnull(),  # the key is never null: only the first row has none before it
            changing=self._id_changing(g.c, before.isnull()),
        )
        return self._materialise(seq.drop("key", "v"))

    def _id_changing(self, c, first):
        """Whether the id ``c`` of a customer's ``first`` row (one per id) changes when normalised: tested once
        per id, not per row, so the exact test (not only :func:`_id_may_change`'s gate, true of every id with a
        ".", as an e-mail address) decides whether the table is made again. A blank id is not counted: its rows
        are skipped or refused whatever it is normalised to."""
        if self._normalise or not c.type().is_string():
            return ibis.literal(False)
        return ibis.ifelse(first, (_normal_id(c) != c).fill_null(False) & ~_blank(c), False)

    def _drop_cm(self) -> None:
        """Drop the customer-month table now (it is made again: :meth:`__init__`)."""
        if self._cm_table is not None:
            self._discard(self._cm_table, "_cm_name")
        self._cm_table = None

    def _discard(self, table, attr: str) -> None:
        """Drop a table :meth:`_materialise` made (its name in ``attr``) now, not with the ledger."""
        name = getattr(self, attr, None)
        if name is not None:
            _drop_quietly(table.get_backend(), name)
            setattr(self, attr, None)
        elif hasattr(table, "release"):  # a cached table of another backend
            try:
                table.release()
            except Exception:  # noqa: BLE001 - only memory is at stake
                pass

    def _materialise(self, expr, attr: str = "_cm_name"):
        """``expr`` computed once into a table of its backend, dropped with this ledger.

        DuckDB: a temporary table, dropped here with SQL (ibis 12's ``cache()``
        drops its table with a statement that sqlglot 30 renders without the
        table's name, so it would never be dropped); other backends:
        ``Table.cache()``.
        """
        backend = expr.get_backend()
        if backend.name != "duckdb":
            return expr.cache()
        name = ibis.util.gen_name("xl_kpi")
        table = backend.create_table(name, expr, temp=True)
        weakref.finalize(self, _drop_quietly, backend, name)
        setattr(self, attr, name)
        return table

    # ---------------------------------------------------------- the rows plan

    def _skipped_and_bad(self, f):
        """Of the flagged rows ``f`` (:meth:`_flagged`): the completely blank rows (skipped), and the rows failing
        a check (bad; a skipped row is not)."""
        skip = f.c_blank & f.d_blank & f.v_blank
        return skip, ibis.or_(*(f[name] for name in self._MESSAGES)) & ~skip

    def _report_end(self, last) -> int:
        """The report's last month: the as-of month when one is given (earlier or later than the data), else the
        ledger's ``last`` month."""
        return int(last) if self.as_of_month is None else self.as_of_month

    def _in_range(self, m):
        """Whether the month number ``m`` is reported (not null, through ``as_of``)."""
        return m.notnull() if self.as_of_month is None else (m <= self.as_of_month).fill_null(False)

    def _row_counts(self) -> dict:
        """One scan of the source, no grouping: rows, skipped rows and whether some row is bad, the reported
        rows and whether some of them is not above 0 by the money rule, the first reported and the last
        month, and (but for a Parquet file: :meth:`_sampled_distinct`) an estimate of the distinct
        reported customer-months among the first :data:`ROWS_PLAN_SAMPLE` rows.

        Cheap per row (the checks' own flags cost this scan three times as much): of the reported rows, a
        bad one shows in a few counts and extremes (a month out of range, an amount that is not a finite
        number, an id that is null when the ids are numbers), and one not above 0 in the smallest amount
        (the money rule rounds in order: the smallest amount is the smallest rounded one). Text ids are
        not tested here (nor read, but for the estimate): an id that is null or white space is left to
        the rows query (:meth:`_rows_query`'s ``k_blank``, tested once per id), and to the customer-month
        plan's checks when the ledger goes there. The rows not reported (no month, or after ``as_of``),
        when there are some, get the checks' flags themselves in a second scan, which computes them on
        those rows only (the database filters before it computes them).
        """
        f = self._flags
        in_range = self._in_range(f.m)
        # a reported row's month is not blank; the amounts' and text months' checks are cheap
        reported_bad = f.v_blank | f.v_bad | f.d_bad
        if not f.c.type().is_string():  # (the rows query tests text ids only)
            reported_bad |= f.c_blank
        counts = {} if self._estimate_apart else self._estimate(f, self._sampled(f))
        got = f.aggregate(total=f.count(), rows=f.count(where=in_range),
                          reported_bad=f.count(where=in_range & reported_bad), first=f.m.min(where=in_range),
                          last_reported=f.m.max(where=in_range), last=f.m.max(), low=f.v.min(where=in_range),
                          **counts).to_pyarrow().to_pylist()[0]
        got["skipped"] = got["bad"] = 0
        if got["total"] > got["rows"]:  # the rows not reported (no month, or after as_of), with the checks' flags
            out = f.filter(~in_range)
            skip, bad = self._skipped_and_bad(out)
            got.update(out.aggregate(skipped=out.count(where=skip), bad=out.count(where=bad)
                                     ).to_pyarrow().to_pylist()[0])
        if got["rows"]:
            out_of_range = got["first"] < FIRST_MONTH or got["last_reported"] > LAST_MONTH
            got["bad"] += got["reported_bad"] + out_of_range
            # (a bad row's amount may be the smallest: then it is refused before this matters)
            got["idle"] = got["low"] is None or not _rounds_above_zero(got["low"])
        else:
            got["idle"] = False
        return got

    def _sampled_distinct(self, got: dict) -> tuple[int, int]:
        """The reported rows among the first :data:`ROWS_PLAN_SAMPLE` (by row number) and an estimate of their
        distinct customer-months (HyperLogLog over a hash of id and month: a few per cent off).

        For a Parquet file (DuckDB's ``file_row_number``), a query of its own, filtered by row number: DuckDB
        reads only the file's first row groups, so that the scan of :meth:`_row_counts` reads no text id. For
        other sources, whose row numbers are a column (a frame's) or that have none, a filter would read
        every row again: :meth:`_row_counts` has made the estimate in its scan (``got``), over the first
        rows, or over every row without row numbers.
        """
        if self._estimate_apart:
            s = self._flags.filter(self._sampled(self._flags))
            got = s.aggregate(**self._estimate(s, ibis.literal(True))).to_pyarrow().to_pylist()[0]
        return int(got["sampled"]), int(got["distinct"] or 0)

    @property
    def _estimate_apart(self) -> bool:
        """Whether the estimate is a query of its own (:meth:`_sampled_distinct`): for DuckDB's Parquet row
        numbers, by which it reads only the file's first row groups."""
        return self.row_number == "file_row_number"

    def _sampled(self, f):
        """The rows the estimate is made over: the reported ones, among the first :data:`ROWS_PLAN_SAMPLE` by
        row number where ``f`` has row numbers."""
        in_range = self._in_range(f.m)
        return in_range if "pos" not in f.columns else in_range & (f.pos < ROWS_PLAN_SAMPLE)

    @staticmethod
    def _estimate(t, where) -> dict:
        """The aggregates of the estimate over the rows ``where`` of ``t``: their count and the HyperLogLog
        estimate of their distinct (id, month) pairs."""
        pair = ibis.struct({"c": t.c, "m": t.m})
        # (a CASE: a null pair is not counted, and the others are not made)
        return {"sampled": t.count(where=where),
                "distinct": ibis.ifelse(where, pair, ibis.null(pair.type())).approx_nunique()}

    def _rows_plan(self) -> bool:
        """The analysis in one query over the rows, when every reported customer-month is one row above 0;
        True when it was made (:attr:`checks` and the summary set).

        Most ledgers are written so: one row per customer per month. Then the customer-months are the
        rows, and the window of :meth:`_customer_month_table` runs over the rows themselves, with no GROUP
        BY before it (a hash table of every customer-month: a third of that query's work) and no rank in
        its order (every reported row is active). First one scan without grouping (:meth:`_row_counts`): a
        bad row is refused from it (a text id that is null or white space after the rows query, which
        counts them, or from the customer-month plan's checks); a
        reported row that is not above 0 (a zero, a credit, a tiny amount) or fewer estimated
        customer-months than :data:`ROWS_PLAN_DISTINCT` of the rows sampled send the ledger to the
        customer-month plan. Then the one query (:meth:`_rows_query`), whose window also counts the
        neighbours of the same month (a customer-month of two rows) and the ids that normalising changes:
        if it finds any, its result is dropped and the customer-month plan computes (then grouped by the
        normalised ids at once, for the latter). Its summary groups and check counts are the customer-month
        plan's (to rounding: its sums are added in another order): a customer-month of one row adds up to that row.
        """
        got = self._row_counts()
        if got["bad"]:
            self._raise_first()
        rows = int(got["rows"])
        if not rows or got["idle"]:
            return False
        sampled, distinct = self._sampled_distinct(got)
        if distinct < ROWS_PLAN_DISTINCT * sampled:
            return False
        first = int(got["first"])
        n = self._report_end(got["last"]) - first + 1
        table = self._materialise(self._rows_query(first, n), "_rows_name")
        sums = ("k_customers", "k_dup", "k_changing", "s_n", "s_r", "s_delta", "s_later", "s_change")
        blank = ("k_blank",) if "k_blank" in table.columns else ()
        groups = table.select("m", "cohort", "mk", "ck", "tk", *sums, *blank).to_pyarrow().to_pandas()
        if blank and groups["k_blank"].sum():
            self._discard(table, "_rows_name")
            self._raise_first()
        dup, changing = groups["k_dup"].sum(), groups["k_changing"].sum()
        if dup or changing:
            self._discard(table, "_rows_name")
            if changing and not dup:
                self._normalise = True  # (the customer-month plan groups by the normalised ids at once)
                self._flags = self._flagged()
            return False
        self._rows_table = table
        self.checks = Checks(rows, first, n, int(groups["k_customers"].sum()),
                             int(got["total"] - got["skipped"] - rows))
        groups = groups.assign(m=groups["m"] + first, cohort=groups["cohort"] + first)  # (counted from 0 there)
        self._summary = self._summary_of(groups)
        return True

    def _rows_query(self, first: int, n: int):
        """The rows plan's one query: the reported rows through one window (the customer-month table's
        window columns, over rows: months counted from ``first``, ``n`` reported), into one aggregate.

        Its groups are the summary's (month, cohort and the keys of :meth:`_summary_keys`, with the
        checks' counts: a few thousand), and each group lists two kinds of rows as well:

        * ``kept``: the rows of the latest :data:`~xl_kpi.ledger.movements.MOVEMENT_MONTHS` months and the
          month before (their sequence columns: the MRR Movements sheet's movements, churns included);
        * ``odd``: the ids (of each customer's first row, so each id once) that could have a near duplicate
          and differ from its key (:func:`_near_keys`: another case, leading zeros, not ASCII), for
          :meth:`_check_near_duplicate_ids`. Ids equal to their key (``"cus_0042"``, ``"acme"``) are not
          listed: they can only be the partner of a listed one, which :meth:`_near_candidates` looks up.

        Lists, not a group per kept row: a hash table of a million groups cost this query a second more.
        One reader of the window's rows: two would have DuckDB store them all for the second.
        """
        f = self._flags
        t = f.filter(self._in_range(f.m)).select(c=f.c, m=(f.m - first).cast("int32"), r=round_money(f.v))
        w = ibis.window(group_by=t.c, order_by=t.m)
        ahead = ibis.window(group_by=t.c, order_by=t.m, range=(TRAILING_WINDOW, TRAILING_WINDOW))
        before = t.m.lag().over(w)
        s = t.mutate(prev_m=before, prev_v=t.r.lag().over(w), next_m=t.m.lead().over(w),
                     cohort=t.m.first().over(w), later=t.r.first().over(ahead), first_of_c=before.isnull(),
                     dup=(before == t.m).fill_null(False), changing=self._id_changing(t.c, before.isnull()),
                     active=ibis.literal(True))
        # (CASE, not a FILTER's AND: a projection computes every operand of an AND for every row)
        kept = ibis.struct({"c": s.c, "v": s.r, "prev_m": s.prev_m, "prev_v": s.prev_v, "next_m": s.next_m})
        lists = {"kept": ibis.ifelse(s.m >= n - MOVEMENT_MONTHS - 1, kept, ibis.null(kept.type())).collect()}
        counts = {}
        if s.c.type().is_string():  # (number ids: no near duplicates, :meth:`_check_near_duplicate_ids`)
            odd = ibis.ifelse(s.first_of_c, _may_have_near_duplicate(s.c), False)
            lists["odd"] = ibis.ifelse(odd, s.c, ibis.null("string")).collect()
            # an id that is null or white space, a bad row that :meth:`_row_counts` leaves to this query: once per id
            counts["k_blank"] = s.count(where=ibis.ifelse(s.first_of_c, _blank(s.c), False))
        return s.group_by([s.m, s.cohort, *self._summary_keys(s).values()]).aggregate(
            k_customers=s.count(where=s.first_of_c), k_dup=s.count(where=s.dup),
            k_changing=s.count(where=s.changing), **counts, **self._summary_sums(s), **lists)

    def _kept_rows(self):
        """The rows the rows plan kept (:meth:`_rows_query`'s ``kept`` lists) with the columns of
        :meth:`sequence` that :func:`_movement_rows` reads."""
        t = self._rows_table
        rows = t.select("m", k=t.kept.unnest())  # (a column's unnest: Table.unnest numbers and joins the rows)
        return rows.select(c=rows.k["c"], m=rows.m, **{name: rows.k[name] for name in ("v", "prev_m", "prev_v",
                                                                                        "next_m")})

    def _run_checks(self) -> Checks | None:
        """The checks, from the customer-month table: rows, months, customers; a bad row is looked up then.

        Only when a row fails a check (or a customer-month nets below 0) is
        the source read again, to find the first such row for the message.
        None (nothing checked) when the table was grouped by the ids as written
        and some id may change when normalised: the table is to be made again.
        """
        cm, last = self._cm, self.as_of_month
        in_range = cm.in_range  # a valid row has a month (null m: a completely blank row)
        # One scan of the table for the checks and the summary: grouped by month and, for an active
        # customer-month, its cohort (the other rows: no cohort). The checks add up the groups' counts
        # (k_*), the summary is the groups with a cohort.
        cohort = ibis.ifelse(cm.active, cm.cohort, ibis.null().cast(cm.cohort.type()))
        q = cm.group_by([cm.m, cohort.name("cohort"), *self._summary_keys(cm).values()]).aggregate(
            k_bad=cm.bad.sum(), k_skipped=(cm.n - cm.bad).sum(where=cm.m.isnull()), k_total=cm.n.sum(),
            k_first=cm.m.min(where=in_range), k_rows=cm.n.sum(where=in_range),
            k_negative=cm.count(where=cm.negative),
            # as the numpy path: the ids of the rows reported (through as_of); a blank id
            # is a bad row unless the whole row is blank (then its month is null, out of range).
            # A customer's first row in its window order is in range when any of its rows is.
            k_customers=cm.count(where=cm.first_of_c & in_range),
            # exact duplicate rows can only be in a customer-month of several rows
            k_multi=cm.count(where=(cm.n > 1) & in_range),
            # more than 0 but 0 by the money rule: the only months active for the gaps check
            # (sum > 0, as the numpy path) and not for the bridge (rounded sum > 0)
            k_tiny=cm.count(where=cm.tiny),
            k_changing=cm.count(where=cm.changing),
            **self._summary_sums(cm))
        groups = q.to_pyarrow().to_pandas()
        k = {c[2:]: groups[c] for c in groups.columns if c.startswith("k_")}
        got = {name: (col.sum() if name != "first" else col.min()) for name, col in k.items()}
        got = {name: (None if pd.isna(v) else int(v)) for name, v in got.items()}
        got["last"] = None if groups["m"].isna().all() else int(groups["m"].max())
        got = {k: (0 if v is None and k not in ("first", "last") else v) for k, v in got.items()}
        if got["changing"] and not self._normalise:
            return None
        if got["bad"]:
            self._raise_first()
        if got["negative"]:
            self._refuse_negative_nets()
        if not got["rows"]:
            if last is not None and got["last"] is not None:  # the numpy path's message (report_range.through)
                first = _month_text(int(groups["m"].min()))  # (the checks query's groups: no second query)
                raise LedgerError(f"as_of {self.as_of!r} is before the ledger's first month ({first})", value=self.as_of)
            where = f"Sheet {self.sheet!r}: the" if self.sheet else "The"
            raise LedgerError(f"{where} ledger has no data rows")
        first = int(got["first"])
        after = got["total"] - got["skipped"] - got["rows"]
        self.checks = Checks(int(got["rows"]), first, self._report_end(got["last"]) - first + 1,
                             int(got["customers"]), int(after),
                             int(got["multi"]), int(got["tiny"]))
        self._summary = self._summary_of(groups[groups["cohort"].notna()])
        return self.checks

    def _refuse_negative_nets(self) -> None:
        """A credit row is allowed while its customer-month nets to 0 or more (the numpy path's rule and message)."""
        f, g = self._flags, self._cm
        # by the money rule, as in memory: a full refund's float residue (-2.8e-17) is 0, not below 0
        neg = g.r < 0 if self.as_of_month is None else (g.r < 0) & (g.m <= self.as_of_month)
        bad = g.filter(neg).select("c", "m", total="r")
        if "pos" in f.columns:  # the customer-month of the first row (in file order) that nets below 0
            first = f.semi_join(bad, ["c", "m"]).order_by("pos").select("c", "m").limit(1)
            bad = bad.semi_join(first, ["c", "m"])  # a second read of the source, made only for the message
        else:  # (no row numbers: the first month's first id, the same every run)
            bad = bad.order_by(["m", "c"])
        hit = bad.limit(1).to_pyarrow().to_pylist()
        if not hit:
            return
        c, m, total = hit[0]["c"], int(hit[0]["m"]), hit[0]["total"]
        column = self.names["MRR"]
        rows, row = [], None
        if "pos" in f.columns:
            month = f.filter((f.c == c) & (f.m == m))
            pos = [r["pos"] for r in month.order_by("pos").select("pos").limit(5).to_pyarrow().to_pylist()]
            rows = [row_label(self.first_row + int(p), self.sheet) for p in pos]
            # placed at its largest credit (the first of equal ones), as in memory (validation.negative_net)
            credit = month.filter(month.v < 0).order_by([month.v, month.pos]).select("pos").limit(1)
            row = self.first_row + int(credit.to_pyarrow().to_pylist()[0]["pos"])
        raise negative_net(str(c), total, month_label(m), rows, row, column, self.sheet)

    def _raise_first(self) -> None:
        """Raise the numpy path's message for the first bad row (the smallest position, then check order).

        A second read of the source, made only when a row is bad.
        """
        f = self._flags
        skip, _ = self._skipped_and_bad(f)
        counts = f.aggregate(**{name: f.count(where=f[name] & ~skip) for name in self._MESSAGES}
                             ).to_pyarrow().to_pylist()[0]
        failing = [name for name in self._MESSAGES if counts[name]]
        if "pos" in f.columns:
            sel = f.filter(ibis.or_(*(f[name] for name in failing)) & ~skip).order_by("pos")
        else:
            # no row numbers (a database's table, whose rows come in no set order): the first check that fails,
            # and of its rows the value that sorts first, so that every run says the same
            sel = f.filter(f[failing[0]] & ~skip).order_by(self._RAW[self._MESSAGES[failing[0]][0]])
        first = sel.limit(1).to_pyarrow().to_pylist()[0]
        name = next(n for n in self._MESSAGES if first[n])
        role, message = self._MESSAGES[name]
        column = self.names[role]
        row = self.first_row + int(first["pos"]) if first.get("pos") is not None else None
        value = first[self._RAW[role]]
        text = message.format(value=_describe(value))
        if row is None and counts[name] > 1:
            text += f" ({counted(counts[name], 'row')})"
        raise LedgerError(f"{_where(row, column, self.sheet)}: {text}", row=row, column=column, value=value,
                          sheet=self.sheet, detail=text)

    # ---------------------------------------------------------- the shared steps

    @property
    def first_month(self) -> int:
        return self.checks.first_month

    @property
    def n_months(self) -> int:
        return self.checks.n_months

    @property
    def n_customers(self) -> int:
        return self.checks.n_customers

    @property
    def n_rows(self) -> int:
        """Ledger rows used (completely blank rows and rows after ``as_of`` are not counted)."""
        return self.checks.rows

    @property
    def rows_after_as_of(self) -> int:
        return self.checks.rows_after_as_of

    @property
    def rows_read(self) -> int:
        """The rows that are not completely blank, those after ``as_of`` included (the stamp's "Rows read")."""
        return self.checks.rows + self.checks.rows_after_as_of

    def month_range(self) -> str:
        """"Jan 2024 - Jun 2024": the months reported (the numpy path's wording)."""
        if not self.n_months:
            return ""
        first, last = month_label(self.first_month), month_label(self.first_month + self.n_months - 1)
        return first if first == last else f"{first} - {last}"

    def data_checks(self) -> DataChecks:
        """What the read noticed, as the numpy path words it: the rows after the as-of month, left out.

        The examples (the first three such rows) cost one more query, made only when there are some.
        """
        checks = DataChecks()
        late = self.rows_after_as_of
        if late:
            last = self.first_month + self.n_months - 1
            examples: list[str] = []
            f = self._flags
            if "pos" in f.columns:
                hits = f.filter(f.m > last).order_by("pos").select("pos").limit(3).to_pyarrow().to_pylist()
                examples = [row_label(self.first_row + int(r["pos"]), self.sheet) for r in hits]
            checks.add("rows after the as-of month", late, examples,
                       f"{counted(late, 'row')} after the as-of month {month_label(last)} {are(late)} left out",
                       "set a later as-of month to include them")
        self._check_duplicates(checks)
        self._check_near_duplicate_ids(checks)
        self._check_gaps(checks)
        return checks

    def _check_gaps(self, checks: DataChecks) -> None:
        """Months with no active customer between active months (likely missing data), as the numpy path
        finds and words them: the months in which some reported customer-month adds up to more than 0.

        Those are the summary's months (no query), unless some customer-month adds up to more than 0 but
        to 0 by the money rule (the checks query counted them): then one query finds the months.
        """
        if self.n_months < 3:
            return
        if self.checks.tiny_months:
            cm = self._cm
            got = cm.filter(cm.active | cm.tiny).select("m").distinct().to_pyarrow().column("m").to_pylist()
        else:
            s = self.summary()
            got = (s.loc[s["customers"] > 0, "m"] + self.first_month).tolist()
        active = sorted({int(m) for m in got})
        if len(active) < 2:
            return
        gaps = sorted(set(range(active[0] + 1, active[-1])) - set(active))
        if gaps:
            add_months_without_customers(checks, [month_label(m) for m in gaps])

    def _check_duplicates(self, checks: DataChecks) -> None:
        """Exact duplicate rows (same customer, month and MRR: they are added up), as the numpy path counts
        and words them.

        Two rows can only be the same in a customer-month of more than one row: the checks query counted
        those; when there are none (one row per customer-month, as most ledgers) nothing more is read.
        Otherwise only the source rows of those customer-months (a semi-join) are grouped by all three
        columns; the examples are one more query, made only when there are some.
        """
        if not self.checks.multi_row_months:
            return
        f, cm = self._flags, self._cm
        multi = cm.filter((cm.n > 1) & cm.in_range).select("c", "m")
        used = f.filter(f.m.notnull() & f.v.notnull()).semi_join(multi, ["c", "m"])
        groups = used.group_by(["c", "m", "v"]).aggregate(n=used.count())
        extra = groups.aggregate(d=(groups.n - 1).sum(where=groups.n > 1)).to_pyarrow().to_pylist()[0]["d"]
        if not extra:
            return
        examples: list[str] = []
        if "pos" in f.columns:  # the repeats (not each group's first row), in file order
            w = ibis.window(group_by=[used.c, used.m, used.v], order_by=used.pos)
            ranked = used.select("pos", k=ibis.row_number().over(w))
            hits = ranked.filter(ranked.k > 0).order_by("pos").select("pos").limit(3).to_pyarrow().to_pylist()
            examples = [row_label(self.first_row + int(r["pos"]), self.sheet) for r in hits]
        add_duplicate_rows(checks, int(extra), examples)

    def _check_near_duplicate_ids(self, checks: DataChecks) -> None:
        """Ids differing only in case or leading zeros (``"acme"`` / ``"Acme"``, ``"0042"`` / ``"42"``), as the
        numpy path finds and words them (:func:`xl_kpi.ledger.ids.near_duplicates`): a warning, which
        ``--strict`` refuses, naming each id's first row.

        Over the distinct reported customers (:meth:`_near_candidates`), not every row of the source.
        For ASCII ids the shared key is SQL's ``lower`` (a number's leading zeros cut), and only the keys
        that some id differs from can be shared (``"acme"`` alone is its own key): so the database groups
        only those, and usually returns nothing. Other ids (``"Straße"`` casefolds to ``"strasse"``, which
        SQL's lower does not do) come to Python, with the ASCII ids sharing their casefolded key; the
        numpy path's own function then groups the candidates, so the groups are exactly its groups.
        """
        from xl_kpi.ledger.ids import near_duplicate_keys, near_duplicates

        if not self.table[self.customer].type().is_string():  # numbers as ids: their digits, no case and no leading zeros
            return
        rows, lookup = self._near_candidates()
        # one non-ASCII id alone may still share its casefolded key with ASCII ids ("Straße" / "STRASSE")
        if not rows or (len(rows) < 2 and not rows[0]["other"]):
            return
        ids = {r["c"] for r in rows}
        others = [r["c"] for r in rows if r["other"]]
        if others:  # an ASCII id whose key a non-ASCII id casefolds to ("SS" and "ß")
            keys = sorted({key for key in near_duplicate_keys(others) if key.isascii()})
            if keys:
                ids.update(lookup(keys))
        pool = sorted(ids)
        groups = near_duplicates(np.array(pool, dtype=object))
        if not groups:
            return
        names = [pool[i] for g in groups for i in g]
        first: dict[str, int] = {}
        f = self._flags
        if "pos" in f.columns:  # each id's first row reported, for the order and the examples (the numpy path's)
            last = self.first_month + self.n_months - 1
            used = f.filter(f.m.notnull() & (f.m <= last) & f.c.isin(names))  # a second read, only for the message
            hits = used.group_by("c").aggregate(first=used.pos.min())
            first = {r["c"]: int(r["first"]) for r in hits.to_pyarrow().to_pylist()}
        # in the order the numpy path finds them: ids in order of first appearance (else of the ids)
        names.sort(key=lambda i: (first.get(i, 0), i))
        ordered = np.array(names, dtype=object)
        groups = near_duplicates(ordered)

        def named(i: int) -> str:
            who = ordered[i]
            return f"{who!r} ({row_label(self.first_row + first[who], self.sheet)})" if first else repr(who)

        add_near_duplicate_ids(checks, len(groups), [" / ".join(named(i) for i in g) for g in groups])

    def _near_candidates(self) -> tuple[list[dict], Callable[[list[str]], list[str]]]:
        """The ids :meth:`_check_near_duplicate_ids` looks at (``{"c": id, "other": not ASCII}``): the ASCII
        ids whose key another ASCII id shares, and every id that is not ASCII; with a function giving the
        distinct reported ASCII ids of some keys (:func:`_near_keys`), for the casefolded lookups.

        Over the distinct reported customers, not every row of the source. Only the keys that some id differs from
        can be shared (``"acme"`` alone is its own key; two distinct ids of one key cannot both equal
        it): so the database groups only those, and usually returns nothing. The customer-month plan
        has every customer's first row; the rows plan listed only the ids that differ from their key or
        are not ASCII (:meth:`_rows_query`), so the one partner each key can have besides them, the id
        equal to the key, is looked up in the source, and only when it listed some.
        """
        if self._rows_table is None:
            cm = self._cm
            k = _near_keys(cm.filter(cm.first_of_c & cm.in_range).select("c"))
            plain = k.filter(k.ascii)
            others = k.filter(~k.ascii)

            def lookup(keys: list[str]) -> list[str]:
                return plain.filter(plain.key.isin(keys)).select("c").to_pyarrow().column("c").to_pylist()
        else:
            t = self._rows_table
            odd = _near_keys(t.select(c=t.odd.unnest()))  # (each id once: of its first row)
            if not odd.count().to_pyarrow().as_py():
                return [], lambda keys: []
            f = self._flags
            reported = f.filter(self._in_range(f.m)).select("c")
            listed = odd.filter(odd.ascii).select("c", "key")
            partners = reported.semi_join(listed, reported.c == listed.key).distinct()
            plain = listed.union(partners.select("c", key=partners.c))
            others = odd.filter(~odd.ascii)

            def lookup(keys: list[str]) -> list[str]:
                own = reported.filter(reported.c.isin(keys)).distinct()  # (an id equal to its key)
                got = listed.filter(listed.key.isin(keys)).select("c").union(own, distinct=True)
                return got.to_pyarrow().column("c").to_pylist()
        changed = plain.filter(plain.c != plain.key).select("key")
        shared = plain.semi_join(changed, "key")
        shared = shared.group_by("key").aggregate(ids=shared.count())
        shared = shared.filter(shared.ids > 1).select("key")
        found = plain.semi_join(shared, "key").select("c", other=ibis.literal(False)).union(
            others.select("c", other=ibis.literal(True)))
        return found.to_pyarrow().to_pylist(), lookup

    @property
    def backend(self) -> str:
        """The Ibis backend that computes (``"duckdb"``, ``"pyspark"`` ...)."""
        return self.table.get_backend().name

    def month_starts(self) -> np.ndarray:
        return months_to_timestamps(self.first_month + np.arange(self.n_months))

    def sequence(self):
        """Each active customer-month (MRR > 0, in the report) with its customer's previous / next active
        month and MRR, its cohort and its MRR :data:`TRAILING_WINDOW` months later.

        A view of the materialised customer-month table (its window columns: one sort of the data), with
        months counted from the report's first month (0) and the MRR rounded by the money rule. The
        bridge, the cohorts, the trailing retention and the movements read it.
        """
        cm, first = self._cm, self.first_month
        a = cm.filter(cm.active)
        return a.select(c=a.c, m=a.m - first, v=a.r, prev_m=a.prev_m - first, prev_v=a.prev_v,
                        next_m=a.next_m - first, cohort=a.cohort - first, later=a.later)

    def summary(self) -> pd.DataFrame:
        """Per (month, cohort): customers, MRR, the movements and the trailing retention's totals of
        :data:`TRAILING_WINDOW` (``t_*``, over the base months m with m + window in the report): behind
        bridge, cohorts, movement counts and the Retention sheet's trailing table. Computed by the rows plan's
        query (:meth:`_rows_plan`) or by the checks query (:meth:`_run_checks`), in the same scan of the
        customer-month table."""
        return self._summary

    #: The summary's columns: counts (the rest are money).
    _SUMMARY_COUNTS = ("customers", "reactivated", "expanding", "contracting", "churning", "t_base_customers",
                       "t_retained_customers")

    @staticmethod
    def _summary_keys(s) -> dict:
        """What the summary tells apart in an active customer-month, as small group keys (null for the
        other rows): ``mk`` its movement (0 new or flat, 1 reactivation, 2 expansion, 3 contraction), ``ck``
        whether the customer churns after it, ``tk`` its MRR :data:`TRAILING_WINDOW` months later (0 none,
        1 more, 2 less, 3 the same). Grouped by these, the summary needs plain sums only (five, where a
        filtered aggregate per total cost the query twice as much)."""
        consecutive = s.prev_m == s.m - 1
        delta = s.r - s.prev_v
        change = s.later - s.r
        mk = ibis.cases((s.prev_m < s.m - 1, 1), (consecutive & (delta > 0), 2), (consecutive & (delta < 0), 3),
                        else_=0)
        ck = ibis.ifelse(s.next_m.isnull() | (s.next_m > s.m + 1), 1, 0)
        tk = ibis.cases((s.later.isnull(), 0), (change > 0, 1), (change < 0, 2), else_=3)
        none = ibis.null().cast("int8")
        keys = {"mk": mk, "ck": ck, "tk": tk}
        return {k: ibis.ifelse(s.active, v.cast("int8"), none).name(k) for k, v in keys.items()}

    @staticmethod
    def _summary_sums(s) -> dict:
        """The sums per group of :meth:`_summary_keys`: rows, MRR, change from the previous month, MRR
        :data:`TRAILING_WINDOW` months later and its change."""
        return dict(s_n=s.count(), s_r=s.r.sum(), s_delta=(s.r - s.prev_v).sum(), s_later=s.later.sum(),
                    s_change=(s.later - s.r).sum())

    def _summary_of(self, got: pd.DataFrame) -> pd.DataFrame:
        """The summary frame from the checks query's groups of active customer-months: per (month, cohort),
        counted from the report's first month, the totals of each kind (the trailing ones for the base
        months only: m + window in the report)."""
        mk, ck, tk = (got[k].to_numpy(dtype=np.int64) for k in ("mk", "ck", "tk"))
        n = got["s_n"].to_numpy(dtype=float)
        r, delta, later, change = (got[c].fillna(0.0).to_numpy(dtype=float)
                                   for c in ("s_r", "s_delta", "s_later", "s_change"))
        zero = np.zeros_like(r)
        parts = {
            "customers": n, "mrr": r,
            "reactivated": np.where(mk == 1, n, zero), "reactivation_mrr": np.where(mk == 1, r, zero),
            "expanding": np.where(mk == 2, n, zero), "expansion_mrr": np.where(mk == 2, delta, zero),
            "contracting": np.where(mk == 3, n, zero), "contraction_mrr": np.where(mk == 3, -delta, zero),
            "churning": np.where(ck == 1, n, zero), "churning_mrr": np.where(ck == 1, r, zero),
            "t_base_customers": n, "t_retained_customers": np.where(tk > 0, n, zero),
            "t_base_mrr": r, "t_retained_mrr": np.where(tk > 0, later, zero),
            "t_expansion": np.where(tk == 1, change, zero), "t_contraction": np.where(tk == 2, -change, zero),
            "t_churned": np.where(tk == 0, r, zero),
        }
        keys = pd.DataFrame({"m": got["m"].to_numpy(dtype=np.int64) - self.first_month,
                             "cohort": got["cohort"].to_numpy(dtype=np.int64) - self.first_month})
        out = pd.concat([keys, pd.DataFrame(parts)], axis=1).groupby(["m", "cohort"], as_index=False, sort=True).sum()
        money = [c for c in parts if c not in self._SUMMARY_COUNTS]
        out[money] = out[money] + 0.0  # a negated 0 is -0.0: 0.0 in the report, as the numpy path's
        out[list(self._SUMMARY_COUNTS)] = np.rint(out[list(self._SUMMARY_COUNTS)].to_numpy()).astype(np.int64)
        out["m"], out["cohort"] = out["m"].astype(np.int64), out["cohort"].astype(np.int64)
        outside = (out["m"] + TRAILING_WINDOW >= self.n_months).to_numpy()  # not a base month
        trailing = [f"t_{k}" for k in TRAILING_TOTALS]
        out.loc[outside, trailing] = 0
        return out[["m", "cohort", *parts]].reset_index(drop=True)

    # ---------------------------------------------------------- the analyses

    def bridge(self) -> pd.DataFrame:
        """:func:`xl_kpi.ledger.mrr_bridge` of this ledger (same columns, dtypes and numbers)."""
        s, n = self.summary(), self.n_months
        m = s["m"].to_numpy()
        new = (s["m"] == s["cohort"]).to_numpy()

        def per_month(col, mask=None):
            w = s[col].to_numpy(dtype=float)
            if mask is not None:
                w = np.where(mask, w, 0.0)
            return np.bincount(m, weights=w, minlength=n)[:n]

        churning = per_month("churning_mrr"), per_month("churning")
        totals = {
            "new_mrr": per_month("mrr", new),
            "expansion_mrr": per_month("expansion_mrr"),
            "reactivation_mrr": per_month("reactivation_mrr"),
            "contraction_mrr": per_month("contraction_mrr"),
            # a customer last active in m - 1 churns in m; churn after the last month is outside the report
            "churned_mrr": np.r_[0.0, churning[0][:-1]] if n else churning[0],
            "ending_mrr": per_month("mrr"),
            "new_customers": per_month("customers", new),
            "reactivated_customers": per_month("reactivated"),
            "churned_customers": np.r_[0.0, churning[1][:-1]] if n else churning[1],
            "customers_end": per_month("customers"),
        }
        totals = {k: (np.rint(v).astype(np.int64) if "customers" in k else v) for k, v in totals.items()}
        assert set(totals) == set(BRIDGE_TOTALS)
        return bridge_from_totals(self.month_starts(), totals)

    def cohort_matrix(self, basis: str = "logo") -> pd.DataFrame:
        """:func:`xl_kpi.ledger.cohort_matrix`: customers ("logo") or MRR ("revenue") per cohort and age."""
        b = check_basis(basis)
        s = self.summary()
        cohorts = np.unique(s["cohort"].to_numpy())
        ages = self.n_months - (int(cohorts[0]) if cohorts.size else self.n_months)
        grid = np.zeros((cohorts.size, ages))
        rank = np.searchsorted(cohorts, s["cohort"].to_numpy())
        values = s["mrr" if b == "revenue" else "customers"].to_numpy(dtype=float)
        np.add.at(grid, (rank, s["m"].to_numpy() - s["cohort"].to_numpy()), values)
        return cohort_frame(grid, cohorts, self.first_month, self.n_months)

    def cohorts(self, basis: str = "logo") -> pd.DataFrame:
        """:func:`xl_kpi.ledger.cohort_retention`: each cohort row divided by its age 0."""
        return retention(self.cohort_matrix(basis))

    def trailing_retention(self, window: int = 12) -> pd.DataFrame:
        """:func:`xl_kpi.ledger.trailing_retention`: each base month's customers looked up ``window`` months later.

        Over each customer's active months in order, a RANGE frame on the month
        (``window`` FOLLOWING to ``window`` FOLLOWING: the row of month m + window,
        if active) gives each base month's MRR ``window`` months later, no
        self-join. For :data:`TRAILING_WINDOW` the customer-month table holds it
        already (computed in its one sort) and the summary query totals it (no
        query here); another window is one more sort of the active
        customer-months. Totalled per measured month (m + window).
        """
        w, n = check_window(window), self.n_months
        if w == TRAILING_WINDOW:  # totalled by the summary query already
            got = self.summary()
            got = got[(got["m"] + w < n).to_numpy()].rename(columns={f"t_{k}": k for k in TRAILING_TOTALS})
            got = got.assign(target=got["m"] + w)
            return self._trailing_frame(got, w)
        s = self.sequence()
        later = s.v.first().over(ibis.window(group_by=s.c, order_by=s.m, range=(w, w)))
        j = s.select(m=s.m, v=s.v, v_later=later)
        j = j.filter(j.m + w < n)
        found = j.v_later.notnull()
        after = j.v_later.fill_null(0.0)
        change = after - j.v
        zero = ibis.literal(0.0)
        q = j.group_by(target=j.m + w).aggregate(
            base_customers=j.count(),
            retained_customers=j.count(where=found),
            base_mrr=j.v.sum(),
            retained_mrr=after.sum(),
            expansion=ibis.ifelse(found & (change > 0), change, zero).sum(),
            contraction=ibis.ifelse(found & (change < 0), -change, zero).sum(),
            churned=ibis.ifelse(found, zero, j.v).sum(),
        )
        return self._trailing_frame(q.to_pyarrow().to_pandas(), w)

    def _trailing_frame(self, got: pd.DataFrame, w: int) -> pd.DataFrame:
        """The trailing table from per-target totals (``target``: m + window; several rows may share one)."""
        n = self.n_months
        target = got["target"].to_numpy(dtype=np.int64)
        totals = {k: np.bincount(target, weights=got[k].fillna(0).to_numpy(dtype=float), minlength=n)[:n]
                  for k in TRAILING_TOTALS}
        return trailing_from_totals(self.month_starts(), totals, w)

    def movements_expr(self, months: Any = None):
        """The movements as an Ibis expression (month as a month number), to keep them in the database.

        ``months``: only those months (month numbers, 0 = the first month).

        ``movements_expr().to_parquet(path)`` writes a drill-down of any size
        without bringing it into Python.
        """
        return _listed(_movement_rows(self.sequence(), self.n_months), months)

    def movement_counts(self) -> np.ndarray:
        """The movements of each month of the report (0 = the first), from the summary (no query): new,
        reactivation, expansion and contraction in m, churn in m of the customers last active in m - 1."""
        s, n = self.summary(), self.n_months
        m = s["m"].to_numpy()
        moved = (s["m"] == s["cohort"]) * s["customers"] + s["reactivated"] + s["expanding"] + s["contracting"]
        counts = np.bincount(m, weights=moved.to_numpy(dtype=float), minlength=n)[:n]
        churn = np.bincount(m + 1, weights=s["churning"].to_numpy(dtype=float), minlength=n + 1)[:n]
        return np.rint(counts + churn).astype(np.int64)  # a churn is reported the month after the last active one

    def movement_months(self) -> np.ndarray:
        """The report's months (0 = the first) in which some customer's MRR moved, from the summary (no query)."""
        return np.flatnonzero(self.movement_counts() > 0).astype(np.int64)

    def movements(self, latest: int | None = None, rows: int | None = None) -> pd.DataFrame:
        """:func:`xl_kpi.ledger.mrr_movements`: one row per customer and month in which its MRR moved.

        ``latest``: only the movements of the last ``latest`` months in which
        something moved (what the MRR Movements sheet lists): the database
        filters, so the result is the size of those months, not of the data.
        ``rows`` (with ``latest``): only what a table of that many rows lists
        (:func:`xl_kpi.ledger.movements.listed_months`: whole months, latest
        first, or the latest month's ``rows`` largest changes: an ``ORDER BY``
        with a ``LIMIT``); ``attrs["month_counts"]`` then holds each of the
        latest months' movements (counted from the summary), for the table's
        title. Without ``latest``, the result has a row per movement of every
        month (the size of the data); see :meth:`movements_expr` to keep that
        in the database.
        """
        keep, limit, counts = None, None, None
        if latest is not None:
            moved = self.movement_months()
            keep = moved[max(len(moved) - int(latest), 0):]
            if rows is not None:
                from xl_kpi.ledger.movements import listed_months

                counts = pd.Series(self.movement_counts()[keep], index=months_to_timestamps(self.first_month + keep))
                kept, cut = listed_months(counts, int(rows))
                keep = keep[counts.index.isin(kept)]
                limit = int(rows) if cut else None
        kept = self._rows_table
        if kept is not None and keep is not None and (not len(keep) or keep.min() >= self.n_months - MOVEMENT_MONTHS):
            # the rows plan's query kept the latest months' movements: no second pass over the data
            expr = _listed(_movement_rows(self._kept_rows(), self.n_months), keep)
        else:
            expr = self.movements_expr(keep)
        got = (expr if limit is None else expr.limit(limit)).to_pyarrow().to_pandas()
        month = got["month"].to_numpy(dtype=np.int64)
        kinds = got["kind"].to_numpy(dtype=np.int64)
        frame = pd.DataFrame({
            "month": months_to_timestamps(self.first_month + month),
            # object columns, as the numpy path's (pandas 3 would infer its string dtype)
            "customer": pd.Series(got["customer"].to_numpy(dtype=object), dtype=object),
            "movement": pd.Series(np.asarray(MOVEMENTS, dtype=object)[kinds], dtype=object),
            "mrr_before": got["mrr_before"].to_numpy(dtype=float),
            "mrr_after": got["mrr_after"].to_numpy(dtype=float),
            "change": got["change"].to_numpy(dtype=float),
        }, columns=list(MOVEMENT_COLUMNS))
        if counts is not None:
            frame.attrs["month_counts"] = counts
        return frame

    def rollup(self, period: str = "quarter", fiscal_year_start: int = 1) -> pd.DataFrame:
        """:func:`xl_kpi.ledger.rollup` of the bridge (quarters or years; from the small bridge frame)."""
        return rollup(self.bridge(), period, fiscal_year_start)

    def cohort_sizes(self, period: str = "month", fiscal_year_start: int = 1) -> pd.DataFrame:
        """:func:`xl_kpi.ledger.cohort_sizes`: customers and starting MRR of each cohort (by month, quarter, year)."""
        p, fys = check_period(period), check_fiscal_year_start(fiscal_year_start)
        s = self.summary()
        start = s[s["m"] == s["cohort"]]  # age 0: the cohort's new customers and their MRR
        keys, period_first = period_keys(self.first_month + start["cohort"].to_numpy(dtype=np.int64), p, fys)
        cohorts, inverse = np.unique(keys, return_inverse=True)
        starts = period_first[np.unique(inverse, return_index=True)[1]] if cohorts.size else period_first[:0]
        customers = np.bincount(inverse, weights=start["customers"].to_numpy(dtype=float), minlength=cohorts.size)
        mrr = round_money_np(np.bincount(inverse, weights=start["mrr"].to_numpy(dtype=float), minlength=cohorts.size))
        index = pd.DatetimeIndex(months_to_timestamps(starts), name="cohort")
        return pd.DataFrame({"customers": np.rint(customers).astype(np.int64), "starting_mrr": mrr}, index=index)

    def monthly_kpis(self) -> pd.DataFrame:
        """:func:`xl_kpi.ledger.monthly_kpis` of the bridge."""
        return monthly_kpis(self.bridge())

    def __repr__(self) -> str:
        return (f"<IbisLedger on {self.backend}: {self.n_rows} rows, {self.n_customers} customers, "
                f"{self.n_months} months>")


def _movement_rows(s, n: int):
    """The movements of a sequence ``s`` (active customer-months: ``c, m, v, prev_m, prev_v, next_m``, months
    counted from the report's first, ``n`` of them): month, customer, movement (an index of
    :data:`~xl_kpi.ledger.movements.MOVEMENTS`), MRR before and after; in no order (:func:`_listed`)."""
    consecutive = (s.prev_m == s.m - 1).fill_null(False)
    delta = s.v - s.prev_v
    kind = ibis.cases(
        (s.prev_m.isnull(), MOVEMENTS.index("new")),
        (s.prev_m < s.m - 1, MOVEMENTS.index("reactivation")),
        (consecutive & (delta > 0), MOVEMENTS.index("expansion")),
        (consecutive & (delta < 0), MOVEMENTS.index("contraction")),
        else_=-1,
    )
    # both halves of the union typed alike (a materialised month column has its own integer width)
    moved = s.select(month=s.m.cast("int64"), customer=s.c, kind=kind.cast("int64"),
                     mrr_before=ibis.ifelse(consecutive, s.prev_v, 0.0).cast("float64"), mrr_after=s.v.cast("float64"))
    moved = moved.filter(moved.kind >= 0)
    churns = (s.next_m.isnull() | (s.next_m > s.m + 1)) & (s.m + 1 < n)
    churned = s.filter(churns).select(month=(s.m + 1).cast("int64"), customer=s.c,
                                      kind=ibis.literal(MOVEMENTS.index("churn")).cast("int64"),
                                      mrr_before=s.v.cast("float64"), mrr_after=ibis.literal(0.0).cast("float64"))
    return moved.union(churned)


def _listed(moves, months: Any = None):
    """Movements (:func:`_movement_rows`) of ``months`` only (month numbers; None: all), with their change, in
    the numpy path's order: month, the largest move first, movement type, then the customer id."""
    if months is not None:
        keep = [int(k) for k in months]
        # before the ORDER BY, which stays last (a filter over an ordered subquery may lose the order)
        moves = moves.filter(moves.month.isin(keep) if keep else ibis.literal(False))
    moves = moves.mutate(change=moves.mrr_after - moves.mrr_before, customer=_id_text(moves.customer))
    return moves.order_by([moves.month, (-moves.change.abs()), moves.kind, moves.customer])


def _id_text(c):
    """A number id column as the numpy path names its ids (:func:`xl_kpi.ledger.ids.normalise_id`): text, a
    whole number without a decimal point (9.0 is "9"); text ids as they are. Equal changes are then listed in
    the id's text order ("10" before "9"), as in memory."""
    kind = c.type()
    if kind.is_integer():
        return c.cast("string")
    if kind.is_floating():  # (a whole number past 2^63 keeps the database's own spelling)
        whole = (c == c.floor()) & (c.abs() < 2.0 ** 63)
        return ibis.ifelse(whole, c.cast("int64").cast("string"), c.cast("string"))
    return c


def _near_keys(customers):
    """Distinct ids (column ``c``, text) with the key that near-duplicates share (``key``: SQL's ``lower``, a
    number's leading zeros cut) and whether the id is ASCII (``ascii``; the others are casefolded in Python)."""
    key, ascii = _near_key(customers.c)
    return customers.mutate(key=key, ascii=ascii)


def _near_key(c):
    """The near-duplicate key of the id ``c`` (:func:`_near_keys`) and whether ``c`` is ASCII."""
    zeros = c.re_replace("^0+", "")
    number = ibis.ifelse(zeros == "", "0", zeros)
    return ibis.ifelse(c.re_search("^[0-9]+$"), number, c.lower()), ~c.re_search("[^\\x00-\\x7f]")


def _may_have_near_duplicate(c):
    """Whether the id ``c`` differs from its near-duplicate key or is not ASCII (:func:`_near_keys`): an id
    equal to its key (``"acme"``) can only be the near duplicate of one that is not (``"Acme"``)."""
    key, ascii = _near_key(c)
    return (~ascii | (key != c)).fill_null(False)


def _drop_quietly(backend, name: str) -> None:
    """Drop a temporary table (at interpreter exit the connection may be closed already: nothing to drop)."""
    try:
        backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
    except Exception:  # noqa: BLE001 - a finaliser must not raise; a closed connection dropped its tables
        pass


def _month_text(month: int) -> str:
    return str(np.datetime64("1970-01", "M") + month)
