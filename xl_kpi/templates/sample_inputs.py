"""Sample inputs for the templates: realistic, deterministic (fixed seeds), vectorised.

The subscription figures come from xl_kpi's synthetic company
(:func:`xl_kpi.sample.generate_ledger`); the funnel, survey, lead, ticket and
balance-sheet figures are drawn here with numpy from fixed seeds, scaled to
the same company (a few hundred customers, about 100 a month in MRR each).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

#: The synthetic company of every template.
SEED = 42
FIRST_MONTH = "2024-01-01"


def _months(n: int, first: str = FIRST_MONTH) -> list[dt.datetime]:
    return [ts.to_pydatetime() for ts in pd.date_range(first, periods=n, freq="MS")]


def funnel_rows(months: int = 12, seed: int = SEED) -> list[list]:
    """Monthly funnel counts: visitors -> leads -> MQLs -> SQLs -> trials -> customers, ads, checkouts, spend.

    >>> rows = funnel_rows(3)
    >>> len(rows), len(rows[0])
    (3, 12)
    >>> all(r[1] > r[2] > r[3] > r[4] > r[6] for r in rows)
    True
    """
    rng = np.random.default_rng(seed)
    growth = 1.04 ** np.arange(months)
    visitors = np.round(18000 * growth * rng.uniform(0.9, 1.1, months))
    leads = np.round(visitors * rng.uniform(0.035, 0.05, months))
    mqls = np.round(leads * rng.uniform(0.35, 0.45, months))
    sqls = np.round(mqls * rng.uniform(0.3, 0.4, months))
    trials = np.round(leads * rng.uniform(0.15, 0.2, months))
    customers = np.round(trials * rng.uniform(0.2, 0.3, months))
    impressions = np.round(visitors * rng.uniform(9, 11, months))
    clicks = np.round(impressions * rng.uniform(0.02, 0.04, months))
    started = np.round(customers * rng.uniform(1.6, 2.2, months))
    completed = customers.copy()
    spend = np.round(customers * rng.uniform(900, 1200, months), 2)
    columns = [visitors, leads, mqls, sqls, trials, customers, impressions, clicks, started, completed]
    table = np.column_stack(columns).astype(int).tolist()
    return [[m, *counts, float(s)] for m, counts, s in zip(_months(months, "2025-01-01"), table, spend)]


def nps_scores(n: int = 150, seed: int = SEED) -> list[list]:
    """Survey answers: respondent id, date, score 0..10 (skewed towards promoters)."""
    rng = np.random.default_rng(seed + 1)
    scores = rng.choice(np.arange(11), size=n, p=np.array([1, 1, 1, 1, 2, 3, 5, 10, 20, 28, 28]) / 100)
    days = np.sort(rng.integers(0, 90, n))
    first = dt.datetime(2025, 10, 1)
    return [[f"R{k + 1:04d}", first + dt.timedelta(days=int(d)), int(s)]
            for k, (d, s) in enumerate(zip(days, scores))]


LEAD_ACTIVITIES = ("Webinar", "Newsletter Click", "Sales Enquiry", "Demo Request", "Pricing Page Visit")
#: Points per activity (the catalog's example: webinar 10, newsletter click 5, sales enquiry 20).
LEAD_POINTS = (10, 5, 20, 25, 3)


def lead_rows(n: int = 25, seed: int = SEED) -> list[list]:
    """Leads with their activity counts (one column per activity)."""
    rng = np.random.default_rng(seed + 2)
    counts = rng.poisson([1.2, 2.5, 0.4, 0.3, 2.0], size=(n, len(LEAD_ACTIVITIES)))
    return [[f"L{k + 1:04d}", *map(int, row)] for k, row in enumerate(counts)]


def ticket_rows(n: int = 60, seed: int = SEED) -> list[list]:
    """Support tickets: id, opened, first response, resolved (a few still open: blank)."""
    rng = np.random.default_rng(seed + 3)
    opened = pd.Timestamp("2025-11-03 08:00") + pd.to_timedelta(np.sort(rng.integers(0, 20 * 24 * 4, n)) * 15,
                                                                  unit="min")
    response = opened + pd.to_timedelta(rng.integers(1, 8 * 4, n) * 15, unit="min")
    resolved = response + pd.to_timedelta(rng.integers(2, 72 * 4, n) * 15, unit="min")
    unanswered = rng.random(n) < 0.05
    unresolved = unanswered | (rng.random(n) < 0.1)
    return [[f"T{k + 1:05d}", o.to_pydatetime(), None if na else r.to_pydatetime(), None if nr else s.to_pydatetime()]
            for k, (o, r, s, na, nr) in enumerate(zip(opened, response, resolved, unanswered, unresolved))]


def balance_rows(quarters: int = 8, seed: int = SEED) -> list[list]:
    """Quarter-end balance sheet and P&L lines of a growing SaaS company.

    Columns: period end, cash, marketable securities, receivables, total current
    assets, total assets, current liabilities, total debt, total equity,
    revenue, cost of revenue, EBIT, interest expense.
    """
    rng = np.random.default_rng(seed + 4)
    g = 1.06 ** np.arange(quarters)
    cash = 2_400_000 * g * rng.uniform(0.9, 1.1, quarters)
    securities = 600_000 * rng.uniform(0.8, 1.2, quarters)
    receivables = 900_000 * g * rng.uniform(0.9, 1.1, quarters)
    current_assets = (cash + securities + receivables) * rng.uniform(1.05, 1.12, quarters)
    total_assets = current_assets * rng.uniform(1.6, 1.9, quarters)
    current_liabilities = current_assets / rng.uniform(1.7, 2.3, quarters)
    debt = 1_500_000 * rng.uniform(0.9, 1.1, quarters)
    equity = total_assets - current_liabilities - debt * 0.8
    revenue = 1_800_000 * g * rng.uniform(0.97, 1.03, quarters)
    cogs = revenue * rng.uniform(0.2, 0.26, quarters)
    ebit = revenue * rng.uniform(0.05, 0.15, quarters)
    interest = debt * rng.uniform(0.015, 0.02, quarters)
    lines = np.round(np.column_stack([cash, securities, receivables, current_assets, total_assets, current_liabilities,
                                      debt, equity, revenue, cogs, ebit, interest]), 0)
    ends = [ts.to_pydatetime() for ts in pd.date_range("2024-03-31", periods=quarters, freq="QE")]
    return [[end, *map(float, row)] for end, row in zip(ends, lines)]


#: Months of the synthetic company left out of the dashboard: its start-up phase.
RAMP_UP = 7


def dashboard_rows(months: int = 24, seed: int = SEED) -> list[list]:
    """MonthlyInputs rows from the synthetic company's MRR bridge (:func:`xl_kpi.ledger.mrr_bridge`).

    The company's first months are a ramp-up (no starting MRR, then hardly any
    churn), so the ledger runs :data:`RAMP_UP` months longer and those are dropped.  The inputs have
    no reactivation column: reactivated customers and MRR count as new.
    Spend and gross margin are not in a ledger; they are drawn from ``seed``.
    """
    from xl_kpi.ledger import mrr_bridge
    from xl_kpi.sample import generate_ledger

    bridge = mrr_bridge(generate_ledger(n_customers=900, n_months=months + RAMP_UP, seed=seed)).iloc[RAMP_UP:]
    return dashboard_rows_from_bridge(bridge, seed)


def dashboard_rows_from_bridge(bridge: pd.DataFrame, seed: int = SEED) -> list[list]:
    """MonthlyInputs rows of an MRR bridge (one per month): its customers and movements; reactivations
    count as new (the inputs have no reactivation column); spend and gross margin drawn from ``seed``.

    >>> import pandas as pd
    >>> from xl_kpi.ledger import mrr_bridge
    >>> rows = dashboard_rows_from_bridge(mrr_bridge(pd.DataFrame(
    ...     {"customer_id": ["a", "a"], "month": ["2024-01-01", "2024-02-01"], "mrr": [10.0, 12.0]})))
    >>> [row[1:9] for row in rows]  # customers start, new, lost; starting, new, expansion, contraction, churned MRR
    [[0, 1, 0, 0.0, 10.0, 0.0, 0.0, 0.0], [1, 0, 0, 10.0, 0.0, 2.0, 0.0, 0.0]]
    """
    months = len(bridge)
    rng = np.random.default_rng(seed + 5)
    new_customers = (bridge["new_customers"] + bridge["reactivated_customers"]).to_numpy()
    spend = np.round(new_customers * rng.uniform(950, 1250, months), 2)
    margin = np.round(rng.uniform(0.76, 0.84, months), 3)
    frame = pd.DataFrame({
        "Customers Start": bridge["customers_start"].astype(int),
        "New Customers": new_customers.astype(int),
        "Customers Lost": bridge["churned_customers"].astype(int),
        "Starting MRR": bridge["starting_mrr"].round(2),
        "New MRR": (bridge["new_mrr"] + bridge["reactivation_mrr"]).round(2),
        "Expansion MRR": bridge["expansion_mrr"].round(2),
        "Contraction MRR": bridge["contraction_mrr"].round(2),
        "Churned MRR": bridge["churned_mrr"].round(2),
        "Sales & Marketing Spend": spend,
        "Gross Margin": margin,
    })
    months_py = [ts.to_pydatetime() for ts in pd.to_datetime(bridge["month"])]
    columns = [frame[c].tolist() for c in frame.columns]  # tolist(): Python ints and floats
    return [[month, *values] for month, values in zip(months_py, zip(*columns))]


def ledger_rows(n_customers: int = 150, months: int = 24, seed: int = SEED) -> list[list]:
    """The synthetic company's ledger (:func:`xl_kpi.sample.generate_ledger`): id, month, MRR rows."""
    from xl_kpi.sample import generate_ledger

    df = generate_ledger(n_customers=n_customers, n_months=months, seed=seed)
    months_py = [ts.to_pydatetime() for ts in df["month"]]
    return [list(row) for row in zip(df["customer_id"].tolist(), months_py, df["mrr"].tolist())]
