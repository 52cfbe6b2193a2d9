"""Canonical ledgers (one row per customer per month, every MRR > 0): the Ibis engine gives the numpy path's numbers.

The Ibis engine may compute a ledger of that shape by a fast path (the window over the rows, no GROUP BY:
``IbisLedger.plan == "rows"``) and every other ledger by grouping its customer-months first
(``plan == "customer-months"``). The random hostile ledgers of tests/test_engines.py are nearly never
canonical (duplicate customer-months, $0 months, credits), so these are: random canonical ledgers
(:func:`tests.engine_cases.canonical_ledger`: gaps and reactivations, customers starting and ending
anywhere, prices up, down and flat, rows in random order on random days, ids as names, digits, integers or
text the id rule rewrites, more than 12 months, cut by an as-of month or extended by one), each compared
with the numpy path on everything the ledger object offers, from a DataFrame and from a Parquet file; and
near-canonical ledgers (one duplicate customer-month, one $0 row, one credit, one 0.0000001 amount, two
spellings of one id in one month ...), which must not take the fast path and must agree all the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.engine_cases import CANONICAL_PRICES, assert_frames_match, canonical_ledger, checks_of, is_canonical
from xl_kpi import engines
from xl_kpi.engines.ibis_engine import IbisLedger
from xl_kpi.ledger import LedgerError, prepare_ledger
from xl_kpi.refresh.report.content import latest_movements


def assert_plan(led, expected: str | None) -> None:
    """``led.plan == expected`` when the engine tells its plan (``"rows"``: the fast path over the rows of a
    canonical ledger; ``"customer-months"``: the customer-months grouped first).

    ``expected`` None: either plan may serve (nothing to check).
    """
    if expected is not None:
        assert led.plan == expected


def late_rows(df: pd.DataFrame, as_of) -> int:
    """The rows after the as-of month, counted here (not by either engine)."""
    return 0 if as_of is None else int((pd.to_datetime(df["month"]).dt.to_period("M") > pd.Period(as_of, "M")).sum())


#: The analyses compared, as (name, call): each is called on both engines' ledgers.
ANALYSES = [
    ("bridge", lambda led: led.bridge()),
    *[(f"{f} {basis}", lambda led, f=f, basis=basis: getattr(led, f)(basis))
      for f in ("cohorts", "cohort_matrix") for basis in ("logo", "revenue")],
    *[(f"cohort sizes {p}", lambda led, p=p: led.cohort_sizes(p, 4)) for p in ("month", "quarter", "year")],
    *[(f"rollup {p} {fys}", lambda led, p=p, fys=fys: led.rollup(p, fys)) for p, fys in (("quarter", 2), ("year", 4))],
    ("monthly kpis", lambda led: led.monthly_kpis()),
    ("trailing 12", lambda led: led.trailing_retention(12)),  # (the Ibis engine's stored window)
]
#: What further queries of the same customer-month table compute (once per ledger: see assert_same_everything).
QUERIES = [(f"trailing {w}", lambda led, w=w: led.trailing_retention(w)) for w in (1, 3)] + [
    ("movements", lambda led: led.movements())]


def expected(df: pd.DataFrame, as_of=None) -> dict:
    """The numpy path's results on ``df`` (through ``as_of``), computed once for every source compared."""
    ref = prepare_ledger(df, as_of=as_of)
    want = {name: call(ref) for name, call in ANALYSES + QUERIES}
    every = want["movements"]
    want.update(ref=ref, latest=ref.movements(latest=3), per_month=every["month"].value_counts().sort_index(),
                counts=(ref.n_rows, ref.n_customers, ref.n_months, late_rows(df, as_of), ref.codes.rows_read),
                month_range=ref.month_range(), month_starts=ref.month_starts(), checks=ref.checks)
    assert ref.codes.rows_read == len(df.dropna(how="all"))
    return want


def assert_same_everything(led, want: dict, depth: str = "all") -> None:
    """Every public analysis and count of ``led`` equals the numpy path's (:func:`expected`), to 1e-9.

    ``depth`` ``"source"``, for a second source of a ledger compared with ``"all"`` (the first): what the
    read of the source decides and a refresh asks (every analysis from the summary, counts, checks with
    their rows, the latest movements: on the rows plan, all from its one query), not the further queries
    of the customer-month table (trailing 1 and 3, every month's movements) nor the table's cuts (Python
    over the latest months' counts).
    """
    # first what a refresh asks (from the summary, the checks, the latest movements: on the rows plan, what
    # its one query kept), then the further queries (another trailing window, every month's movements: on
    # the rows plan, from the customer-month table made then), then the latest movements once more
    for name, call in ANALYSES:
        _same(name, call(led), want)
    assert (led.n_rows, led.n_customers, led.n_months, led.rows_after_as_of, led.rows_read) == want["counts"]
    assert led.month_range() == want["month_range"]
    np.testing.assert_array_equal(led.month_starts(), want["month_starts"])
    got = led.data_checks()
    assert checks_of(got) == checks_of(want["checks"])
    assert got.lines() == want["checks"].lines() and got.notes == want["checks"].notes
    per_month = want["per_month"]
    assert led.movement_counts().tolist() == [int(per_month.get(m, 0)) for m in want["month_starts"]]
    if depth == "all":  # (before anything makes the rows plan's customer-month table)
        # what the MRR Movements table lists (cut as tests/test_engines.py cuts the numpy path's movements):
        # the latest 3 months whole (= movements(latest=3)), the latest month alone, its largest changes but one
        last3 = per_month.iloc[-3:].tolist()
        for rows in sorted({sum(last3), last3[-1], max(last3[-1] - 1, 1)}, reverse=True):
            got = led.movements(latest=3, rows=rows)
            assert len(got) <= rows
            if rows == sum(last3):
                _same("latest", got, want)
            counts = got.attrs["month_counts"]
            assert counts.tolist() == last3 and list(counts.index) == list(per_month.index[-3:])
            table, title = latest_movements(got, rows=rows)
            want_table, want_title = latest_movements(want["movements"], rows=rows)
            assert title == want_title
            assert_frames_match(table.reset_index(drop=True), want_table.reset_index(drop=True))
            assert table["customer"].tolist() == want_table["customer"].tolist()
    if depth == "source":
        _same("latest", led.movements(latest=3), want)
        return
    for name, call in QUERIES:
        _same(name, call(led), want)
    _same("latest", led.movements(latest=3), want)


def _same(name: str, got: pd.DataFrame, want: dict) -> None:
    """``got`` is the numpy path's ``want[name]`` (movements: row for row, in its order, ties included)."""
    try:
        assert_frames_match(got, want[name])
        if "customer" in got.columns:
            assert got["customer"].tolist() == want[name]["customer"].tolist()
    except AssertionError as exc:
        raise AssertionError(f"{name}: {exc}") from None


def ledgers_of(df: pd.DataFrame, tmp_path, as_of=None):
    """The Ibis engine's ledger of ``df`` from the frame itself and from a Parquet file of it (DuckDB's
    row numbers), as ``(source, ledger)``."""
    path = tmp_path / "ledger.parquet"
    df.to_parquet(path)
    leds = [("frame", IbisLedger(df, as_of=as_of)), ("parquet", IbisLedger(path, as_of=as_of))]
    return leds


# ------------------------------------------------------------------ canonical ledgers

def shaped(df: pd.DataFrame, form: str | None) -> pd.DataFrame:
    """``df`` with its months and amounts as another source holds them: ``"text"`` (ISO dates and amounts as
    text, as a CSV loaded into a database), ``"date"`` (dates without a time: a Parquet date32 column)."""
    if form == "text":
        return df.assign(month=df["month"].dt.strftime("%Y-%m-%d").astype(object),
                         mrr=pd.Series([f"{v:.2f}" for v in df["mrr"]], dtype=object))
    if form == "date":
        return df.assign(month=df["month"].dt.date)
    return df


#: (name, ledger arguments, as_of): canonical ledgers; as_of None, inside the data (a cut: rows after it are
#: left out, customers seen only after it are not counted) or after it (months with no row, every customer
#: churning).
CANONICAL = [
    ("names", dict(seed=1), None),
    ("digits cut", dict(seed=2, kind="digits"), "2024-06"),
    ("integers cut", dict(seed=3, kind="int"), "2024-03-15"),
    ("rewritten ids cut", dict(seed=14, kind="dotted", months=20), "2024-02"),
    ("thinned, extended", dict(seed=5, rows=250), "2025-06"),
    ("long", dict(seed=9, months=40, ids=50), "2025-12"),
    ("three customers", dict(seed=7, months=15, ids=3), None),
    ("one customer", dict(seed=8, months=14, ids=1), None),
    ("equal changes", dict(seed=11, ids=90, months=18, prices=[10.0, 20.0]), "2024-04"),
    ("text months and amounts", dict(seed=12, form="text"), "2024-05"),
    ("dates", dict(seed=13, form="date", kind="digits"), None),
]


@pytest.mark.parametrize("args, as_of", [c[1:] for c in CANONICAL], ids=[c[0] for c in CANONICAL])
def test_a_canonical_ledger_gives_the_numpy_paths_everything(tmp_path, args, as_of):
    args = dict(args)
    form = args.pop("form", None)
    df = shaped(canonical_ledger(**args), form)
    assert is_canonical(df, as_of)
    assert df["customer_id"].nunique() == args.get("ids", 60) or "rows" in args
    assert late_rows(df, as_of) > 0 or as_of is None or pd.Period(as_of, "M") >= df["month"].max().to_period("M")
    want = expected(df, as_of)
    # ids that the id rule rewrites ("17.0", " cus_3") are grouped by their normalised ids: the
    # customer-month plan, whatever the shape
    plan = "customer-months" if args.get("kind") == "dotted" else "rows"
    for source, led in ledgers_of(df, tmp_path, as_of):
        assert_plan(led, plan)
        assert_same_everything(led, want, depth="all" if source == "frame" else "source")


@pytest.mark.parametrize("seed", [101, 102, 103, 104])
def test_random_canonical_ledgers_give_the_numpy_paths_everything(seed):
    """Canonical ledgers of random size, span, ids and as-of month (none, inside, after the data), from a frame
    (the fixed cases above read each one from a Parquet file too)."""
    rng = np.random.default_rng(seed)
    months, ids = int(rng.integers(13, 37)), int(rng.integers(2, 90))
    kind = str(rng.choice(["names", "digits", "dotted"]))
    df = canonical_ledger(seed, months=months, ids=ids, kind=kind, prices=list(rng.choice(CANONICAL_PRICES, 3)))
    last = df["month"].max().to_period("M")
    as_of = [None, str(last - int(rng.integers(1, 8))), str(last + int(rng.integers(1, 4)))][seed % 3]
    assert is_canonical(df, as_of)
    led = IbisLedger(df, as_of=as_of)
    assert_plan(led, "customer-months" if kind == "dotted" else "rows")  # (rewritten ids: grouped)
    assert_same_everything(led, expected(df, as_of))


def test_the_canonical_ledgers_are_hard_enough():
    """What the canonical cases hold (so that a fast path's shortcut shows): reactivations, expansions,
    contractions, flat months, churns inside the report, cohorts of many ages, a trailing 12-month NRR."""
    df = canonical_ledger(1)
    moves = prepare_ledger(df).movements()["movement"].value_counts()
    assert set(moves.index) == {"new", "reactivation", "expansion", "contraction", "churn"}
    assert moves.min() >= 10
    ref = prepare_ledger(df)
    assert ref.n_months == 26 and ref.trailing_retention(12)["net_revenue_retention"].notna().sum() >= 10
    assert df["month"].dt.day.nunique() >= 28 and df["month"].dt.is_month_end.any()
    assert len(ref.cohort_sizes("month", 1)) >= 15  # customers start in many months
    assert not df["month"].is_monotonic_increasing  # rows in no order
    by = df.assign(p=df["month"].dt.to_period("M")).sort_values(["customer_id", "p"])
    step = by.groupby("customer_id")["p"].diff() == 1 * by["p"].dt.freq
    flat = (by.groupby("customer_id")["mrr"].diff() == 0) & step
    assert flat.sum() >= 100  # most months: the same price as the month before
    cut = canonical_ledger(2, kind="digits")
    assert prepare_ledger(cut, as_of="2024-06").n_customers < prepare_ledger(cut).n_customers  # seen only later


def test_unrounded_amounts_are_rounded_by_the_money_rule_on_the_fast_path_too(tmp_path):
    """One row per customer-month with amounts of 7+ decimals (1/3, 0.0000006, which the money rule makes
    0.000001 > 0): still canonical, and the MRR everywhere is the rounded amount, as in memory."""
    df = canonical_ledger(6)
    rng = np.random.default_rng(6)
    df["mrr"] = df["mrr"] / 3 + rng.integers(0, 10, len(df)) * 1e-7
    df.loc[5, "mrr"] = 6e-7
    assert is_canonical(df)
    want = expected(df)
    for source, led in ledgers_of(df, tmp_path):
        assert_plan(led, "rows")
        assert_same_everything(led, want, depth="all" if source == "frame" else "source")


def test_near_duplicate_ids_on_a_canonical_ledger_are_the_numpy_paths_data_check(tmp_path):
    """Ids differing only in case or leading zeros are two customers (one row a month each: canonical), and
    the data check names them with their rows as in memory."""
    df = canonical_ledger(10, kind="digits")
    ids = df["customer_id"].unique()
    df["customer_id"] = df["customer_id"].replace({ids[0]: "Acme", ids[1]: "acme", ids[2]: "0042", ids[3]: "42"})
    assert is_canonical(df)
    want = checks_of(prepare_ledger(df).checks)
    assert [c[:2] for c in want][:1] == [("near-duplicate ids", 2)]
    want = expected(df)
    for source, led in ledgers_of(df, tmp_path):
        assert_plan(led, "rows")
        assert_same_everything(led, want, depth="all" if source == "frame" else "source")


@pytest.mark.parametrize("ids", [[9, 10], [9.0, 10.0]], ids=["integers", "floats"])
def test_number_ids_are_text_in_the_movements_as_in_memory(ids):
    df = pd.DataFrame({"customer_id": ids, "month": pd.to_datetime(["2024-01-01"] * 2), "mrr": [5.0, 5.0]})
    assert prepare_ledger(df).movements()["customer"].tolist() == ["10", "9"]  # equal changes: by id, as text
    assert_frames_match(IbisLedger(df).movements(), prepare_ledger(df).movements())


# ------------------------------------------------------------------ near-canonical ledgers


def _extra_row(df: pd.DataFrame, i: int, **changes) -> pd.DataFrame:
    """``df`` with a copy of row ``i`` (changed by ``changes``) inserted at a random place."""
    row = df.iloc[[i]].assign(**changes)
    at = (i * 7919) % len(df)
    return pd.concat([df.iloc[:at], row, df.iloc[at:]], ignore_index=True)


def _split_month(df):  # one customer-month of two rows: the amount split in two, on another day
    half = round(df.loc[3, "mrr"] / 2, 2)
    out = _extra_row(df, 3, mrr=df.loc[3, "mrr"] - half, month=df.loc[3, "month"].replace(day=1))
    return out.assign(mrr=np.where(out.index == 3, half, out["mrr"]))


def _same_id_two_spellings(df):  # "cus_3" and "cus_3 " in one month: one customer-month of two rows
    return _extra_row(df, 3, customer_id=df.loc[3, "customer_id"] + " ", mrr=1.5)


def _row_after_as_of_twice(df):
    late = int(np.flatnonzero(df["month"].dt.to_period("M") > pd.Period("2024-06", "M"))[0])
    return _extra_row(df, late)


def _blank_row(df):  # a completely blank row is skipped, whatever the plan
    blank = pd.DataFrame({"customer_id": [None], "month": [pd.NaT], "mrr": [np.nan]})
    return pd.concat([df.iloc[:10], blank, df.iloc[10:]], ignore_index=True).astype({"month": df["month"].dtype})


#: (name, change of a canonical ledger, as_of, plan): ledgers one row away from canonical.
NEAR = [
    ("two rows in a customer-month", _split_month, None, "customer-months"),
    ("an exact duplicate row", lambda df: _extra_row(df, 7), None, "customer-months"),
    ("a $0 row", lambda df: df.assign(mrr=np.where(df.index == 11, 0.0, df["mrr"])), None, "customer-months"),
    ("a credit", lambda df: _extra_row(df, 5, mrr=-round(df.loc[5, "mrr"] / 4, 2)), None, "customer-months"),
    ("a full refund", lambda df: _extra_row(df, 5, mrr=-df.loc[5, "mrr"]), None, "customer-months"),
    ("a 0.0000001 amount", lambda df: df.assign(mrr=np.where(df.index == 13, 1e-7, df["mrr"])), None,
     "customer-months"),
    ("one id spelled two ways in a month", _same_id_two_spellings, None, "customer-months"),
    # the reported rows are canonical, a customer-month after the as-of month has two rows: the rows plan
    # leaves those rows out (counted, not analysed), so it computes
    ("a row after as_of twice", _row_after_as_of_twice, "2024-06", "rows"),
    ("a completely blank row", _blank_row, None, None),
]


@pytest.mark.parametrize("change, as_of, plan", [c[1:] for c in NEAR], ids=[c[0] for c in NEAR])
def test_a_near_canonical_ledger_is_grouped_and_gives_the_numpy_paths_everything(tmp_path, change, as_of, plan):
    df = change(canonical_ledger(20, months=20, ids=40))
    assert not is_canonical(df) or plan is None  # one row away from the shape (a blank row is in no shape)
    want = expected(df, as_of)
    for source, led in ledgers_of(df, tmp_path, as_of):
        assert_plan(led, plan)
        assert_same_everything(led, want, depth="all" if source == "frame" else "source")


# ------------------------------------------------------------------ refusals


def _text_months(df):
    return df.assign(month=df["month"].dt.strftime("%Y-%m-%d").astype(object))


#: (name, change of a canonical ledger, the start of the numpy path's message): one bad row in a canonical ledger.
BAD = [
    ("blank id", lambda df: df.assign(customer_id=df["customer_id"].where(df.index != 17, None)),
     "Row 19, column 'customer_id': the customer id is blank"),
    ("spaces for an id", lambda df: df.assign(customer_id=df["customer_id"].where(df.index != 17, "  ")),
     "Row 19, column 'customer_id': the customer id is blank"),
    ("bad date", lambda df: _text_months(df).assign(month=lambda d: d["month"].where(d.index != 23, "2024-02-30")),
     "Row 25, column 'month': '2024-02-30' is not a date"),
    ("blank MRR", lambda df: df.assign(mrr=df["mrr"].where(df.index != 9, np.nan)),
     "Row 11, column 'mrr': the MRR is blank"),
    ("infinite MRR", lambda df: df.assign(mrr=df["mrr"].where(df.index != 9, np.inf)),
     "Row 11, column 'mrr': inf is not a number"),
    ("a credit below 0", lambda df: df.assign(mrr=df["mrr"].where(df.index != 30, -5.0)),
     "Row 32, column 'mrr': customer "),
]


@pytest.mark.parametrize("change, message", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_bad_row_in_a_canonical_ledger_gets_the_numpy_paths_message(tmp_path, change, message):
    df = change(canonical_ledger(30, months=16, ids=30))
    with pytest.raises(LedgerError) as want:
        prepare_ledger(df)
    assert str(want.value).startswith(message)
    path = tmp_path / "bad.parquet"
    df.to_parquet(path)
    for source in (df, path):
        with pytest.raises(LedgerError) as got:
            IbisLedger(source).bridge()
        assert str(got.value) == str(want.value)
        assert (got.value.row, got.value.column) == (want.value.row, want.value.column)
    # the file's rows in the sources' words ("bad.parquet: row 18, ..."), whichever engine reads it
    messages = []
    for engine in ("numpy", "ibis"):
        with pytest.raises(LedgerError) as got:
            engines.ledger(path, engine=engine)
        messages.append((str(got.value), got.value.column))
    assert messages[0] == messages[1]
    assert messages[0][0].startswith(f"{path}: row {want.value.row - 1}, column ")


def test_an_as_of_before_a_canonical_ledger_is_refused_in_the_numpy_paths_words():
    df = canonical_ledger(31, months=14, ids=20)
    with pytest.raises(LedgerError) as want:
        prepare_ledger(df, as_of="2022-12")
    with pytest.raises(LedgerError) as got:
        IbisLedger(df, as_of="2022-12")
    assert str(got.value) == str(want.value) == "as_of '2022-12' is before the ledger's first month (2023-01)"
