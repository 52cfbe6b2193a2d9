"""Ledgers that are hard on an engine, and the comparison of two engines' results (shared by the engine tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Customer ids that differ only in ways an engine might blur: case, spaces,
#: leading zeros, digits that look like numbers, non-ASCII text.
HOSTILE_IDS = ["1", "01", "1.0", "a", "A", " a", "a ", "x y", "é", "ß", "10", "-1", "0", "NULL", "None", "nan",
               "1.", "+7.00", "a.0", "SS"]

#: Amounts whose sums are not exact in binary (0.1 + 0.2), ties of rounding
#: (0.125, 2.5e-7), tiny and large ones, and zero.
HOSTILE_AMOUNTS = [0.0, 0.1, 0.2, 0.3, 0.125, 1 / 3, 2.5e-7, 1e-9, 7.0, 99.99, 100.0, 12345.678, 1e6, 0.0078125]


def random_ledger(seed: int, rows: int = 200, months: int = 14, ids: int = 12) -> pd.DataFrame:
    """A ledger with gaps, reactivations, $0 months, several rows per customer-month, random days."""
    rng = np.random.default_rng(seed)
    pool = HOSTILE_IDS[:ids]
    month = rng.integers(0, months, rows)
    day = rng.integers(1, 29, rows)
    stamps = pd.to_datetime({"year": 2023 + month // 12, "month": month % 12 + 1, "day": day})
    amounts = np.array(HOSTILE_AMOUNTS)[rng.integers(0, len(HOSTILE_AMOUNTS), rows)]
    amounts = np.where(rng.random(rows) < 0.2, 0.0, amounts)  # plenty of $0 months
    return pd.DataFrame({"customer_id": np.array(pool, dtype=object)[rng.integers(0, len(pool), rows)],
                         "month": stamps, "mrr": amounts})


def source_ledger(seed: int, rows: int, months: int) -> pd.DataFrame:
    """:func:`random_ledger` under a source's own column names (``Account``, ``Invoice Month``,
    ``Amount``: a source that needs ``--columns``, :data:`SOURCE_COLUMNS`)."""
    return random_ledger(seed, rows=rows, months=months).rename(
        columns={"customer_id": "Account", "month": "Invoice Month", "mrr": "Amount"})


def parquet_ledger(path, seed: int, rows: int, months: int):
    """:func:`source_ledger` written to Parquet at ``path``; returns ``path``."""
    source_ledger(seed, rows, months).to_parquet(path)
    return path


#: The ``--columns`` of :func:`parquet_ledger`'s files.
SOURCE_COLUMNS = "customer=Account,month='Invoice Month',mrr=Amount"


def assert_frames_match(got: pd.DataFrame, want: pd.DataFrame, tol: float = 1e-9) -> None:
    """Same columns, index, dtypes and blanks; numbers equal to ``tol`` (relative, and absolute near 0)."""
    assert list(got.columns) == list(want.columns)
    assert list(got.dtypes) == list(want.dtypes), (got.dtypes, want.dtypes)
    pd.testing.assert_index_equal(got.index, want.index)
    assert type(got.columns) is type(want.columns) and got.columns.name == want.columns.name
    for name in want.columns:
        a, b = got[name].to_numpy(), want[name].to_numpy()
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"blanks of {name}")
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=str(name))
        else:
            np.testing.assert_array_equal(a, b, err_msg=str(name))


def check_ledger() -> pd.DataFrame:
    """A ledger with what the data checks look for: ids differing only in case, spaces or leading zeros
    ("acme " is "acme", "Acme" is not; "0042" / "42"; "Straße" / "STRASSE", which only Python's casefold
    joins), an exact duplicate row in a customer-month of two rows, a customer-month of two different rows
    (no duplicate), and two months with no active customer between active ones (Apr, May 2024)."""
    rows = [("Acme", "2024-01-03", 100.0), ("acme ", "2024-01-20", 50.0), ("0042", "2024-01-05", 10.0),
            ("b", "2024-02-01", 5.0), ("b", "2024-02-09", 5.0), ("42", "2024-02-02", 20.0),
            ("c", "2024-02-10", 7.0), ("c", "2024-02-11", 8.0), ("Straße", "2024-03-01", 30.0),
            ("STRASSE", "2024-03-02", 30.0), ("acme", "2024-06-03", 100.0), ("d", "2024-06-04", 0.0),
            ("  acme", "2024-06-05", 0.0)]
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    return df.assign(month=pd.to_datetime(df["month"]))


def checks_of(checks) -> list[tuple]:
    """A ledger's data checks as comparable tuples (name, count, examples, summary, advice)."""
    return [(c.name, c.count, c.examples, c.summary, c.advice) for c in checks]


def money_cases() -> np.ndarray:
    """Amounts for the money rule in SQL: ties of rounding (0.0000005 ...), sums not exact in binary, values
    on either side of 2^52 / 10^6 (where a double stops having fractions), large and random ones, negated."""
    rng = np.random.default_rng(5)
    values = np.r_[HOSTILE_AMOUNTS, 0.1 + 0.2, 1e-17, 0.0000005, 0.0000015, 0.0000025, 0.0078125, 2.5, 1e12 + 0.5e-6,
                   1e15 / 3, 2.0 ** 60, 2.0 ** 46 + 0.5, 2.0 ** 46 - 0.5e-6, (2.0 ** 52 - 0.5) / 1e6, 2.0 ** 52 / 1e6,
                   rng.random(300) * 1000, np.round(rng.random(300) * 1000, 7)]
    return np.r_[values, -values]  # a negative amount is rounded by its size, as rint does


#: Prices a customer may start on (cents; a few odd ones, none exact in binary).
CANONICAL_PRICES = [9.99, 19.0, 29.5, 49.0, 99.99, 149.0, 250.01, 0.01, 1234.56, 0.1, 0.2, 0.3]


def canonical_ledger(seed: int, rows: int | None = None, months: int = 26, ids: int = 60, *, kind: str = "names",
                     start: str = "2023-01", prices=CANONICAL_PRICES) -> pd.DataFrame:
    """A ledger in the canonical shape: exactly one row per customer per month, every MRR > 0 in cents.

    Each of ``ids`` customers starts in a random month of the ``months`` from ``start`` (some in the first,
    some late), runs to a random end (some to the last month), and pauses on the way (a run of missing
    months: a churn, then a reactivation); its price stays flat, rises or falls from month to month. The
    rows come in random order, on random days (some at 23:59:59 on a month's last day). ``rows``: keep
    only that many rows, drawn at random (more gaps; still canonical). ``kind`` of ids: ``"names"``
    (text such as ``"cus_17"``), ``"digits"`` (numbers as text, ``"1017"``), ``"int"`` (an integer
    column), ``"dotted"`` (text that the id rule rewrites: ``"17.0"`` is ``"17"``, ``" cus_3"`` is
    ``"cus_3"``; each still one customer, so the ledger stays canonical after normalising). ``prices``: the
    prices customers start on (a few: many equal changes in a month, ordered by customer id).
    """
    rng = np.random.default_rng(seed)
    first = pd.Period(start, "M")
    customers, month_index, amounts = [], [], []
    for i in range(ids):
        # a quarter start in the first month, a quarter run to the last one
        begin = 0 if rng.random() < 0.25 else int(rng.integers(0, months))
        end = months - 1 if rng.random() < 0.25 else int(rng.integers(begin, months))
        price = float(rng.choice(prices)) * float(rng.integers(1, 4))
        active = True
        for m in range(begin, end + 1):
            if m > begin:
                # pauses come in runs: active -> paused 12 %, paused -> active 45 %
                active = rng.random() >= 0.12 if active else rng.random() < 0.45
            if not active:
                continue
            move = rng.random()
            if m > begin and move < 0.15:
                price *= 1 + float(rng.integers(1, 100)) / 100  # up
            elif m > begin and move < 0.25:
                price *= float(rng.integers(30, 99)) / 100  # down
            price = max(round(price, 2), 0.01)
            customers.append(i)
            month_index.append(m)
            amounts.append(price)
    order = rng.permutation(len(customers))
    if rows is not None:
        order = order[:rows]
    code = np.asarray(customers)[order]
    m = np.asarray(month_index)[order]
    periods = [first + int(k) for k in m]
    days = rng.integers(1, 29, len(order))
    stamps = pd.to_datetime([f"{p.year:04d}-{p.month:02d}-{d:02d}" for p, d in zip(periods, days)])
    month_end = rng.random(len(order)) < 0.1  # the last second of the month: still that month
    stamps = stamps.where(~month_end, [p.end_time.floor("s") for p in periods])
    if kind == "int":
        cid = pd.Series(1000 + code * 7, dtype="int64")
    elif kind == "digits":
        cid = pd.Series([str(1000 + c * 7) for c in code], dtype=object)
    elif kind == "names":
        cid = pd.Series([f"cus_{c}" for c in code], dtype=object)
    elif kind == "dotted":  # one spelling per customer, rewritten by the id rule
        spell = {c: (f"{100 + c}.0" if c % 3 == 0 else f" cus_{c}" if c % 3 == 1 else f"cus_{c}.") for c in range(ids)}
        cid = pd.Series([spell[c] for c in code], dtype=object)
    else:
        raise ValueError(f"kind {kind!r}")
    return pd.DataFrame({"customer_id": cid, "month": pd.DatetimeIndex(stamps).as_unit("ns"),
                         "mrr": np.asarray(amounts, dtype=float)[order]})


def is_canonical(df: pd.DataFrame, as_of=None) -> bool:
    """Whether ``df`` (reported rows: through ``as_of``) has one row per customer-month, each MRR > 0 by the
    money rule: the shape of the Ibis engine's fast path, decided here independently of it."""
    from xl_kpi.ledger.ids import normalise_id
    from xl_kpi.ledger.money import round_money

    period = pd.to_datetime(df["month"]).dt.to_period("M")  # (text months and amounts too)
    keep = period <= pd.Period(as_of, "M") if as_of is not None else np.ones(len(df), bool)
    d = df[keep]
    key = pd.DataFrame({"c": d["customer_id"].map(normalise_id), "p": period[keep]})
    amounts = pd.to_numeric(d["mrr"]).to_numpy(dtype=float)
    return not key.duplicated().any() and bool((round_money(amounts) > 0).all())
