"""The Ibis engine's expressions on Spark (local mode) give the numpy path's numbers.

This is the code that runs on a Spark cluster, run by a local one: one
SparkSession for the module, one core, one shuffle partition, a few small
ledgers (Spark's start-up dominates; the module takes well under two
minutes). Java 17 is needed (``.ci/run`` installs it where missing).
"""

from __future__ import annotations

import re

import ibis
import pandas as pd
import pytest
from pyspark.sql import SparkSession

from tests.engine_cases import canonical_ledger, check_ledger, checks_of, is_canonical, money_cases, random_ledger
from tests.test_engines import assert_same_analyses
from tests.test_engines_canonical import assert_plan, late_rows
from tests.test_ledger import hand_ledger
from xl_kpi.engines.ibis_engine import IbisLedger
from xl_kpi.ledger import LedgerError, prepare_ledger

# pyspark 4.x's pandas conversion uses options pandas 3 deprecates; nothing of ours
pytestmark = pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("spark")
    session = (SparkSession.builder.master("local[1]").appName("xl_kpi-tests")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.default.parallelism", "1")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", "1g")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
               # small data: compiling whole-stage code and re-planning cost more than they save, and
               # the JVM's quick compiler starts faster (about 3x quicker here than Spark's defaults)
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.adaptive.enabled", "false")
               .config("spark.driver.extraJavaOptions",
                       f"-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dderby.system.home={scratch}")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()


def on_spark(con, df: pd.DataFrame, name: str):
    """``df`` as a Spark temporary view (what a cluster's source would be; nothing written to disk)."""
    return con.create_view(name, ibis.memtable(df), overwrite=True)


def test_the_spark_backend_runs_the_queries(spark):
    led = IbisLedger(on_spark(spark, random_ledger(1, rows=60), "probe"))
    assert led.table.get_backend().name == "pyspark"


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_hostile_ledgers_on_spark_agree_with_the_numpy_path(spark, seed):
    df = random_ledger(seed, rows=300, months=16)
    assert_same_analyses(df, IbisLedger(on_spark(spark, df, f"ledger_{seed}")))


@pytest.mark.parametrize("args, as_of", [(dict(seed=1), None), (dict(seed=2, kind="digits"), "2024-06"),
                                         (dict(seed=14, kind="dotted", months=20), "2024-02")],
                         ids=["names", "digits cut", "rewritten ids cut"])
def test_canonical_ledgers_on_spark_agree_with_the_numpy_path(spark, args, as_of):
    """One row per customer-month, every MRR > 0 (the Ibis engine's fast path, tests/test_engines_canonical.py),
    on Spark: the same numbers, cut by as_of or not, ids the id rule rewrites (Java's regular expressions)."""
    df = canonical_ledger(**args)
    assert is_canonical(df, as_of)
    led = IbisLedger(on_spark(spark, df, f"canonical_{args['seed']}"), as_of=as_of)
    assert_plan(led, "customer-months" if args.get("kind") == "dotted" else "rows")  # (rewritten ids: grouped)
    assert_same_analyses(df, led, as_of=as_of)
    ref = prepare_ledger(df, as_of=as_of)
    assert (led.rows_after_as_of, led.month_range()) == (late_rows(df, as_of), ref.month_range())
    # Spark has no row numbers: the checks' counts and words, not their examples (rows)
    got, want = checks_of(led.data_checks()), checks_of(ref.checks)
    assert [c[:2] + c[3:] for c in got] == [c[:2] + c[3:] for c in want]


def test_hand_worked_ledger_and_as_of_on_spark(spark):
    df = hand_ledger()
    df["month"] = pd.to_datetime(df["month"])
    t = on_spark(spark, df, "hand")
    assert_same_analyses(df, IbisLedger(t))
    early = IbisLedger(t, as_of="2024-03-31")
    assert_same_analyses(df, early, as_of="2024-03-31", windows=(1,))
    assert early.rows_after_as_of == int((df["month"] >= "2024-04-01").sum())


def test_a_bad_row_on_spark_is_named_by_its_value(spark):
    df = pd.DataFrame({"customer_id": ["a", "b", "c"], "month": pd.to_datetime(["2024-01-01"] * 3),
                       "mrr": [1.0, -4.0, -2.5]})
    # Spark has no row numbers: the customer and month name the bad net
    with pytest.raises(LedgerError, match=r"^Column 'mrr': customer '[bc]' nets to -(4|2\.5) in Jan 2024; a credit or refund"):
        IbisLedger(on_spark(spark, df, "bad"))


def test_the_data_checks_on_spark_are_the_numpy_paths(spark):
    """Duplicate rows, ids differing only in case or leading zeros, months without customers: the numpy
    path's counts and words on Spark too; Spark has no row numbers, so the examples name the ids only."""
    df = check_ledger()
    want = checks_of(prepare_ledger(df).checks)
    got = checks_of(IbisLedger(on_spark(spark, df, "checks")).data_checks())
    assert [c[:2] for c in got] == [c[:2] for c in want]
    assert [c[3:] for c in got] == [c[3:] for c in want]
    unrowed = lambda text: re.sub(r" \(row \d+\)", "", text)  # noqa: E731
    as_sets = lambda examples: {frozenset(unrowed(e).split(" / ")) for e in examples}  # noqa: E731
    assert as_sets(got[1][2]) == as_sets(want[1][2]) == {frozenset({"'Acme'", "'acme'"}),
                                                           frozenset({"'0042'", "'42'"}),
                                                           frozenset({"'Straße'", "'STRASSE'"})}
    assert got[0][2] == () and got[2][2] == want[2][2] == ("Apr 2024", "May 2024")


def test_the_money_rule_on_spark_gives_numpys_bits(spark):
    """The SQL rounding (two additions of 2^52, no ROUND) gives numpy's bits on Spark too, ties and all."""
    import numpy as np

    from xl_kpi.engines.ibis_engine import round_money as sql_round
    from xl_kpi.ledger.money import DECIMALS, round_money

    values = money_cases()
    t = on_spark(spark, pd.DataFrame({"x": values}), "money")
    got = t.select(y=sql_round(t.x, DECIMALS)).to_pyarrow()["y"].to_numpy()
    np.testing.assert_array_equal(got, round_money(values))


def test_ids_with_unicode_spaces_and_digits_on_spark(spark):
    """Java's regular expressions take the code-point classes of the id rule too (no-break space trimmed,
    a whole number in Arabic-Indic or fullwidth digits cut at its decimal point), as in memory; and "12.0",
    "7." are "12", "7" (a back-reference "\\1" in the replacement was the text "1" on Spark: every such id
    was the customer "1")."""
    raw = ["x\u00a0", "x", "\u00a0y\u3000", "y", "\u0661\u0662.0", "\u0661\u0662", "\uff18.", "\uff18", "7.", "\U0001d7ce.0",
           "12.0", "+3.00"]
    df = pd.DataFrame({"customer_id": raw, "month": pd.to_datetime(["2024-01-01"] * len(raw)),
                       "mrr": [float(i + 1) for i in range(len(raw))]})
    want = prepare_ledger(df).movements().sort_values("customer", ignore_index=True)
    got = IbisLedger(on_spark(spark, df, "unicode_ids")).movements().sort_values("customer", ignore_index=True)
    assert got["customer"].tolist() == want["customer"].tolist() == ["+3", "12", "7", "x", "y", "\u0661\u0662", "\uff18",
                                                                     "\U0001d7ce"]
    assert got["change"].tolist() == want["change"].tolist() == [12.0, 11.0, 9.0, 3.0, 7.0, 11.0, 15.0, 10.0]


def test_the_rows_plans_kept_rows_on_spark_give_the_latest_movements_and_near_duplicate_ids(spark):
    """Review probe (tests/test_engines_rows_plan_review.py on DuckDB): on Spark too, the rows plan's kept rows
    (each customer's first, the latest months') give the MRR Movements sheet's months, cut at a row count
    within a month, and the near-duplicate ids (a key of three, leading zeros, a casefolded non-ASCII id)."""
    from tests.engine_cases import assert_frames_match
    from xl_kpi.ledger.movements import latest_months, listed_months

    df = canonical_ledger(45, months=18, ids=40)
    names = {"cus_1": "acme", "cus_2": "Acme", "cus_3": "ACME", "cus_4": "0042", "cus_5": "42",
             "cus_6": "Straße", "cus_7": "STRASSE"}
    df = df.assign(customer_id=df["customer_id"].replace(names))
    as_of = str(df["month"].dt.to_period("M").max() - 2)
    led = IbisLedger(on_spark(spark, df, "rows_plan_kept"), as_of=as_of)
    ref = prepare_ledger(df, as_of=as_of)
    assert_plan(led, "rows")
    every = latest_months(ref.movements(), 3)
    counts = every.groupby("month").size()
    for rows in (len(every), int(counts.iloc[-1]), max(int(counts.iloc[-1]) - 2, 1)):
        kept, cut = listed_months(counts, rows)
        want = every[every["month"].isin(kept)].reset_index(drop=True)
        got = led.movements(latest=3, rows=rows)
        assert_frames_match(got, want.head(rows) if cut else want)
        assert got["customer"].tolist() == (want.head(rows) if cut else want)["customer"].tolist()
    got, want = checks_of(led.data_checks()), checks_of(ref.checks)
    assert [c[:2] + c[3:] for c in got] == [c[:2] + c[3:] for c in want]
    assert any("case" in c[3] for c in want)
