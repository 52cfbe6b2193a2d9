"""What the Excel layer costs on top of the core (run by hand: ``python benchmarks/udf_overhead.py``).

Measures, in one run:

* a scalar UDF call (``udfs.CHURN_RATE(20.0, 200.0)``, as Excel passes it)
  against the core call (``xl_kpi.churn_rate(20, 200)``) and against a bare
  Python division (the floor);
* one array UDF call over a 10,000-row column pair (tuples of row tuples, as
  xlwings passes a range) against the core on numpy arrays.

Targets: under 20 microseconds of overhead per scalar call, under
5 ms for the 10,000-row array call.  Prints absolute figures and ratios; no
assertion, since timings depend on the machine.
"""

from __future__ import annotations

import statistics
import timeit

import numpy as np

import xl_kpi
from xl_kpi import udfs


def per_call(stmt, number: int, repeat: int = 7) -> float:
    """Median seconds per call over ``repeat`` runs of ``number`` calls."""
    return statistics.median(t / number for t in timeit.repeat(stmt, number=number, repeat=repeat))


def main() -> None:
    floor = per_call(lambda: 20.0 / 200.0, 200_000)
    core = per_call(lambda: xl_kpi.churn_rate(20.0, 200.0), 20_000)
    udf = per_call(lambda: udfs.CHURN_RATE(20.0, 200.0), 20_000)
    print("scalar call                      us/call   ratio to core")
    print(f"  bare division                  {floor * 1e6:8.2f}")
    print(f"  xl_kpi.churn_rate              {core * 1e6:8.2f}   1.00")
    print(f"  udfs.CHURN_RATE (Excel values) {udf * 1e6:8.2f}   {udf / core:.2f}")
    print(f"  UDF overhead over the core     {(udf - core) * 1e6:8.2f}   (target < 20 us)")
    # Missing optional arguments arrive as the signature's int defaults (xlwings' call_udf).
    clv_core = per_call(lambda: xl_kpi.clv(300.0, 0.15), 20_000)
    clv_udf = per_call(lambda: udfs.CLV(300.0, 0.15, 1, 0), 20_000)
    print(f"  xl_kpi.clv(300, 0.15)          {clv_core * 1e6:8.2f}   1.00")
    print(f"  udfs.CLV, optionals omitted    {clv_udf * 1e6:8.2f}   {clv_udf / clv_core:.2f}")
    print(f"  UDF overhead over the core     {(clv_udf - clv_core) * 1e6:8.2f}   (target < 20 us)")

    rng = np.random.default_rng(0)
    lost = rng.integers(0, 50, 10_000).astype(float)
    start = rng.integers(50, 500, 10_000).astype(float)
    lost_range = tuple((v,) for v in lost.tolist())
    start_range = tuple((v,) for v in start.tolist())
    core_array = per_call(lambda: xl_kpi.churn_rate(lost, start), 50)
    udf_array = per_call(lambda: udfs.CHURN_RATE(lost_range, start_range), 5)
    check = udfs.CHURN_RATE(lost_range, start_range)
    assert np.allclose([r[0] for r in check], lost / start)
    print("\n10,000-row array call            ms/call   ratio to core")
    print(f"  xl_kpi.churn_rate (numpy)      {core_array * 1e3:8.3f}   1.00")
    print(f"  udfs.CHURN_RATE (ranges)       {udf_array * 1e3:8.3f}   {udf_array / core_array:.1f}   (target < 5 ms)")


if __name__ == "__main__":
    main()
