"""Funnel KPIs: catalog examples, broadcasting, errors, NPS / lead score / support-time properties, LibreOffice."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xl_kpi
from xl_kpi.errors import KPIDivisionByZeroError, KPIDomainError, KPIValueError
from xl_kpi.excel_values import to_serial
from xl_kpi.kpis.definition import FRACTION, HOURS, POINTS

from tests.libreoffice import computed as libreoffice_computed

NAMES = [
    "CONVERSION_RATE", "PQL_CONVERSION_RATE", "LEAD_TO_CUSTOMER_RATE", "MQL_TO_SQL_RATE", "CLICK_THROUGH_RATE",
    "ABANDONMENT_RATE", "ADOPTION_RATE", "STICKINESS", "NPS", "NPS_FROM_COUNTS", "LEAD_SCORE",
    "AVG_FIRST_RESPONSE_HOURS", "AVG_RESOLUTION_HOURS",
]
ELEMENTWISE = [n for n in NAMES if n not in ("NPS", "LEAD_SCORE", "AVG_FIRST_RESPONSE_HOURS", "AVG_RESOLUTION_HOURS")]

# 60% promoters (9-10), 20% passives, 20% detractors
NPS_SCORES = [10] * 25 + [9] * 35 + [8] * 12 + [7] * 8 + [6] * 10 + [0] * 10

CATALOG = [
    (xl_kpi.conversion_rate, (25, 1000), 0.025),
    (xl_kpi.pql_conversion_rate, (30, 120), 0.25),
    (xl_kpi.lead_to_customer_rate, (40, 800), 0.05),
    (xl_kpi.mql_to_sql_rate, (60, 300), 0.20),
    (xl_kpi.click_through_rate, (35, 1000), 0.035),
    (xl_kpi.abandonment_rate, (100, 25), 0.75),
    (xl_kpi.adoption_rate, (10, 100), 0.10),
    (xl_kpi.stickiness, (300, 1000), 0.30),
    (xl_kpi.nps, (NPS_SCORES,), 40.0),
    (xl_kpi.nps_from_counts, (60, 20, 20), 40.0),
    (xl_kpi.lead_score, ([1, 1, 1], [10, 5, 20]), 35.0),  # webinar, newsletter click, sales enquiry
    (xl_kpi.avg_first_response_hours, (dt.datetime(2026, 11, 24, 9), dt.datetime(2026, 11, 24, 11, 30)), 2.5),
]


@pytest.mark.parametrize("func, args, expected", CATALOG, ids=lambda v: getattr(v, "__name__", None))
def test_catalog_worked_examples(func, args, expected):
    result = func(*args)
    assert type(result) is float
    assert result == pytest.approx(expected, rel=1e-9)


def test_registered_in_catalog_order_with_catalog_arguments():
    assert [d.excel_name for d in xl_kpi.definitions() if d.family == "funnel"] == NAMES
    expected_args = {
        "CONVERSION_RATE": ("conversions", "total"),
        "PQL_CONVERSION_RATE": ("pqls_converted", "pqls"),
        "LEAD_TO_CUSTOMER_RATE": ("customers", "leads"),
        "MQL_TO_SQL_RATE": ("sqls", "mqls"),
        "CLICK_THROUGH_RATE": ("clicks", "impressions"),
        "ABANDONMENT_RATE": ("checkouts_started", "checkouts_completed"),
        "ADOPTION_RATE": ("adopters", "eligible_users"),
        "STICKINESS": ("dau", "mau"),
        "NPS": ("scores",),
        "NPS_FROM_COUNTS": ("promoters", "passives", "detractors"),
        "LEAD_SCORE": ("activity_counts", "points"),
        "AVG_FIRST_RESPONSE_HOURS": ("opened_at", "first_response_at"),
        "AVG_RESOLUTION_HOURS": ("opened_at", "resolved_at"),
    }
    for name, args in expected_args.items():
        definition = xl_kpi.get(name)
        assert definition.arg_names == args, name
        assert all(a.help for a in definition.args), name
        assert "Examples" in definition.function.__doc__, name
        assert definition.elementwise == (name in ELEMENTWISE), name
        if not definition.elementwise:
            assert all(a.array for a in definition.args) and definition.denominators == (), name
    for name in ELEMENTWISE[:8]:
        assert xl_kpi.get(name).unit is FRACTION
    assert xl_kpi.get("NPS").unit is xl_kpi.get("NPS_FROM_COUNTS").unit is POINTS
    assert xl_kpi.get("AVG_RESOLUTION_HOURS").unit is HOURS
    with pytest.raises(KPIDivisionByZeroError, match="promoters\\+passives\\+detractors"):
        xl_kpi.nps_from_counts(0, 0, 0)
    assert xl_kpi.nps_from_counts(0, 5, 0) == 0


# --------------------------------------------------------------------------- element-wise rates


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: xl_kpi.conversion_rate(25, 0), KPIDivisionByZeroError, "total must be > 0, got 0"),
        (lambda: xl_kpi.conversion_rate(-1, 10), KPIDomainError, "conversions must be >= 0"),
        (lambda: xl_kpi.stickiness(None, 10), KPIValueError, "dau is blank"),
        (lambda: xl_kpi.click_through_rate("35", 1000), KPIValueError, "clicks"),
        (lambda: xl_kpi.abandonment_rate(0, 0), KPIDivisionByZeroError, "checkouts_started"),
        (lambda: xl_kpi.nps_from_counts(0, 0, 0), KPIDivisionByZeroError, "promoters\\+passives\\+detractors"),
        (lambda: xl_kpi.nps_from_counts(5, -1, 2), KPIDomainError, "passives"),
    ],
)
def test_scalar_invalid_rates_raise_naming_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_rates_broadcast_and_invalid_elements_are_nan():
    got = xl_kpi.conversion_rate([25, 50, -1], [[1000], [0]])
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got[0], [0.025, 0.05, np.nan])
    assert np.isnan(got[1]).all()
    np.testing.assert_array_equal(xl_kpi.nps_from_counts([60, 0], [20, 0], pd.Series([20, 0])), [40.0, np.nan])




# --------------------------------------------------------------------------- NPS

scores = st.lists(st.integers(0, 10), min_size=1, max_size=60)


@given(scores)
def test_nps_equals_nps_from_counts_of_its_own_answers_and_lies_in_range(answers):
    promoters = sum(s >= 9 for s in answers)
    passives = sum(s in (7, 8) for s in answers)
    detractors = sum(s <= 6 for s in answers)
    value = xl_kpi.nps(answers)
    assert value == xl_kpi.nps_from_counts(promoters, passives, detractors)
    assert -100 <= value <= 100


@given(scores, st.lists(st.sampled_from([None, np.nan]), max_size=10), st.randoms(use_true_random=False))
def test_nps_ignores_blanks(answers, blanks, rnd):
    mixed = list(answers) + blanks
    rnd.shuffle(mixed)
    assert xl_kpi.nps(mixed) == xl_kpi.nps(answers)


def test_nps_accepts_every_input_form():
    flat = [10, 9, None, 6, 7, 3]
    expected = 100 * (2 - 2) / 5
    assert xl_kpi.nps(flat) == expected
    as_float = np.array([np.nan if v is None else v for v in flat])
    for form in (
        tuple((v,) for v in flat),  # an Excel column: tuple of row tuples
        np.array(flat, dtype=object).reshape(2, 3),
        as_float.reshape(3, 2, 1),
        pd.Series(as_float),
        pd.Series(flat, dtype="Int64"),  # nullable integers with <NA>
    ):
        assert xl_kpi.nps(form) == expected
    assert xl_kpi.nps(9) == 100.0 and xl_kpi.nps(0.0) == -100.0


@pytest.mark.parametrize(
    "answers, error, words",
    [
        ([9, 11], KPIDomainError, "scores must be a whole number from 0 to 10, got 11 at position 1"),
        ([[9, 10], [7.5, 3]], KPIDomainError, r"got 7.5 at position \(1, 0\)"),
        ([-1], KPIDomainError, "got -1 at position 0"),
        ([9, np.inf], KPIDomainError, "position 1"),
        ([9, "10"], KPIValueError, r"scores must hold numbers, got '10' at position 1"),
        ([9, True], KPIValueError, "scores"),
        ("9", KPIValueError, "scores"),
        ([None, np.nan], KPIDivisionByZeroError, "scores has no answers"),
        ([], KPIDivisionByZeroError, "scores has no answers"),
        ([[9, 10], [8]], KPIValueError, "scores is not a rectangular range"),
    ],
)
def test_nps_invalid_input_raises_naming_the_argument(answers, error, words):
    with pytest.raises(error, match=words):
        xl_kpi.nps(answers)


# --------------------------------------------------------------------------- lead score

small = st.integers(0, 50).map(float)
pts = st.integers(-30, 30).map(float)


@given(st.data(), st.integers(0, 5), st.integers(0, 5))
def test_lead_score_is_linear(data, a, b):
    n = data.draw(st.integers(1, 12))
    c1 = np.array(data.draw(st.lists(small, min_size=n, max_size=n)))
    c2 = np.array(data.draw(st.lists(small, min_size=n, max_size=n)))
    p1 = np.array(data.draw(st.lists(pts, min_size=n, max_size=n)))
    p2 = np.array(data.draw(st.lists(pts, min_size=n, max_size=n)))
    score = xl_kpi.lead_score
    assert score(a * c1 + b * c2, p1) == pytest.approx(a * score(c1, p1) + b * score(c2, p1), rel=1e-12, abs=1e-9)
    assert score(c1, a * p1 + b * p2) == pytest.approx(a * score(c1, p1) + b * score(c1, p2), rel=1e-12, abs=1e-9)
    assert score(c1, p1) == pytest.approx(float(np.dot(c1, p1)), rel=1e-12, abs=1e-9)


def test_lead_score_blanks_add_nothing_and_points_may_be_negative():
    assert xl_kpi.lead_score([2, None, 1], [10, 5, -15]) == 5.0
    assert xl_kpi.lead_score(np.array([[2.0, np.nan], [1.0, 4.0]]), np.array([[10.0, 5.0], [np.nan, 1.0]])) == 24.0
    assert xl_kpi.lead_score(pd.Series([1.0, 2.0]), pd.Series([3.0, 4.0])) == 11.0
    assert xl_kpi.lead_score(3, 5) == 15.0


@pytest.mark.parametrize(
    "args, error, words",
    [
        (([1, 2], [1, 2, 3]), KPIValueError, r"activity_counts and points must be ranges of the same size"),
        ((((1,), (2,)), ((1, 2),)), KPIValueError, r"shapes \(2, 1\) and \(1, 2\)"),
        (([1, -2], [1, 2]), KPIDomainError, "activity_counts must be >= 0 and finite, got -2 at position 1"),
        (([1, 2], [1, np.inf]), KPIDomainError, "points must be finite"),
        (([1, "x"], [1, 2]), KPIValueError, "activity_counts"),
        (([1, 2], [1, False]), KPIValueError, "points"),
        (([1e300, 1e300], [1e300, -1e300]), KPIDomainError, "LEAD_SCORE: the result is not a finite number"),
    ],
)
def test_lead_score_invalid_input_raises_naming_the_argument(args, error, words):
    with pytest.raises(error, match=words):
        xl_kpi.lead_score(*args)


# --------------------------------------------------------------------------- support times

START = dt.datetime(2020, 1, 1)


@st.composite
def tickets(draw):
    n = draw(st.integers(1, 25))
    opened = [START + dt.timedelta(seconds=draw(st.integers(0, 10 * 365 * 86400))) for _ in range(n)]
    waits = [draw(st.none() | st.integers(0, 30 * 86400)) for _ in range(n)]
    if all(w is None for w in waits):
        waits[0] = draw(st.integers(0, 30 * 86400))
    done = [None if w is None else o + dt.timedelta(seconds=w) for o, w in zip(opened, waits)]
    return opened, done


@settings(max_examples=60, deadline=None)
@given(tickets(), st.sampled_from([xl_kpi.avg_first_response_hours, xl_kpi.avg_resolution_hours]))
def test_avg_hours_agree_with_pandas_for_datetimes_and_serials(ticket_list, func):
    opened, done = ticket_list
    frame = pd.DataFrame({"opened": pd.to_datetime(opened), "done": pd.to_datetime(done)})
    expected = ((frame["done"] - frame["opened"]).dt.total_seconds() / 3600).dropna().mean()
    assert func(opened, done) == pytest.approx(expected, rel=1e-9, abs=1e-12)  # datetime objects
    assert func(frame["opened"], frame["done"]) == pytest.approx(expected, rel=1e-9, abs=1e-12)  # Series
    as_serial = lambda values: np.array([np.nan if v is None else to_serial(v) for v in values])  # noqa: E731
    # Serials near 46000 carry ~1 microsecond of rounding each: absolute tolerance of ~4 ms.
    assert func(as_serial(opened), as_serial(done)) == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_avg_hours_accept_mixed_forms_and_time_zones():
    opened = [dt.datetime(2026, 11, 24, 9), dt.datetime(2026, 11, 24, 10), None]
    answered = [np.datetime64("2026-11-24T11:30"), None, None]
    assert xl_kpi.avg_first_response_hours(opened, answered) == 2.5
    assert xl_kpi.avg_first_response_hours([to_serial(opened[0])], [dt.datetime(2026, 11, 24, 10)]) == pytest.approx(1.0, rel=1e-9)
    assert xl_kpi.avg_resolution_hours(dt.date(2026, 11, 24), dt.datetime(2026, 11, 25, 6)) == 30.0
    paris = pd.Series(pd.to_datetime(["2026-11-24 09:00"])).dt.tz_localize("Europe/Paris")  # 08:00 UTC
    utc = pd.Series(pd.to_datetime(["2026-11-24 11:30"])).dt.tz_localize("UTC")
    assert xl_kpi.avg_first_response_hours(paris, utc) == 3.5
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert xl_kpi.avg_first_response_hours([dt.datetime(2026, 11, 24, 9, tzinfo=plus_one)], [dt.datetime(2026, 11, 24, 9, tzinfo=dt.timezone.utc)]) == 1.0
    stamps = [pd.Timestamp("2026-11-24 09:00"), pd.NaT, pd.Timestamp("2026-11-24 10:00")]
    assert xl_kpi.avg_resolution_hours(stamps, [pd.Timestamp("2026-11-24 09:45"), None, pd.NaT]) == 0.75
    index = pd.DatetimeIndex(["2026-11-24 09:00", "2026-11-24 12:00"])
    assert xl_kpi.avg_resolution_hours(index, pd.DatetimeIndex(["2026-11-24 10:00", None])) == 1.0
    grid = np.array([[46350.25, 46350.5], [46351.0, np.nan]])
    assert xl_kpi.avg_resolution_hours(grid, grid + np.array([[0.125, 1.125], [np.nan, np.nan]])) == pytest.approx(15.0)


@pytest.mark.parametrize(
    "args, error, words",
    [
        (([None, 1.0], [2.0, 3.0]), KPIValueError, "opened_at is blank at position 0 where resolved_at has a date-time"),
        (([1.0, 5.0], [2.0, 3.0]), KPIDomainError, "resolved_at is before opened_at at position 1"),
        (([1.0, 5.0], [None, np.nan]), KPIDivisionByZeroError, "resolved_at has no date-times"),
        (([1.0, 2.0], [1.5]), KPIValueError, "opened_at and resolved_at must be ranges of the same size"),
        ((["2026-11-24"], [None]), KPIValueError, "opened_at must hold date-times"),
        (([dt.datetime(2026, 1, 1)], [True]), KPIValueError, "resolved_at must hold date-times .* True at position 0"),
        (([1.0], [np.inf]), KPIDomainError, "resolved_at must hold finite date-times"),
        (([-1e308], [1e308]), KPIDomainError, "not a finite number"),
        (([1.0], [dt.timedelta(hours=1)]), KPIValueError, "resolved_at"),
        ((((1.0, 2.0), (3.0,)), [1.0]), KPIValueError, "opened_at is not a rectangular range"),
    ],
)
def test_avg_hours_invalid_input_raises_naming_the_argument(args, error, words):
    with pytest.raises(error, match=words):
        xl_kpi.avg_resolution_hours(*args)


# --------------------------------------------------------------------------- LibreOffice


def _write_reductions(ws, scores, counts, points, opened, answered, resolved):
    """Inputs in columns A..F from row 2, the four reduction formulas in H2:H5."""
    for i, row in enumerate(zip(scores, counts, points, opened, answered, resolved), start=2):
        for j, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(i, j, value)
    last = 1 + len(scores)
    ref = {c: f"{c}2:{c}{last}" for c in "ABCDEF"}
    ws["H2"] = "=" + xl_kpi.get("NPS").excel_formula({"scores": ref["A"]})
    ws["H3"] = "=" + xl_kpi.get("LEAD_SCORE").excel_formula({"activity_counts": ref["B"], "points": ref["C"]})
    ws["H4"] = "=" + xl_kpi.get("AVG_FIRST_RESPONSE_HOURS").excel_formula({"opened_at": ref["D"], "first_response_at": ref["E"]})
    ws["H5"] = "=" + xl_kpi.get("AVG_RESOLUTION_HOURS").excel_formula({"opened_at": ref["D"], "resolved_at": ref["F"]})


def _python_reductions(scores, counts, points, opened, answered, resolved):
    out = []
    for call in (
        lambda: xl_kpi.nps(scores),
        lambda: xl_kpi.lead_score(counts, points),
        lambda: xl_kpi.avg_first_response_hours(opened, answered),
        lambda: xl_kpi.avg_resolution_hours(opened, resolved),
    ):
        try:
            out.append(call())
        except KPIDivisionByZeroError:
            out.append("#DIV/0!")
    return out


def test_native_formulas_match_python_in_libreoffice(tmp_path):
    day = dt.datetime(2026, 11, 24)
    h = lambda hours: day + dt.timedelta(hours=hours)  # noqa: E731
    datasets = {
        "filled": (
            [10, 9, None, 6, 7, 3, 10, 9],
            [1, 2, None, 1, 0, 3, 1, 1],
            [10, 5, 20, None, 7, -4, 2.5, 1],
            [h(9), h(10), h(11.25), h(12), h(13.5), h(14), h(20), h(23)],
            [h(11.5), None, h(11.75), h(12 + 1 / 60), None, h(40), h(20.5), None],
            [h(30), h(58.125), None, h(13), h(14), None, h(22), h(23 + 5 / 60)],
        ),
        # nothing answered or resolved, no scores: #DIV/0! in both worlds
        "empty": ([None, None], [None, 1], [None, 3], [h(9), h(10)], [None, None], [None, None]),
    }
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, data in datasets.items():
        _write_reductions(wb.create_sheet(title), *data)
    # The element-wise funnel formulas, plain and guarded, on one row of inputs and one of zeros.
    rates = wb.create_sheet("rates")
    inputs = {"filled": [25, 1000, 30, 120, 40, 800, 60, 300, 35, 1000, 100, 25, 10, 100, 300, 1000, 60, 20, 20],
              "zeros": [0] * 19}
    for r, values in enumerate(inputs.values(), start=1):
        for c, v in enumerate(values, start=1):
            rates.cell(r, c, v)
    position, col = {}, 1
    for name in ELEMENTWISE:
        for arg in xl_kpi.get(name).arg_names:
            position[(name, arg)] = col
            col += 1
    for r in (1, 2):
        for k, name in enumerate(ELEMENTWISE):
            d = xl_kpi.get(name)
            refs = {a: f"{openpyxl.utils.get_column_letter(position[(name, a)])}{r}" for a in d.arg_names}
            rates.cell(r, 30 + 2 * k, "=" + d.excel_formula(refs))
            rates.cell(r, 31 + 2 * k, "=" + d.excel_guarded_formula(refs))
    calc = libreoffice_computed(wb, tmp_path, "funnel")

    for title, data in datasets.items():
        got = [calc[title][f"H{r}"].value for r in range(2, 6)]
        for engine, python in zip(got, _python_reductions(*data)):
            if isinstance(python, str):
                assert engine == python, (title, got)
            else:
                assert engine == pytest.approx(python, rel=1e-9), (title, got)
    assert calc["filled"]["H2"].value == pytest.approx(100 * (4 - 2) / 7)  # hand checks of the data set
    assert calc["filled"]["H3"].value == pytest.approx(10 + 10 + 0 - 12 + 2.5 + 1)
    for r, values in enumerate(inputs.values(), start=1):
        for k, name in enumerate(ELEMENTWISE):
            d = xl_kpi.get(name)
            args = [values[position[(name, a)] - 1] for a in d.arg_names]
            plain, guarded = calc["rates"].cell(r, 30 + 2 * k).value, calc["rates"].cell(r, 31 + 2 * k).value
            if r == 1:
                assert plain == pytest.approx(d.function(*args), rel=1e-9) and guarded == plain, name
            else:
                with pytest.raises(KPIDivisionByZeroError):
                    d.function(*args)
                assert plain == "#DIV/0!" and guarded in ("", None), name
