"""Benchmark: xl_kpi.ledger.mrr_bridge against the same MRR bridge written in DuckDB SQL.

Run by hand (DuckDB is a benchmark-only extra: ``pip install .[bench]``)::

    python3 benchmarks/ledger_bench.py                 # ~1,000,000 ledger rows
    python3 benchmarks/ledger_bench.py --customers 20000 --runs 3

It generates the synthetic company's ledger (:func:`xl_kpi.sample.generate_ledger`),
computes the bridge with xl_kpi and with a SQL implementation (GROUP BY, then
LAG/LEAD window functions over each customer's active months), checks that
both agree on every column, and prints the median time of each over several
runs, measured in the same process, and the ratio time(xl_kpi) / time(DuckDB).
Below 1.0 means xl_kpi is faster.

Two DuckDB timings are printed: reading the same pandas DataFrame that
xl_kpi gets (the like-for-like comparison, used for the ratio), and reading a
table already loaded into DuckDB's own storage (its best case, for context).

Then the whole analysis a report runs - one prepared ledger, its bridge,
both cohort matrices and their sizes, the T12M trailing retention, the MRR
movements and the quarterly roll-up - is timed against ``mrr_bridge`` alone
on the same DataFrame, and the ratio printed (the target is 2.0 or less).
``--analysis-only`` runs just that part (no DuckDB needed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xl_kpi.ledger import cohort_matrix, mrr_bridge, prepare_ledger, rollup  # noqa: E402
from xl_kpi.sample import generate_ledger  # noqa: E402

# Both queries start from the ledger's customer-months added up. Months become
# integers (year * 12 + month) so "the previous calendar month" is m - 1.
CUSTOMER_MONTHS = """
WITH rows AS (
    SELECT customer_id, year(month) * 12 + month(month) - 1 AS m, mrr FROM {source}
),
agg AS (
    SELECT customer_id, m, sum(mrr) AS mrr FROM rows GROUP BY customer_id, m
),"""

# The bridge in SQL: each active customer-month looks at its customer's
# previous and next active month with LAG / LEAD.
BRIDGE_SQL = CUSTOMER_MONTHS + """
seq AS (
    SELECT customer_id, m, mrr,
           lag(m)   OVER w AS prev_m,
           lag(mrr) OVER w AS prev_mrr,
           lead(m)  OVER w AS next_m
    FROM agg
    WHERE mrr > 0
    WINDOW w AS (PARTITION BY customer_id ORDER BY m)
),
months AS (
    SELECT unnest(range(min(m), max(m) + 1)) AS m FROM rows
),
moves AS (
    SELECT m,
        sum(CASE WHEN prev_m IS NULL THEN mrr ELSE 0 END) AS new_mrr,
        sum(CASE WHEN prev_m = m - 1 AND mrr > prev_mrr THEN mrr - prev_mrr ELSE 0 END) AS expansion_mrr,
        sum(CASE WHEN prev_m < m - 1 THEN mrr ELSE 0 END) AS reactivation_mrr,
        sum(CASE WHEN prev_m = m - 1 AND mrr < prev_mrr THEN prev_mrr - mrr ELSE 0 END) AS contraction_mrr,
        sum(mrr) AS ending_mrr,
        count(*) FILTER (WHERE prev_m IS NULL) AS new_customers,
        count(*) FILTER (WHERE prev_m < m - 1) AS reactivated_customers,
        count(*) AS customers_end
    FROM seq GROUP BY m
),
churn AS (
    SELECT m + 1 AS m, sum(mrr) AS churned_mrr, count(*) AS churned_customers
    FROM seq WHERE next_m IS NULL OR next_m > m + 1 GROUP BY m + 1
),
bridge AS (
    SELECT months.m,
        coalesce(new_mrr, 0) AS new_mrr, coalesce(expansion_mrr, 0) AS expansion_mrr,
        coalesce(reactivation_mrr, 0) AS reactivation_mrr, coalesce(contraction_mrr, 0) AS contraction_mrr,
        coalesce(churned_mrr, 0) AS churned_mrr, coalesce(ending_mrr, 0) AS ending_mrr,
        coalesce(new_customers, 0) AS new_customers, coalesce(reactivated_customers, 0) AS reactivated_customers,
        coalesce(churned_customers, 0) AS churned_customers, coalesce(customers_end, 0) AS customers_end
    FROM months LEFT JOIN moves USING (m) LEFT JOIN churn USING (m)
)
SELECT make_date(CAST(m // 12 AS INTEGER), CAST(m % 12 + 1 AS INTEGER), 1) AS month,
    coalesce(lag(ending_mrr) OVER (ORDER BY m), 0) AS starting_mrr,
    new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr, ending_mrr,
    coalesce(lag(customers_end) OVER (ORDER BY m), 0) AS customers_start,
    new_customers, reactivated_customers, churned_customers, customers_end
FROM bridge ORDER BY m
"""

# Logo cohorts in SQL: each active customer-month with its customer's first
# active month (MIN as a window function), counted per cohort and age.
COHORT_SQL = CUSTOMER_MONTHS + """
active AS (
    SELECT customer_id, m, min(m) OVER (PARTITION BY customer_id) AS cohort FROM agg WHERE mrr > 0
)
SELECT cohort, m - cohort AS age, count(*) AS customers FROM active GROUP BY cohort, age ORDER BY cohort, age
"""

MONEY = ["starting_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr",
         "ending_mrr"]
COUNTS = ["customers_start", "new_customers", "reactivated_customers", "churned_customers", "customers_end"]


def median_time(fn, runs: int) -> tuple[float, object]:
    result = fn()  # warm-up (imports, caches), not timed
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def check_agree(ours: pd.DataFrame, sql: pd.DataFrame) -> None:
    assert len(ours) == len(sql), (len(ours), len(sql))
    assert (pd.to_datetime(sql["month"]).to_numpy() == ours["month"].to_numpy()).all(), "months differ"
    for col in MONEY:
        np.testing.assert_allclose(ours[col].to_numpy(), sql[col].to_numpy(dtype=float), rtol=1e-9, atol=1e-6,
                                   err_msg=col)
    for col in COUNTS:
        np.testing.assert_array_equal(ours[col].to_numpy(), sql[col].to_numpy(dtype=np.int64), err_msg=col)


def check_cohorts_agree(ours: pd.DataFrame, sql: pd.DataFrame) -> None:
    """Our cohort x age matrix of customer counts against SQL's long form."""
    wide = sql.pivot(index="cohort", columns="age", values="customers").fillna(0.0)
    cohorts = ours.index.year * 12 + ours.index.month - 1
    assert list(wide.index) == list(cohorts), "cohort months differ"
    got = ours.to_numpy()
    want = wide.reindex(columns=range(got.shape[1]), fill_value=0.0).to_numpy()
    alive = ~np.isnan(got)  # ages past the end of the data are NaN for us, absent in SQL
    np.testing.assert_array_equal(got[alive], want[alive])
    assert (want[~alive] == 0).all()


def whole_analysis(ledger: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Everything a report computes from one ledger, through one prepared ledger object."""
    led = prepare_ledger(ledger)
    bridge = led.bridge()
    return {
        "bridge": bridge,
        "logo": led.cohorts("logo"),
        "revenue": led.cohorts("revenue"),
        "sizes": led.cohort_sizes(),
        "trailing": led.trailing_retention(12),
        "movements": led.movements(),
        "quarters": rollup(bridge, "quarter"),
    }


def check_analysis(result: dict[str, pd.DataFrame], bridge: pd.DataFrame) -> None:
    """The analysis is the real one: same bridge, movements add up to it, quarters keep the identity."""
    pd.testing.assert_frame_equal(result["bridge"], bridge)
    sums = result["movements"].groupby(["month", "movement"])["change"].sum().unstack(fill_value=0.0)
    sums = sums.reindex(bridge["month"], fill_value=0.0)
    for movement, column, sign in [("new", "new_mrr", 1), ("expansion", "expansion_mrr", 1),
                                   ("reactivation", "reactivation_mrr", 1), ("contraction", "contraction_mrr", -1),
                                   ("churn", "churned_mrr", -1)]:
        np.testing.assert_allclose(sign * sums[movement].to_numpy(), bridge[column].to_numpy(), rtol=1e-9,
                                   atol=1e-6, err_msg=movement)
    q = result["quarters"]
    np.testing.assert_allclose(q["new_mrr"].sum(), bridge["new_mrr"].sum(), rtol=1e-12)
    np.testing.assert_allclose(q["ending_mrr"].iloc[-1], bridge["ending_mrr"].iloc[-1])
    t = result["trailing"].dropna()
    assert ((t["gross_revenue_retention"] <= 1) & (t["gross_revenue_retention"] <= t["net_revenue_retention"])).all()


def analysis_ratio(ledger: pd.DataFrame, runs: int) -> float:
    """Print and return time(whole analysis) / time(mrr_bridge alone), both from the same DataFrame."""
    t_bridge, bridge = median_time(lambda: mrr_bridge(ledger), runs)
    t_all, result = median_time(lambda: whole_analysis(ledger), runs)
    check_analysis(result, bridge)
    parts = ", ".join(f"{name} {len(frame):,} rows" for name, frame in result.items())
    print(f"whole analysis checked ({parts})")
    print(f"mrr_bridge alone                    median of {runs}: {t_bridge * 1000:8.1f} ms")
    print(f"whole analysis (bridge, cohorts, T12M, movements, quarters) median of {runs}: {t_all * 1000:8.1f} ms")
    print(f"ratio time(whole analysis) / time(bridge alone): {t_all / t_bridge:.2f} (target <= 2.00)")
    return t_all / t_bridge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=83_000, help="customers (83,000 -> about 1,000,000 rows)")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's own)")
    parser.add_argument("--analysis-only", action="store_true",
                        help="only the whole analysis against the bridge alone (no DuckDB)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    ledger = generate_ledger(n_customers=args.customers, n_months=args.months, seed=args.seed)
    gen = time.perf_counter() - t0
    print(f"ledger: {len(ledger):,} rows, {args.customers:,} customers, {args.months} months "
          f"(generated in {gen:.2f} s)")
    if args.analysis_only:
        analysis_ratio(ledger, args.runs)
        return 0

    import duckdb  # benchmark-only dependency

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    con.register("ledger_df", ledger)
    con.execute("CREATE TABLE ledger_tbl AS SELECT * FROM ledger_df")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]

    t_ours, ours = median_time(lambda: mrr_bridge(ledger), args.runs)
    t_sql, sql = median_time(lambda: con.execute(BRIDGE_SQL.format(source="ledger_df")).df(), args.runs)
    t_tbl, sql_tbl = median_time(lambda: con.execute(BRIDGE_SQL.format(source="ledger_tbl")).df(), args.runs)
    check_agree(ours, sql)
    check_agree(ours, sql_tbl)
    print(f"results agree: {len(ours)} months, every money and count column")
    print(f"xl_kpi.ledger.mrr_bridge            median of {args.runs}: {t_ours * 1000:8.1f} ms")
    print(f"DuckDB SQL on the DataFrame ({threads} thr) median of {args.runs}: {t_sql * 1000:8.1f} ms")
    print(f"DuckDB SQL on a native table        median of {args.runs}: {t_tbl * 1000:8.1f} ms")
    print(f"ratio time(xl_kpi) / time(DuckDB, same DataFrame input): {t_ours / t_sql:.2f}")
    print(f"ratio time(xl_kpi) / time(DuckDB, native table):         {t_ours / t_tbl:.2f}")

    c_ours, cohorts = median_time(lambda: cohort_matrix(ledger), args.runs)
    c_sql, cohorts_sql = median_time(lambda: con.execute(COHORT_SQL.format(source="ledger_df")).df(), args.runs)
    check_cohorts_agree(cohorts, cohorts_sql)
    print(f"logo cohorts agree: {len(cohorts)} cohorts; xl_kpi {c_ours * 1000:.1f} ms, DuckDB {c_sql * 1000:.1f} ms, "
          f"ratio {c_ours / c_sql:.2f}")
    analysis_ratio(ledger, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
