"""docs/architecture.md's checklists are enough: following "A new KPI" reaches every face.

The test registers a KPI the way the checklist says (one ``@kpi`` function in
a family module), then checks that, with no other edit, it reaches the Python
registry and family, the Excel function factory, ``xl-kpi functions`` and
docs/functions.md, and the KPI calculator template; and that the one manual
step (a line in ``xl_kpi/udfs.py``) is enforced by a test.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xl_kpi import catalog_docs, udfs
from xl_kpi.kpis import REGISTRY, definitions
from xl_kpi.kpis.definition import COUNT, FRACTION, Arg, Example, kpi
from xl_kpi.templates import calculator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def new_kpi():
    """A KPI registered as the checklist says, removed again afterwards."""

    def win_rate(deals_won, deals_closed):
        """Win rate: deals won / deals closed.

        Examples
        --------
        >>> win_rate(3, 12)
        0.25
        """
        return deals_won / deals_closed

    win_rate.__module__ = "xl_kpi.kpis.funnel"  # as if written in the family module
    function = kpi(
        "WIN_RATE",
        summary="Sales win rate: deals won / deals closed.",
        unit=FRACTION,
        args=(Arg("deals_won", "Deals won in the period", unit=COUNT),
              Arg("deals_closed", "Deals closed (won or lost) in the period", unit=COUNT)),
        example=Example((3, 12), 0.25),
        excel="deals_won/deals_closed",
        denominators=("deals_closed",),
    )(win_rate)
    try:
        yield function
    finally:
        del REGISTRY["WIN_RATE"]


def test_a_new_kpi_reaches_every_face(new_kpi, tmp_path):
    assert new_kpi(3, 12) == 0.25 and new_kpi.kpi.family == "funnel"
    assert "WIN_RATE" in [d.excel_name for d in definitions()]
    # The Excel function is made from the record: Excel-shaped values in, an Excel error for a zero denominator.
    excel_function = udfs._excel_function("WIN_RATE")
    assert excel_function(3.0, 12.0) == 0.25
    assert str(excel_function(3.0, 0.0)) == "#DIV/0!"
    # The listing and the docs.
    assert "WIN_RATE(deals_won, deals_closed)" in catalog_docs.text_listing()
    assert "WIN_RATE" in catalog_docs.markdown()
    # The calculator: a block with the example as inputs and the native formula as a named result.
    path = calculator.build(tmp_path / "calc.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Funnel & Engagement"]
    name = wb.defined_names[calculator.NAME_PREFIX + "WIN_RATE"]
    (sheet, ref), = name.destinations
    cell = wb[sheet][ref.replace("$", "")]
    assert cell.value == '=IF((' + f"B{cell.row - 1}" + ')=0,"",' + f"B{cell.row - 2}/B{cell.row - 1})"
    assert [ws[f"B{cell.row - 2}"].value, ws[f"B{cell.row - 1}"].value] == [3, 12]
    assert cell.number_format == FRACTION.number_format


def test_the_manual_step_is_enforced(new_kpi):
    """The checklist's one hand-written line, ``NAME = _excel_function("NAME")`` in udfs.py, is checked for."""
    assert missing_excel_functions() == ["WIN_RATE"]


def missing_excel_functions() -> list[str]:
    return [d.excel_name for d in definitions() if not callable(getattr(udfs, d.excel_name, None))]


def test_every_registered_kpi_has_an_excel_function():
    assert missing_excel_functions() == []


def test_the_map_names_the_layers_and_checklists():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for heading in ("## Layers", "## Direction of imports", "### A new KPI", "### A new input format",
                    "### A new source", "### A new report sheet", "### A new back end"):
        assert heading in text, heading
    # Every module path the map names exists.
    import re

    for path in re.findall(r"`(xl_kpi/[\w/]+\.py)`", text):
        assert (ROOT / path).exists(), path


def test_the_shipped_catalog_is_the_contract():
    """Docstrings cite docs/kpi-catalog.md: it is the shared contract, word for word, when that is at hand."""
    shipped = (ROOT / "docs" / "kpi-catalog.md").read_text(encoding="utf-8")
    assert "## Ledger analysis" in shipped and "### Trailing retention" in shipped
    contract = ROOT.parent / "shared" / "kpi-catalog.md"
    if contract.exists():  # beside the clone on the developers' machines and in CI
        assert shipped == contract.read_text(encoding="utf-8"), "docs/kpi-catalog.md differs from the contract"
