"""The Excel functions, called with exactly what Excel (through xlwings) passes them.

Scalars arrive as floats, blanks as None, text as str, TRUE/FALSE as bool,
cell errors as COM error integers or (``err_to_str=True``) as their literal,
ranges as tuples of row tuples, date cells as datetimes.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from xl_kpi import udfs
from xl_kpi.excel_values import ERROR_CODES, ExcelError

DIV0_CODE, NA_CODE, NUM_CODE, VALUE_CODE = -2146826281, -2146826246, -2146826252, -2146826273


def col(*values):
    """A one-column range as Excel passes it."""
    return tuple((v,) for v in values)


def is_error(value, literal):
    return isinstance(value, ExcelError) and str(value) == literal and value.reason


# ------------------------------------------------------------------ scalars


def test_scalar_floats_give_a_float():
    assert udfs.CHURN_RATE(20.0, 200.0) == 0.1
    assert isinstance(udfs.CHURN_RATE(20.0, 200.0), float)


def test_scalar_ints_and_numeric_text_are_numbers_like_excel_arithmetic():
    assert udfs.CHURN_RATE(20, 200) == 0.1
    assert udfs.CHURN_RATE("20", " 200 ") == 0.1
    assert udfs.CHURN_RATE(20.0, "2e2") == 0.1
    assert udfs.ARR("100") == 1200.0
    assert udfs.CUSTOMER_LIFETIME("5%") == pytest.approx(20.0)


def test_zero_denominator_is_div0_with_a_reason():
    result = udfs.CHURN_RATE(20.0, 0.0)
    assert is_error(result, "#DIV/0!")
    assert "customers_at_start" in result.reason


def test_out_of_domain_is_num():
    assert is_error(udfs.CHURN_RATE(-1.0, 200.0), "#NUM!")
    assert is_error(udfs.CUSTOMER_LIFETIME(1.5), "#NUM!")
    assert is_error(udfs.CLV(300.0, 0.15, 1.2), "#NUM!")  # gross margin above 1


def test_text_bool_and_blank_are_value_errors():
    assert is_error(udfs.CHURN_RATE("twenty", 200.0), "#VALUE!")
    assert is_error(udfs.CHURN_RATE(True, 200.0), "#VALUE!")
    assert is_error(udfs.CHURN_RATE(None, 200.0), "#VALUE!")
    assert is_error(udfs.CHURN_RATE("", 200.0), "#VALUE!")


@pytest.mark.parametrize("code,literal", sorted(ERROR_CODES.items()))
def test_input_error_propagates_as_the_same_error(code, literal):
    assert str(udfs.CHURN_RATE(code, 200.0)) == literal
    assert str(udfs.CHURN_RATE(20.0, literal)) == literal  # err_to_str=True form


@pytest.mark.parametrize("code,literal", [(-2146826243, "#SPILL!"), (-2146826245, "#GETTING_DATA")])
def test_a_newer_error_xlwings_passes_as_its_com_integer_propagates(code, literal):
    """xlwings converts only the classic seven errors: #SPILL! (xlErrSpill 2045) reaches the function as COM's
    integer, which was computed as a number (#NUM!, a negative count); it is that error."""
    assert str(udfs.CHURN_RATE(code, 200.0)) == literal
    assert str(udfs.CHURN_RATE(20.0, code)) == literal


#: VBA's XlCVError numbers of the newer errors (the COM integer is 0x800A0000 + the number), written out here.
XL_CV_ERRORS = {2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!", 2047: "#BLOCKED!", 2048: "#UNKNOWN!",
                2049: "#FIELD!", 2050: "#CALC!"}


@pytest.mark.parametrize("number,literal", sorted(XL_CV_ERRORS.items()))
def test_every_newer_error_vba_numbers_propagates_from_its_com_integer(number, literal):
    """#CALC! (xlErrCalc 2050) reaches a function as -2146826238 and was computed as that number (#NUM!, a
    negative count), in a range too (MRR); it is its error, as #SPILL! is."""
    code = -2146828288 + number
    assert str(udfs.CHURN_RATE(code, 200.0)) == literal
    assert str(udfs.CHURN_RATE(20.0, code)) == literal
    assert str(udfs.MRR(col(10.0, code))) == literal


def test_first_argument_problem_wins_like_excel_left_to_right():
    # Excel: =NA()/(1/0) is #N/A and ="abc"/NA() is #VALUE!: the first operand's error wins.
    assert str(udfs.CHURN_RATE(NA_CODE, DIV0_CODE)) == "#N/A"
    assert str(udfs.CHURN_RATE("abc", NA_CODE)) == "#VALUE!"
    assert str(udfs.CHURN_RATE(20.0, NA_CODE)) == "#N/A"
    # #VALUE! (text) beats #NUM! (domain) beats #DIV/0!, as in Excel.
    assert str(udfs.CHURN_RATE(-1.0, "x")) == "#VALUE!"
    assert str(udfs.CHURN_RATE(-1.0, 0.0)) == "#NUM!"


def test_missing_optional_arguments_take_the_catalog_default():
    # xlwings passes the Python default for a missing optional; a blank cell is None.
    assert udfs.CLV(300.0, 0.15) == pytest.approx(2000.0)
    assert udfs.CLV(300.0, 0.15, None, None) == pytest.approx(2000.0)
    assert udfs.CLV(100.0, 0.05, 0.8, 0.01) == pytest.approx(1346.6666666666667)
    assert udfs.NET_NEW_MRR(10000.0, 5000.0, 2000.0, 3000.0) == 10000.0


def test_text_result():
    assert udfs.CHURN_BENCHMARK(0.02) == "good"
    assert udfs.CHURN_BENCHMARK(col(0.02, 0.048, 0.08)) == [["good"], ["average"], ["high"]]


# ------------------------------------------------------------------ ranges


def test_column_ranges_spill_as_a_column():
    result = udfs.CHURN_RATE(col(20.0, 10.0, 10.0), col(200.0, 200.0, 100.0))
    assert result == [[0.1], [0.05], [0.1]]


def test_row_range_spills_as_a_row_and_broadcasts_a_scalar():
    assert udfs.CHURN_RATE(((20.0, 10.0),), 200.0) == [[0.1, 0.05]]


def test_single_cell_range_gives_a_scalar():
    assert udfs.CHURN_RATE(((20.0,),), ((200.0,),)) == 0.1


def test_errors_are_element_wise_inside_a_range():
    result = udfs.CHURN_RATE(col(20.0, "x", NA_CODE, -1.0, 5.0, None), col(200.0, 200.0, 200.0, 200.0, 0.0, 100.0))
    assert result[0] == [0.1]
    assert [str(r[0]) for r in result[1:]] == ["#VALUE!", "#N/A", "#NUM!", "#DIV/0!", "#VALUE!"]
    assert all(isinstance(r[0], ExcelError) for r in result[1:])


def test_ranges_of_different_sizes_are_value_error():
    assert is_error(udfs.CHURN_RATE(col(1.0, 2.0, 3.0), col(10.0, 20.0)), "#VALUE!")


def test_ragged_and_empty_ranges_are_value_error():
    assert is_error(udfs.CHURN_RATE(((1.0, 2.0), (3.0,)), 10.0), "#VALUE!")
    assert is_error(udfs.CHURN_RATE((), 10.0), "#VALUE!")


def test_summed_argument_totals_its_range():
    assert udfs.CAC(((6000.0, 8000.0),), 10.0) == pytest.approx(1400.0)
    assert udfs.CAC(col(6000.0, None, 8000.0), 10.0) == pytest.approx(1400.0)  # blanks ignored
    assert str(udfs.CAC(col(6000.0, NA_CODE), 10.0)) == "#N/A"
    assert str(udfs.CAC(col(6000.0, "n/a"), 10.0)) == "#VALUE!"


# ------------------------------------------------------------------ range-reducing functions


def test_mrr_normalises_billing_periods_and_ignores_blanks():
    assert udfs.MRR(col(*[10.0] * 10)) == pytest.approx(100.0)
    assert udfs.MRR(1200.0, 12.0) == pytest.approx(100.0)
    assert udfs.MRR(col(1200.0, 100.0, None), col(12.0, 1.0, None)) == pytest.approx(200.0)


def test_reductions_propagate_errors_and_refuse_text():
    assert str(udfs.MRR(col(10.0, NA_CODE))) == "#N/A"
    assert str(udfs.MRR(col(10.0, "ten"))) == "#VALUE!"
    assert str(udfs.MRR(1200.0, 0.0)) == "#DIV/0!"


def test_nps_from_a_range_of_answers_with_blanks():
    answers = col(10.0, 9.0, None, 9.0, 10.0, 9.0, 10.0, 7.0, 8.0, 3.0, 6.0)
    assert udfs.NPS(answers) == pytest.approx(40.0)
    assert str(udfs.NPS(col(11.0, 9.0))) == "#NUM!"
    assert str(udfs.NPS(col(None, None))) == "#DIV/0!"


def test_lead_score_needs_equal_ranges():
    assert udfs.LEAD_SCORE(((1.0, 1.0, 1.0),), ((10.0, 5.0, 20.0),)) == pytest.approx(35.0)
    assert str(udfs.LEAD_SCORE(((1.0, 1.0),), ((10.0, 5.0, 20.0),))) == "#VALUE!"


def test_response_hours_from_excel_datetimes_and_serials():
    opened = col(dt.datetime(2024, 1, 2, 9, 0), dt.datetime(2024, 1, 2, 10, 0), dt.datetime(2024, 1, 3, 8, 0))
    answered = col(dt.datetime(2024, 1, 2, 11, 30), None, dt.datetime(2024, 1, 3, 9, 30))
    assert udfs.AVG_FIRST_RESPONSE_HOURS(opened, answered) == pytest.approx(2.0)
    serial = col(45293 + 9 / 24, 45293 + 10 / 24, 45294 + 8 / 24)
    serial_answered = col(45293 + 11.5 / 24, None, 45294 + 9.5 / 24)
    assert udfs.AVG_RESOLUTION_HOURS(serial, serial_answered) == pytest.approx(2.0)


# ------------------------------------------------------------------ never a non-finite number


def test_overflow_is_num_not_inf():
    result = udfs.ARR(1e308)
    assert is_error(result, "#NUM!")


def test_nan_and_inf_inputs_are_errors():
    assert str(udfs.CHURN_RATE(math.inf, 200.0)) == "#NUM!"
    assert str(udfs.CHURN_RATE(math.nan, 200.0)) == "#VALUE!"
