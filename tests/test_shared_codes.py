"""The refresh factorises the id column once and shares the codes: they give exactly what each step gave alone.

* :func:`xl_kpi.cells.blank_mask_of_codes` (the blank cells of a column from its factorisation) is
  :func:`xl_kpi.cells.is_blank` on every cell;
* :func:`xl_kpi.ledger.ids.parse_ids` given the factorisation is parse_ids without it, and both are the
  former implementation written out here (a loop over the distinct ids, a regular expression for each);
* :func:`xl_kpi.refresh.pipeline.filled_rows` through the codes and :func:`has_filled_row` agree with a
  row-by-row count; validation given the codes refuses, warns and counts as without them;
* through the pipeline on a table read as one array (as calamine's is): the stamp's "Rows read", the
  bridge and the data checks are those of the same ledger analysed without any sharing.

Hostile values throughout: surrounding and Unicode spaces, case, numbers and whole-number text as ids,
booleans, error literals, blanks of every kind, Decimal NaN (missing to pandas, not blank to a reader).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import random
import re

import numpy as np
import pandas as pd
import pytest

from xl_kpi.cells import ERROR_LITERALS, blank_mask_of_codes, is_blank
from xl_kpi.errors import UserError
from xl_kpi.ledger.formats import CUSTOMER, LEDGER_HEADERS, MONTH, MRR, get_format, grid, ledger_frame
from xl_kpi.ledger.prepared import Ledger
from xl_kpi.ledger.ids import _Bool, normalise_id, parse_ids
from xl_kpi.ledger.raw import GridRows, RawTable
from xl_kpi.ledger.validation import LedgerError, ledger_codes
from xl_kpi.refresh.pipeline import filled_rows, has_filled_row, run, shared_id_codes, table_codes


class Text(str):
    """A str subclass, as some readers return."""


#: Cells of every kind a reader hands over, the blank ones of every kind among them.
CELLS = [None, "", " ", "\t\n", "\xa0", "\u3000", "x", " x ", "X", "0", "007", "7", "7.0", "7.", "7.50", "-7",
         0.0, -0.0, 1.5, 7.0, float("nan"), float("inf"), np.float64("nan"), np.float32("nan"), np.float64(7), 3, 7,
         True, False, np.bool_(True), np.int64(7), dt.date(2024, 1, 1), dt.datetime(2024, 1, 1), pd.NA, pd.NaT,
         np.datetime64("NaT"), np.timedelta64("NaT"), decimal.Decimal("NaN"), decimal.Decimal("7"), Text(" "),
         Text("x"), b"", "stra\u00dfe", "STRASSE", "\u212a", "k", "\u0661\u0662", *sorted(ERROR_LITERALS)]


def column(values) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def samples(seed: int, n: int = 300, pool=CELLS):
    rng = random.Random(seed)
    for _ in range(n):
        yield column([rng.choice(pool) for _ in range(rng.randrange(0, 40))])


# --------------------------------------------------------------------------- blank cells from the codes


def test_blank_mask_of_codes_is_is_blank_on_every_cell():
    for values in samples(1):
        assert blank_mask_of_codes(values, *pd.factorize(values)).tolist() == [is_blank(v) for v in values], \
            values.tolist()
    nan_only = column([decimal.Decimal("NaN"), None, np.timedelta64("NaT")])  # missing to pandas, not all blank
    assert blank_mask_of_codes(nan_only, *pd.factorize(nan_only)).tolist() == [False, True, False]


# --------------------------------------------------------------------------- parse_ids with the codes given

_WHOLE_TEXT = re.compile(r"([+-]?\d+)\.0*")


def parse_ids_before(s: pd.Series, merge_case: bool = False):
    """parse_ids as it was: the spelling shown by a loop, the pattern tried on every distinct id."""
    values = s.astype(object).to_numpy() if not s.dtype == object else s.to_numpy()
    if pd.api.types.infer_dtype(values, skipna=True) in ("boolean", "mixed", "mixed-integer", "mixed-integer-float"):
        values = np.array([_Bool(v) if isinstance(v, (bool, np.bool_)) else v for v in values], dtype=object)
    codes, uniq = pd.factorize(values)
    uniq = np.asarray(uniq, dtype=object)
    if all(type(v) is str for v in uniq):
        stripped = [v.strip() for v in uniq]
        norm = [(m.group(1) if (m := _WHOLE_TEXT.fullmatch(t)) else t) if t else None for t in stripped]
    else:
        norm = [normalise_id(v) for v in uniq]
    bad_u = np.array([v is False for v in norm], bool)
    blank_u = np.array([v is None for v in norm], bool)
    keys = [v if isinstance(v, str) else None for v in norm]
    if merge_case:
        keys = [k.casefold() if k is not None else None for k in keys]
    new_codes, new_uniq = pd.factorize(pd.Series(keys, dtype=object)) if len(keys) else (np.zeros(0, np.int64), [])
    shown = np.empty(len(new_uniq), dtype=object)
    for k in range(len(keys) - 1, -1, -1):
        if new_codes[k] >= 0:
            shown[new_codes[k]] = norm[k]
    row_codes = np.where(codes >= 0, np.r_[new_codes, -1][np.where(codes >= 0, codes, len(new_codes))], -1)
    blank = (codes < 0) | np.r_[blank_u, True][np.where(codes >= 0, codes, len(blank_u))]
    bad = np.r_[bad_u, False][np.where(codes >= 0, codes, len(bad_u))]
    return row_codes.astype(np.int64), shown, blank, bad


def same_ids(got, want) -> bool:
    codes, shown, blank, bad = want
    return (got.codes.tolist() == codes.tolist() and list(got.uniques) == list(shown)
            and got.blank.tolist() == blank.tolist() and got.bad.tolist() == bad.tolist())


@pytest.mark.parametrize("merge_case", [False, True])
def test_parse_ids_given_the_codes_is_parse_ids_and_as_before(merge_case):
    text_ids = [v for v in CELLS if isinstance(v, str)] + ["a ", " a", "A", "12.0", "12.00", "+12.0", "1.2.0"]
    for pool in (CELLS, text_ids):
        for values in samples(2 + merge_case, pool=pool):
            s = pd.Series(values, dtype=object)
            want = parse_ids_before(s, merge_case)
            alone = parse_ids(s, merge_case)
            given = parse_ids(s, merge_case, pd.factorize(values))
            assert same_ids(alone, want) and same_ids(given, want), values.tolist()
            assert given.raw[0].tolist() == alone.raw[0].tolist()
    # booleans: factorize takes True for 1, so the codes given are not used (True is refused, 1 is an id)
    s = pd.Series([True, 1, "1", 1.0], dtype=object)
    ids = parse_ids(s, factorized=pd.factorize(s.to_numpy()))
    assert ids.bad.tolist() == [True, False, False, False] and list(ids.uniques) == ["1"]
    with pytest.raises(ValueError, match="2 codes for 3 ids"):
        parse_ids(pd.Series(["a", "b", "c"], dtype=object), factorized=pd.factorize(np.array(["a", "b"], object)))


def hostile_ledgers(seed: int, n: int = 150):
    """Ledger frames that validation refuses for many reasons, warns about, or reads."""
    rng = random.Random(seed)
    ids = ["a", "a ", "A", "00123", "123", 123, 123.0, "123.0", "stra\u00dfe", "STRASSE", "x", None, "", " ",
           True, "#N/A", float("nan"), "\u00a0b\u00a0", "b"]
    months = ["2024-01-01", dt.date(2024, 2, 1), dt.datetime(2024, 3, 5), 45383, None, "2024-05-01", "#REF!"]
    amounts = [10.0, 20.0, 0.0, -5.0, "$30", None, "", "n/a", 1e308]
    for _ in range(n):
        rows = rng.randrange(1, 25)
        blank_row = [None, None, None]
        data = [blank_row if rng.random() < 0.1 else
                [rng.choice(ids if rng.random() < 0.3 else ids[:10]), rng.choice(months if rng.random() < 0.2 else
                 months[:4]), rng.choice(amounts if rng.random() < 0.2 else amounts[:3])] for _ in range(rows)]
        yield pd.DataFrame({"c": column([r[0] for r in data]), "m": column([r[1] for r in data]),
                            "v": column([r[2] for r in data])})


def outcome(df: pd.DataFrame, **options):
    """What validation says: its refusal, or the codes, customers, months, amounts, rows read and checks."""
    try:
        p = ledger_codes(df, "c", "m", "v", sheet="Data", **options)
    except LedgerError as exc:
        return ("refused", str(exc), exc.row, exc.column)
    return ("read", p.customer.tolist(), list(p.customers), p.month.tolist(), p.mrr.tolist(), p.first_month,
            p.n_months, p.rows_read, p.checks.lines())


@pytest.mark.parametrize("merge_case", [False, True])
def test_validation_given_the_codes_refuses_warns_and_reads_as_without(merge_case):
    seen = set()
    for df in hostile_ledgers(10 + merge_case):
        want = outcome(df, merge_case=merge_case)
        got = outcome(df, merge_case=merge_case, factorized={"c": pd.factorize(df["c"].to_numpy())})
        assert got == want, df.to_dict("list")
        seen.add(want[0] if want[0] == "read" else want[1].split(": ", 1)[1][:25])
    assert "read" in seen and len(seen) > 4  # the hostile ledgers reach several refusals, and some are read


# --------------------------------------------------------------------------- the blank-row count


def rows_by_hand(rows) -> int:
    return sum(not all(is_blank(v) for v in row) for row in rows)


def test_filled_rows_through_the_codes_and_has_filled_row_count_as_by_hand():
    rng = random.Random(4)
    blanks = [v for v in CELLS if is_blank(v)] + [decimal.Decimal("NaN")] * 2
    for _ in range(200):
        width, n = rng.randrange(1, 4), rng.randrange(0, 30)
        pool = blanks if rng.random() < 0.5 else CELLS
        rows = [[rng.choice(pool) for _ in range(width)] for _ in range(n)]
        cells = np.empty((n, width), dtype=object)
        for i, row in enumerate(rows):
            cells[i, :] = row
        want = rows_by_hand(rows)
        header = [f"h{j}" for j in range(width)]
        assert filled_rows(RawTable(header, rows)) == want
        for j in range(width):
            table = RawTable(header, GridRows(cells))
            assert filled_rows(table, {j: pd.factorize(cells[:, j])}) == want, rows
        assert has_filled_row(RawTable(header, rows)) == (want > 0)
    # a long table: blank but for its last row, or blank throughout (blocks that double reach the end)
    tall = [[None, " "]] * 5000
    assert not has_filled_row(RawTable(["a", "b"], tall)) and has_filled_row(RawTable(["a", "b"], tall + [[None, 0]]))


# --------------------------------------------------------------------------- through the pipeline


class MemorySource:
    label = "memory"

    def __init__(self, table: RawTable):
        self.table = table

    def table_names(self):
        return [self.table.table]

    def read_table(self, name):
        return self.table


class KeepReport:
    def inventory(self):
        from xl_kpi.refresh.ownership import Inventory

        return Inventory("test", [], [], [], None)

    def write(self, report, plan, progress=None):
        self.report = report


def ledger_table(seed: int, as_grid: bool) -> tuple[RawTable, list[list]]:
    """A Ledger table with a Notes column: blank rows of every kind, rows with only a note (blank to the
    ledger, filled to the count), ids with spaces, case and whole-number text."""
    rng = random.Random(seed)
    ids = ["a", "a ", "A", " b", "00123", "123", "123.0", "\u00a0c", "stra\u00dfe", "STRASSE"]
    rows = []
    for _ in range(300):
        r = rng.random()
        if r < 0.1:
            rows.append([rng.choice([None, "", " ", float("nan")]) for _ in range(3)] + [None])
        elif r < 0.15:
            rows.append([None, " ", None, "a note"])
        else:
            rows.append([rng.choice(ids), dt.datetime(2024, rng.randrange(1, 13), rng.randrange(1, 28)),
                         float(rng.randrange(0, 300)), rng.choice([None, "n"])])
    header = ["Customer ID", "Month", "MRR", "Notes"]
    body = GridRows(np.array(rows, dtype=object)) if as_grid else rows
    return RawTable(header, body, first_row=5, sheet="Data", table="Ledger"), rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_refresh_shares_the_codes_and_reports_as_without(seed):
    table, rows = ledger_table(seed, as_grid=True)
    result = run(MemorySource(table), KeepReport())
    assert table_codes(table), "the id codes were shared with the blank-row count"
    assert result.stamp["Rows read"] == rows_by_hand(rows)
    # the same ledger, analysed without any sharing: a frame of its own, validation factorising itself
    frame = pd.DataFrame({h: column([r[k] for r in rows]) for k, h in enumerate(LEDGER_HEADERS)})
    alone = ledger_codes(frame, CUSTOMER, MONTH, MRR, first_row=5, sheet="Data",
                         locate=lambda pos: table.row_label(5 + pos))
    pd.testing.assert_frame_equal(result.bridge, Ledger(alone).bridge())
    assert (result.customers, result.ledger_rows) == (alone.n_customers, len(alone.mrr))
    assert result.data_checks.lines() == alone.checks.lines()
    # and the rows as lists (another source): the same report, the count made without the codes
    listed, _ = ledger_table(seed, as_grid=False)
    again = run(MemorySource(listed), KeepReport())
    assert not table_codes(listed)
    assert again.stamp["Rows read"] == result.stamp["Rows read"]
    pd.testing.assert_frame_equal(again.bridge, result.bridge)
    assert again.checks == result.checks


def test_only_the_same_cells_are_shared_with_the_count():
    table, _ = ledger_table(5, as_grid=True)
    fmt = get_format("ledger")
    df = ledger_frame(table, fmt)
    codes = shared_id_codes(table, fmt, df)[CUSTOMER]
    assert table_codes(table)[0] is codes
    copied = df.assign(**{CUSTOMER: pd.Series(df[CUSTOMER].to_numpy().copy(), dtype=object)})  # other memory
    other, _ = ledger_table(5, as_grid=True)
    assert shared_id_codes(other, fmt, copied)[CUSTOMER][0].tolist() == codes[0].tolist()
    assert not table_codes(other)  # validation reads them; the count does not trust another array


def test_a_refusal_is_worded_as_without_the_codes():
    table, rows = ledger_table(6, as_grid=True)
    rows[40] = [" ", dt.datetime(2024, 1, 1), 5.0, None]  # a blank id in a filled row
    bad = RawTable(table.header, GridRows(np.array(rows, dtype=object)), first_row=5, sheet="Data", table="Ledger")
    with pytest.raises(UserError) as shared:
        run(MemorySource(bad), KeepReport())
    frame = pd.DataFrame({h: column([r[k] for r in rows]) for k, h in enumerate(LEDGER_HEADERS)})
    with pytest.raises(LedgerError) as alone:
        ledger_codes(frame, CUSTOMER, MONTH, MRR, first_row=5, sheet="Data")
    assert str(shared.value) == str(alone.value) == \
        "Sheet 'Data', row 45, column 'Customer ID': the customer id is blank (only completely blank rows are skipped)"
    assert math.isclose(len(grid(bad)), 300)


# --------------------------------------------------------------------------- error literals through the codes


def check_errors_before(self, columns, factorized=None, no_text=()):
    """Problems.check_errors as it was: only the id column's codes used, every other column read row by row."""
    from xl_kpi.ledger.validation import error_mask

    ids = list(columns)[:1]
    for column in columns:
        self.check(error_mask(self.df[column], (factorized or {}).get(column) if column in ids else None), column,
                   "the cell holds the Excel error {raw}; fix it or delete the row")


def test_error_literals_through_the_date_codes_and_plain_amounts_as_before(monkeypatch):
    """The month column's codes (DateColumn.raw) and an amount column of floats only (no text) settle the
    error-literal check without a pass over the rows: the same refusals and readings as before."""
    from xl_kpi.ledger import validation

    rng = random.Random(21)
    frames = list(hostile_ledgers(30, 120))
    for df in frames[:40]:  # error literals in the amounts too (text, so read row by row)
        k = rng.randrange(len(df))
        df.loc[k, "v"] = rng.choice(sorted(ERROR_LITERALS))
    for df in frames[40:60]:  # a month column of dates only, amounts of floats only
        df["m"] = column([dt.date(2024, rng.randrange(1, 13), 1) for _ in range(len(df))])
        df["v"] = column([float(rng.randrange(0, 50)) if rng.random() < 0.9 else None for _ in range(len(df))])
    now = [outcome(df) for df in frames]
    with monkeypatch.context() as m:
        m.setattr(validation.Problems, "check_errors", check_errors_before)
        before = [outcome(df) for df in frames]
    assert now == before
    kinds = {o[1].split(": ", 1)[1][:30] for o in now if o[0] == "refused"}
    assert any("Excel error" in k for k in kinds) and sum(o[0] == "read" for o in now) > 5


def test_a_date_column_keeps_its_factorisation():
    from xl_kpi.ledger.dates import parse_dates

    s = pd.Series([dt.date(2024, 1, 1), "#N/A", None, dt.date(2024, 1, 1), "2024-02-01"], dtype=object)
    codes, uniques = parse_dates(s, dayfirst=False).raw
    assert [None if c < 0 else uniques[c] for c in codes] == s.tolist()


# --------------------------------------------------------------------------- the bridge and movements computed once


def random_ledger(seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for c in range(rng.randrange(1, 40)):
        for month in sorted(rng.sample(range(1, 13), rng.randrange(1, 12))):
            rows.append([f"c{c}" if rng.random() < 0.5 else f"C{c:03d}", f"2024-{month:02d}-01",
                         rng.choice([0.0, 10.0, 10.0, 20.0, 35.5, 0.1 + 0.2, -5.0 if rng.random() < 0.1 else 5.0])])
            if rng.random() < 0.1:
                rows.append([rows[-1][0], rows[-1][1], 5.0])  # a second row in that month
    return pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])


@pytest.mark.parametrize("seed", range(8))
def test_movements_of_the_latest_months_are_the_cut_of_all_of_them(seed):
    from xl_kpi.ledger import prepare_ledger
    from xl_kpi.ledger.movements import latest_months

    try:
        ledger = prepare_ledger(random_ledger(seed))
    except LedgerError:  # a month netting below 0: another ledger
        ledger = prepare_ledger(random_ledger(seed).assign(mrr=lambda d: d["mrr"].abs()))
    every = ledger.movements()
    assert len(every) and not every.duplicated(["month", "customer"]).any()  # one move per customer and month
    for k in range(0, ledger.n_months + 2):
        pd.testing.assert_frame_equal(ledger.movements(latest=k), latest_months(every, k))


@pytest.mark.parametrize("seed", range(4))
def test_the_bridge_is_computed_once_and_each_caller_gets_its_own(seed):
    from xl_kpi.ledger import prepare_ledger
    from xl_kpi.ledger.bridge import bridge_table
    from xl_kpi.ledger.customer_months import active_months

    ledger = prepare_ledger(random_ledger(seed).assign(mrr=lambda d: d["mrr"].abs()))
    direct = bridge_table(active_months(ledger.codes), ledger.month_starts())
    first = ledger.bridge()
    pd.testing.assert_frame_equal(first, direct)
    first.loc[:, "ending_mrr"] = -1.0  # a caller changing its frame changes no one else's
    pd.testing.assert_frame_equal(ledger.bridge(), direct)
    for method in ("dense", "sort"):
        pd.testing.assert_frame_equal(ledger.bridge(method), direct)
    assert ledger.rollup("quarter")["ending_mrr"].tolist() == \
        direct.groupby(direct["month"].dt.quarter)["ending_mrr"].last().tolist()


def test_compact_codes_is_factorize():
    from xl_kpi.ledger.validation import compact_codes

    rng = np.random.default_rng(8)
    cases = [np.zeros(0, np.int64), np.array([0]), np.array([3]), np.array([0, 0, 1, 3, 2]), np.array([1, 0])]
    for _ in range(300):
        n = int(rng.integers(1, 40))
        grow = np.maximum.accumulate(rng.integers(0, 2, n)).cumsum() - 1  # restricted growth: the usual case
        codes = np.maximum(grow, 0) if rng.random() < 0.5 else rng.integers(0, 8, n)
        if rng.random() < 0.3:
            codes = np.delete(codes, rng.integers(0, n, int(rng.integers(1, n + 1))))  # rows left out
        cases.append(codes.astype(np.int64))
    for codes in cases:
        got, want = compact_codes(codes), pd.factorize(codes)
        assert got[0].tolist() == want[0].tolist() and np.asarray(got[1]).tolist() == np.asarray(want[1]).tolist()
