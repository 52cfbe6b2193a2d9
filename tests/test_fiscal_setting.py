"""The Settings table's *Fiscal year start* (and --fiscal-year-start): the report's quarters and years are the
ones =MRR_BRIDGE(..., "quarter", , s) and xl_kpi.ledger.rollup(fiscal_year_start=s) give."""

from __future__ import annotations

import pytest

from tests.test_ledger import HAND_ROWS
from tests.test_ledger_excel import excel_ranges
from tests.test_ledger_inputs import book, cli, refused
from tests.test_ledger_metrics_excel import _MONEY_AND_COUNTS, FISCAL_APRIL_YEARS, FISCAL_FEB_QUARTERS, _by_period
from tests.test_refresh import read_table
from xl_kpi.ledger.settings import fiscal_month
from xl_kpi.ledger_excel import mrr_bridge_table

ROWS = [(c, m, float(v)) for c, m, v in HAND_ROWS]


_KEYS = [h for h in _MONEY_AND_COUNTS if h != "Months"]  # the report's period tables have no Months column


def without_months(periods):
    """{period: values} of _by_period without the Months count (the report gives First and Last Month)."""
    j = _MONEY_AND_COUNTS.index("Months")
    return {k: v[:j] + v[j + 1:] for k, v in periods.items()}


def report_periods(path, table):
    """{period: bridge values} of a report table; its Partial column says "partial" or is blank."""
    frame = read_table(path, table)
    label = frame.columns[0]
    out = {}
    for _, row in frame.iterrows():
        values = [row[h] for h in _KEYS]
        values[-1] = values[-1] == "partial"
        out[row[label]] = tuple(values)
    return out


@pytest.mark.parametrize("value", [2, "2", "February", "feb"])
def test_the_setting_gives_the_fiscal_quarters(tmp_path, capsys, value):
    path = book(tmp_path / "fy.xlsx", ROWS, settings={"Fiscal year start": value})
    code, out, err = cli(capsys, path)
    assert code == 0, err
    assert f"Settings table: Fiscal year start = {value}" in err
    assert report_periods(path, "QuarterlyBridge") == without_months(FISCAL_FEB_QUARTERS)  # worked by hand
    excel = _by_period(mrr_bridge_table(*excel_ranges(HAND_ROWS), "quarter", None, 2))
    assert report_periods(path, "QuarterlyBridge") == without_months(excel)  # the Excel function agrees


def test_the_flag_overrides_the_setting_and_years_follow(tmp_path, capsys):
    path = book(tmp_path / "fy.xlsx", ROWS, settings={"Fiscal year start": "February"})
    code, _, err = cli(capsys, path, "--fiscal-year-start", "April")
    assert code == 0, err
    assert "Fiscal year start" not in err  # the flag won: the row is not used
    assert report_periods(path, "AnnualBridge") == without_months(FISCAL_APRIL_YEARS)
    import openpyxl

    ws = openpyxl.load_workbook(path)["MRR Bridge"]
    titles = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "Quarters (fiscal years starting in April)" in titles
    assert "Fiscal years (fiscal years starting in April)" in titles


def test_calendar_by_default(tmp_path, capsys):
    path = book(tmp_path / "cal.xlsx", ROWS)
    assert cli(capsys, path)[0] == 0
    assert list(report_periods(path, "QuarterlyBridge")) == ["2024-Q1", "2024-Q2"]
    assert list(report_periods(path, "AnnualBridge")) == ["2024"]


@pytest.mark.parametrize("value", [13, 0, 4.5, "Spring", "Ma"])
def test_a_bad_setting_is_refused_naming_its_row(tmp_path, capsys, value):
    path = book(tmp_path / "bad.xlsx", ROWS, settings={"As-of month": "2024-06", "Fiscal year start": value})
    err = refused(capsys, path)
    assert "Sheet 'Settings', row 3, setting 'Fiscal year start'" in err
    assert "is not a month number 1 to 12 or a month name" in err and len(err.strip().splitlines()) == 1


def test_a_bad_flag_is_a_usage_error(tmp_path, capsys):
    path = book(tmp_path / "flag.xlsx", ROWS)
    before = path.read_bytes()
    with pytest.raises(SystemExit) as exc:
        cli(capsys, path, "--fiscal-year-start", "13")
    assert exc.value.code == 2 and path.read_bytes() == before
    assert "'13' is not a month number 1 to 12 or a month name" in capsys.readouterr().err


def test_month_names_and_numbers():
    assert [fiscal_month(v) for v in (1, 12.0, "07", "March", "mar.", "SEPTEMBER", "Sep")] == [1, 12, 7, 3, 3, 9, 9]
    for bad in (True, "Ju", "", "13", -3, "1.5"):
        with pytest.raises(ValueError):
            fiscal_month(bad)


def test_the_in_place_engine_path_takes_the_setting_too(tmp_path, monkeypatch):
    """A ledger analysed where it lives (Ibis) gets the same fiscal quarters as one read into memory."""
    import shutil

    import openpyxl

    from tests.engine_cases import random_ledger
    from tests.test_engines_refresh import BOOK, COLUMNS
    from xl_kpi import engines
    from xl_kpi.refresh import refresh_file

    df = random_ledger(3, rows=600, months=15).rename(
        columns={"customer_id": "Account", "month": "Invoice Month", "mrr": "Amount"})
    df.to_parquet(tmp_path / "big.parquet")
    book_path = tmp_path / "book.xlsx"
    shutil.copyfile(BOOK, book_path)
    wb = openpyxl.load_workbook(book_path)
    ws = wb["Settings"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Fiscal year start")
    ws.cell(row, 2).value = "July"
    wb.save(book_path)
    small = refresh_file(book_path, tmp_path / "numpy.xlsx", ledger=tmp_path / "big.parquet", columns=COLUMNS)
    monkeypatch.setattr(engines, "LARGE_ROWS", 100)
    large = refresh_file(book_path, tmp_path / "ibis.xlsx", ledger=tmp_path / "big.parquet", columns=COLUMNS)
    assert "Ibis engine" in large.source
    assert "Settings table: Fiscal year start = July" in small.settings_used
    assert "Settings table: Fiscal year start = July" in large.settings_used
    for table in ("QuarterlyBridge", "AnnualBridge"):
        got, want = report_periods(tmp_path / "ibis.xlsx", table), report_periods(tmp_path / "numpy.xlsx", table)
        assert list(got) == list(want) and all(k.startswith("FY") for k in got)
        for k in got:
            assert got[k] == pytest.approx(want[k], rel=1e-9)
