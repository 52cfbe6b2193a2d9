"""`xl-kpi functions` and docs/functions.md come from the definitions and stay in sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from xl_kpi.catalog_docs import markdown
from xl_kpi.cli import main

from .catalog_data import CATALOG, LEDGER_FUNCTIONS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "functions.md"


def test_docs_functions_md_is_generated_from_the_code():
    assert DOCS.read_text() == markdown(), "run: xl-kpi functions --format markdown > docs/functions.md"


def test_text_listing_names_every_function_with_its_arguments(capsys):
    assert main(["functions"]) == 0
    out = capsys.readouterr().out
    for entry in CATALOG:
        args = ", ".join(f"[{a} = {entry.defaults[a]:g}]" if a in entry.defaults else a for a in entry.args)
        assert f"{entry.excel_name}({args})" in out
    for name in LEDGER_FUNCTIONS:
        assert f"{name}(" in out


def test_markdown_lists_formula_and_unit_for_each():
    text = markdown()
    for entry in CATALOG:
        assert f"### `{entry.excel_name}(" in text
    assert text.count("Native Excel formula used by the templates") == len(CATALOG)


def test_console_script_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "functions"], capture_output=True, text=True, check=True)
    assert "CHURN_RATE(customers_lost, customers_at_start)" in out.stdout


def test_unknown_command_is_a_usage_error(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
