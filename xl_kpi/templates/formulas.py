"""Cell formulas for the templates, rendered from the KPI definitions (never re-typed).

:func:`kpi_formula` asks the core's :class:`~xl_kpi.kpis.definition.KPIDefinition`
for its native Excel formula with the template's cell references, including
its ``IF(denominator=0,"",...)`` guard.  Every argument and constant must be
given a reference, so a template cannot silently inherit a hard-coded default
(thresholds and the CLV discount rate point at named assumption cells).

Some arguments of a KPI are themselves computed cells that show "" when they
have no value (ARPA with no customers); ``needs`` lists those cells (single
cells: ISNUMBER of a range would be an implicit intersection), and the
formula shows "" too instead of Excel's #VALUE! for text in arithmetic.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from xl_kpi.kpis import get


def kpi_formula(excel_name: str, refs: Mapping[str, str], needs: Iterable[str] = (),
                empty_unless_any: str | None = None) -> str:
    """``=`` + the KPI's guarded native formula for ``refs`` (argument -> cell or expression).

    >>> kpi_formula("CHURN_RATE", {"customers_lost": "D5", "customers_at_start": "B5"})
    '=IF((B5)=0,"",D5/B5)'
    >>> kpi_formula("CUSTOMER_LIFETIME", {"churn_rate": "C5"}, needs=["C5"])
    '=IF(AND(ISNUMBER(C5)),IF((C5)=0,"",1/C5),"")'

    ``empty_unless_any`` (a range) leaves the cell empty while that range holds no number
    (a KPI without a denominator, such as a lead score, on an empty input row).
    """
    definition = get(excel_name)
    wanted = set(definition.arg_names) | set(definition.constants)
    missing = sorted(wanted - set(refs))
    if missing:
        raise ValueError(f"{excel_name}: no reference for {missing} (templates never inherit hard-coded defaults)")
    extra = sorted(set(refs) - wanted)
    if extra:
        raise ValueError(f"{excel_name}: unknown arguments {extra}")
    body = definition.excel_guarded_formula(refs)
    needs = list(needs)
    if needs:
        tests = ",".join(f"ISNUMBER({cell})" for cell in needs)
        body = f'IF(AND({tests}),{body},"")'
    if empty_unless_any:
        return blank_unless_any(empty_unless_any, body)
    return "=" + body


def blank_unless_any(cells: str, body: str) -> str:
    """``=IF(COUNT(cells)=0,"",body)``: a derived quantity stays empty on an empty input row.

    >>> blank_unless_any("E5:I5", "E5+F5")
    '=IF(COUNT(E5:I5)=0,"",E5+F5)'
    """
    return f'=IF(COUNT({cells})=0,"",{body})'


def number_format(excel_name: str) -> str:
    """The output cell format of a KPI, from its unit (``"0.0%"`` for fractions ...)."""
    return get(excel_name).unit.number_format
