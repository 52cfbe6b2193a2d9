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


def test_readme_and_docs_give_every_ledger_function_its_current_signature():
    """Each spilling function's arguments, read from its adapter, in README (optional ones bracketed) and the docs."""
    import inspect
    import re

    from xl_kpi.ledger_excel import SPILL_FUNCTIONS

    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text().split())
    docs = DOCS.read_text()
    assert [spec.name for spec in SPILL_FUNCTIONS] == list(LEDGER_FUNCTIONS)
    for spec in SPILL_FUNCTIONS:
        params = inspect.signature(spec.table).parameters.values()
        readme_args = ", ".join(p.name if p.default is inspect.Parameter.empty else f"[{p.name}]" for p in params)
        assert f"`{spec.name}({readme_args})`" in readme, f"README: {spec.name}({readme_args})"
        listed = re.search(rf"^### `{spec.name}\((.*)\)`$", docs, re.M)
        assert listed, spec.name
        assert [a.strip(" []").split(" = ")[0] for a in listed.group(1).split(",")] == [p.name for p in params]
        for p in params:  # every argument has a row of help in the docs
            assert re.search(rf"^\| `{p.name}` \| \S", docs[listed.end():], re.M), (spec.name, p.name)
