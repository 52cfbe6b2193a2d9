"""A segment cell holding TRUE/FALSE or an infinity is refused by name, as such an id is (the fuzz test found
MRR_BRIDGE(0.0, 1, 0.0, None, False, None) failing inside the segment split: #VALUE! marked unexpected)."""

import numpy as np
import pandas as pd
import pytest

from xl_kpi.ledger import LedgerError, prepare_ledger
from xl_kpi.udfs import MRR_BRIDGE


@pytest.mark.parametrize("segments, row, shown", [(False, 1, "False"), (["x", True], 2, "True"),
                                                   (["x", np.inf], 2, "inf")])
def test_an_excel_function_names_the_cell(segments, row, shown):
    ids, months, mrr = (["a", "b"], ["2024-01-01", "2024-02-01"], [1.0, 2.0]) if isinstance(segments, list) \
        else (0.0, 1, 0.0)
    cell = MRR_BRIDGE(ids, months, mrr, None, segments, None)[0][0]
    assert str(cell) == "#VALUE!" and not cell.unexpected
    assert cell.reason == f"segments, row {row} of the range: {shown} is not a segment (TRUE/FALSE and infinities " \
                          f"are not segments)"


def test_the_ledger_names_the_sheet_row_after_a_skipped_blank_row():
    df = pd.DataFrame({"customer_id": [None, "a", "b"], "month": pd.to_datetime([None, "2024-01-01", "2024-02-01"]),
                       "mrr": [None, 1.0, 2.0], "plan": pd.Series([None, "Pro", True], dtype=object)})
    with pytest.raises(LedgerError) as err:
        prepare_ledger(df, segment="plan", sheet="Ledger")
    assert (err.value.row, err.value.column) == (4, "plan")  # header row 1, the blank row 2 skipped
    assert "True is not a segment" in str(err.value) and "row 4" in str(err.value)
    ok = prepare_ledger(df.assign(plan=pd.Series([None, "Pro", "Basic"], dtype=object)), segment="plan")
    assert list(ok.bridge(by_segment=True)["segment"].unique()) == ["Basic", "Pro"]
