"""The workbook's Settings table names the ledger source (for the ribbon, which has no --ledger), and one
--as-of for every input.

Each workbook is built here from the ledger template (whose Settings table has the source rows); the refresh
runs through the command line, the Python API and the live back end's test double; the MRR Bridge read back is
compared with the plain-Python bridge of tests/test_sources.py, and the report's Data checks and stamp blocks
are read back from the KPI Summary sheet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tests.test_billing_exports import STRIPE_ROWS, stripe_expected, summary_texts, write_stripe
from tests.test_sources import ROWS, assert_bridge, bridge_in, expected_bridge, write_csv
from xl_kpi.cli import main as cli_main
from xl_kpi.refresh import refresh_file
from xl_kpi.templates import ledger_book


def with_settings(path: Path, **values) -> Path:
    """The ledger template at ``path`` with Settings rows filled in (label with _ for spaces)."""
    ledger_book.build(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    rows = {str(r[0].value).lower().replace("-", " "): r[1] for r in ws.iter_rows(min_col=1, max_col=2) if r[0].value}
    for key, value in values.items():
        rows[key.replace("_", " ").lower()].value = value
    wb.save(path)
    return path


def cli(capsys, *args):
    code = cli_main(["refresh", *map(str, args)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def block(texts: list[str]) -> list[str]:
    return texts[texts.index("Data checks") + 1:texts.index("This refresh")]


def until(rows, month):
    return [r for r in rows if r[1][:7] <= month]


# --------------------------------------------------------------------------- the Settings table names the source


def test_settings_name_a_csv_beside_the_workbook(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "books"
    folder.mkdir()
    src = write_csv(folder / "ledger.csv")
    book = with_settings(folder / "book.xlsx", Ledger_source="ledger.csv")
    monkeypatch.chdir(tmp_path)  # relative to the workbook's folder, not the current directory
    code, out, err = cli(capsys, book)
    assert code == 0, err
    assert_bridge(book, ROWS)
    assert "xl-kpi refresh: Settings table: Ledger source = ledger.csv" in err.splitlines()
    assert f"from {src.resolve()} (11 ledger rows, 4 months: Jan 2024 - Apr 2024, 5 customers)" in out
    texts = summary_texts(book)
    assert f"Input table: {src.resolve()} (ledger format)" in texts
    assert "Settings table: Ledger source = ledger.csv (how the data was read)" in block(texts)


def test_settings_source_with_as_of_format_and_unit_through_the_api(tmp_path):
    cents = write_stripe(tmp_path / "subs.csv", scale=100)
    book = with_settings(tmp_path / "book.xlsx", Ledger_source="subs.csv", Input_table="stripe", Amount_unit="cents",
                         As_of_month="2024-06")
    result = refresh_file(book)
    units = refresh_file(with_settings(tmp_path / "other.xlsx"), ledger=write_stripe(tmp_path / "u.csv"),
                         input="stripe", as_of="2024-06")
    assert bridge_in(book) == bridge_in(tmp_path / "other.xlsx")
    got, want = bridge_in(book), expected_bridge(stripe_expected())
    assert got["Ending MRR"] == pytest.approx(want["Ending MRR"], abs=1e-6 * len(STRIPE_ROWS))
    assert sorted(result.settings_used) == sorted([
        "Settings table: Ledger source = subs.csv", "Settings table: Input table = stripe",
        "Settings table: Amount unit = cents", "Settings table: As-of month = 2024-06"])
    assert result.stamp["Amounts"] == "amounts read as cents; currency USD"
    assert units.stamp["Amounts"] == "amounts read as units; currency USD"
    assert result.stamp["Input table"] == f"{cents} (stripe format)" and result.as_of == "Jun 2024"
    assert not result.data_checks and result.checks == []  # rows skipped by design are notes, not warnings
    assert [n.split("): ")[0] + ")" for n in result.data_checks.notes if " skipped (" in n] == [
        "2 rows of the Stripe export skipped (incomplete)", "2 rows of the Stripe export skipped (trial)",
        "1 row of the Stripe export skipped (free: amount 0)"]


def test_a_flag_wins_over_the_settings_source(tmp_path, capsys):
    src = write_csv(tmp_path / "ledger.csv")
    book = with_settings(tmp_path / "book.xlsx", Ledger_source="missing.csv", Source_table="x",
                         As_of_month="2024-03")
    code, out, err = cli(capsys, book, "--ledger", src)
    assert code == 0, err
    assert_bridge(book, until(ROWS, "2024-03"))  # the workbook's As-of month applies to a --ledger source too
    lines = err.splitlines()
    assert ("xl-kpi refresh: Settings table: Ledger source, Source table not used (--ledger "
            f"{src} names the source)") in lines
    assert "xl-kpi refresh: Settings table: As-of month = 2024-03" in lines
    # and --as-of wins over the row
    code, out, err = cli(capsys, book, "--ledger", src, "--as-of", "2024-02")
    assert code == 0 and bridge_in(book)["Month"] == [dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1)]
    assert "As-of month = 2024-03" not in err


def test_source_rows_without_a_ledger_source_are_refused(tmp_path, capsys):
    book = with_settings(tmp_path / "book.xlsx", Source_table="ledger")
    before = book.read_bytes()
    code, out, err = cli(capsys, book)
    assert code == 2 and book.read_bytes() == before
    row = next(r[0].row for r in openpyxl.load_workbook(book)["Settings"].iter_rows() if r[0].value == "Source table")
    assert err.strip() == (f"xl-kpi refresh: error: {book}: Sheet 'Settings', row {row}: 'Source table' describe a "
                           "source, but the 'Ledger source' row is blank: name the file there (or clear them)")
    code, out, err = cli(capsys, with_settings(tmp_path / "b2.xlsx", Ledger_source="nowhere.csv"))
    assert code == 2 and err.strip().endswith(f"{tmp_path / 'nowhere.csv'}: no such file")


def test_the_ribbon_refreshes_from_the_settings_source(tmp_path):
    from tests.test_refresh_live import FakeBook, read_bridge
    from xl_kpi.refresh import live

    write_csv(tmp_path / "ledger.csv")
    book = FakeBook()
    book.fullname = str(tmp_path / "Book1.xlsx")
    sheet = book.sheets.add("Settings")
    rng = sheet.range((1, 1), (3, 3))
    rng.value = [["Setting", "Value", "What it does"], ["Ledger source", "ledger.csv", ""],
                 ["As-of month", "2024-03", ""]]
    sheet.tables.add(source=rng, name="Settings")
    assert live.run(book, "0.37.8") is None, book.app.alerts
    table = read_bridge(book)
    want = expected_bridge(until(ROWS, "2024-03"))
    assert [m.date() for m in table["Month"]] == [m.date() for m in want["Month"]]
    assert [float(v) for v in table["Ending MRR"]] == pytest.approx(want["Ending MRR"])


# --------------------------------------------------------------------------- one --as-of for every input


def test_as_of_cuts_a_ledger_from_a_file_and_says_so(tmp_path, capsys):
    src = write_csv(tmp_path / "ledger.csv")
    book = with_settings(tmp_path / "book.xlsx")
    code, out, err = cli(capsys, book, "--ledger", src, "--as-of", "2024-02")
    assert code == 0, err
    assert_bridge(book, until(ROWS, "2024-02"))
    texts = summary_texts(book)
    assert "As-of month: Feb 2024" in texts
    later = [t for t in block(texts) if "after" in t]
    assert len(later) == 1 and later[0].startswith("6 rows")  # March and April's rows, left out and said so
    result = refresh_file(book, ledger=src, as_of="2024-02")  # the Python API: the same keyword, the same cut
    assert result.as_of == "Feb 2024" and bridge_in(book)["Month"] == [dt.datetime(2024, 1, 1),
                                                                        dt.datetime(2024, 2, 1)]
    assert refresh_file(book, as_of="2024-03").as_of == "Mar 2024"  # the workbook's own Ledger table too


def test_one_as_of_flag(capsys):
    import argparse

    from xl_kpi.refresh.cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser, "refresh")
    flags = [a for a in parser._actions if "--as-of" in a.option_strings]
    assert len(flags) == 1 and flags[0].dest == "as_of"
