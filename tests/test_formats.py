"""Input formats are one registry entry each, and sources are anything with table_names/read_table."""

from __future__ import annotations

import pandas as pd
import pytest

from xl_kpi.errors import UserError
from xl_kpi.ledger import mrr_bridge
from xl_kpi.ledger.formats import (
    CUSTOMER, FORMATS, LEDGER_HEADERS, MONTH, MRR, InputFormat, format_frame, get_format, register_format,
)
from xl_kpi.ledger.raw import RawTable
from xl_kpi.refresh.pipeline import run, select_input


class MemorySource:
    """A source that is neither a workbook nor a file: the pipeline needs only these two methods."""

    label = "memory"

    def __init__(self, **tables: RawTable):
        self.tables = tables

    def table_names(self):
        return list(self.tables)

    def read_table(self, name):
        return next(t for n, t in self.tables.items() if n.lower() == name.lower())


class KeepReport:
    """A report writer over an empty workbook that keeps what it was given."""

    def inventory(self):
        from xl_kpi.refresh.ownership import Inventory

        return Inventory("test", [], [], [], None)

    def write(self, report, plan, progress=None):
        self.report = report


def test_a_new_format_is_one_entry_and_the_pipeline_reads_it():
    # usage billing: one row per customer and month with units and a price; MRR = units * price
    def usage_to_ledger(frame, raw, **options):
        mrr = pd.to_numeric(frame["Units"]) * pd.to_numeric(frame["Price"])
        return pd.DataFrame({CUSTOMER: frame["Account"], MONTH: frame["Period"], MRR: mrr})

    register_format(InputFormat("usage", "Usage", ("Account", "Period", "Units", "Price"), usage_to_ledger))
    try:
        rows = [["a", "2024-01-01", 2, 50.0], ["b", "2024-01-01", 1, 30.0], ["a", "2024-02-01", 3, 50.0]]
        source = MemorySource(Usage=RawTable(["Account", "Period", "Units", "Price"], rows, first_row=2,
                                             source="memory", table="Usage"))
        writer = KeepReport()
        result = run(source, writer)
        expected = mrr_bridge(pd.DataFrame({"customer_id": ["a", "b", "a"], "month": ["2024-01-01"] * 2 + ["2024-02-01"],
                                            "mrr": [100.0, 30.0, 150.0]}))
        assert result.bridge["ending_mrr"].tolist() == expected["ending_mrr"].tolist() == [130.0, 150.0]
        assert result.bridge["churned_mrr"].tolist() == [0.0, 30.0]
        assert writer.report.sheets
    finally:
        del FORMATS["usage"]


def test_formats_are_found_by_name_or_table_and_columns_by_header():
    assert get_format("SUBSCRIPTIONS") is get_format("subscriptions")
    with pytest.raises(UserError, match="unknown input 'chargebee' .known inputs: Ledger, Subscriptions, Stripe, "
                                        "Baremetrics"):
        get_format("chargebee")
    raw = RawTable([" mrr ", "MONTH", "customer  id", "Notes"], [[1.0, "2024-01", "x", "n"]], table="Ledger")
    frame = format_frame(raw, get_format("ledger"))
    assert frame.columns.tolist() == list(LEDGER_HEADERS)
    assert frame.iloc[0].tolist() == ["x", "2024-01", 1.0]


def test_the_table_with_data_is_read_and_two_with_data_are_refused():
    ledger = RawTable(list(LEDGER_HEADERS), [[None, None, None]], table="Ledger")
    subs = RawTable(["Customer ID", "Start Date", "Amount"], [["a", "2024-01-01", 10.0]], table="Subscriptions")
    fmt, raw = select_input(MemorySource(Ledger=ledger, Subscriptions=subs))
    assert fmt.name == "subscriptions" and raw is subs
    full = RawTable(list(LEDGER_HEADERS), [["a", "2024-01-01", 10.0]], table="Ledger")
    with pytest.raises(UserError, match="both 'Ledger' .1 row. and 'Subscriptions' .1 row. hold data"):
        select_input(MemorySource(Ledger=full, Subscriptions=subs))
    assert select_input(MemorySource(Ledger=full, Subscriptions=subs), "subscriptions")[1] is subs
