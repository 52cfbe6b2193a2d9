"""Balance sheet: liquidity, leverage and debt-service ratios from the accounts.

Every function broadcasts like a numpy ufunc; see :mod:`xl_kpi.errors` for
what happens to invalid input (a scalar raises, an array element becomes NaN).

Amounts are unit-free (any one currency).  Quantities that are negative in
real books (EBIT in a loss year, equity of a company with accumulated losses)
are accepted as they are; balances that cannot be negative (assets,
liabilities, cash, debt, interest expense) are refused when below zero.

QUICK_RATIO here is the accounting acid-test ratio; the SaaS growth-efficiency
ratio of the same nickname is :func:`xl_kpi.saas_quick_ratio`.
"""

from __future__ import annotations

from xl_kpi.kpis.definition import ANY, FRACTION, MONEY, RATIO, Arg, Example, exports, kpi


@kpi(
    "CURRENT_RATIO",
    example=Example((300, 150), 2.0),
    summary="Current ratio: current assets / current liabilities.",
    unit=RATIO,
    args=(
        Arg("current_assets", "Current assets: cash, receivables, inventory and other assets due within a year",
            unit=MONEY),
        Arg("current_liabilities", "Current liabilities: obligations due within a year", unit=MONEY),
    ),
    excel="current_assets/current_liabilities",
    denominators=("current_liabilities",),
)
def current_ratio(current_assets, current_liabilities):
    """Current ratio: how many times current assets cover current liabilities.

    Parameters
    ----------
    current_assets : float or array_like
        Current assets (>= 0).
    current_liabilities : float or array_like
        Current liabilities (> 0).

    Returns
    -------
    float or ndarray
        A multiple (ratio unit): 2.0 means assets are twice the liabilities.

    Notes
    -----
    .. math:: current\\ ratio = current\\ assets / current\\ liabilities

    Negative amounts are refused (#NUM!); zero liabilities give #DIV/0!.

    References
    ----------
    Standard liquidity ratio, as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.current_ratio(300, 150)
    2.0
    >>> xl_kpi.current_ratio([300, 100], 200)
    array([1.5, 0.5])
    """
    return current_assets / current_liabilities


@kpi(
    "QUICK_RATIO",
    example=Example((50, 20, 80, 100), 1.5),
    summary="Quick (acid-test) ratio: (cash + marketable securities + receivables) / current liabilities.",
    unit=RATIO,
    args=(
        Arg("cash", "Cash and cash equivalents", unit=MONEY),
        Arg("marketable_securities", "Marketable (short-term, readily sold) securities", unit=MONEY),
        Arg("accounts_receivable", "Accounts receivable", unit=MONEY),
        Arg("current_liabilities", "Current liabilities: obligations due within a year", unit=MONEY),
    ),
    excel="(cash+marketable_securities+accounts_receivable)/current_liabilities",
    denominators=("current_liabilities",),
)
def quick_ratio(cash, marketable_securities, accounts_receivable, current_liabilities):
    """Quick ratio (acid test): liquid assets over current liabilities.

    Parameters
    ----------
    cash : float or array_like
        Cash and cash equivalents (>= 0).
    marketable_securities : float or array_like
        Marketable securities (>= 0).
    accounts_receivable : float or array_like
        Accounts receivable (>= 0).
    current_liabilities : float or array_like
        Current liabilities (> 0).

    Returns
    -------
    float or ndarray
        A multiple (ratio unit); at most the current ratio, since inventory and
        prepaid expenses are left out.

    Notes
    -----
    .. math:: quick\\ ratio = (cash + securities + receivables) / current\\ liabilities

    Negative amounts are refused (#NUM!); zero liabilities give #DIV/0!.
    Not the SaaS quick ratio (:func:`xl_kpi.saas_quick_ratio`).

    References
    ----------
    The accounting acid-test ratio, as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.quick_ratio(50, 20, 80, 100)
    1.5
    """
    return (cash + marketable_securities + accounts_receivable) / current_liabilities


@kpi(
    "DEBT_TO_EQUITY",
    example=Example((400, 800), 0.5),
    summary="Debt-to-equity ratio: total debt / shareholders' equity.",
    unit=RATIO,
    args=(
        Arg("total_debt", "Total debt (or total liabilities, as your policy defines it)", unit=MONEY),
        Arg("shareholders_equity", "Shareholders' equity; may be negative", domain=ANY, unit=MONEY),
    ),
    excel="total_debt/shareholders_equity",
    denominators=("shareholders_equity",),
)
def debt_to_equity(total_debt, shareholders_equity):
    """Debt-to-equity ratio: leverage of the balance sheet.

    Parameters
    ----------
    total_debt : float or array_like
        Total debt (>= 0).
    shareholders_equity : float or array_like
        Shareholders' equity, any non-zero number.

    Returns
    -------
    float or ndarray
        A multiple (ratio unit): 0.5 means 50 of debt per 100 of equity.

    Notes
    -----
    .. math:: D/E = total\\ debt / shareholders'\\ equity

    Negative debt is refused (#NUM!).  Negative equity (accumulated losses)
    is accepted and gives a negative ratio, reported as it is: read it as
    "equity wiped out", not as low leverage.  Zero equity gives #DIV/0!.

    References
    ----------
    Standard leverage ratio, as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.debt_to_equity(400, 800)
    0.5
    >>> xl_kpi.debt_to_equity(400, -200)
    -2.0
    """
    return total_debt / shareholders_equity


@kpi(
    "EQUITY_RATIO",
    example=Example((600, 1000), 0.6),
    summary="Equity ratio: total equity / total assets.",
    unit=FRACTION,
    args=(
        Arg("total_equity", "Total equity; may be negative", domain=ANY, unit=MONEY),
        Arg("total_assets", "Total assets", unit=MONEY),
    ),
    excel="total_equity/total_assets",
    denominators=("total_assets",),
)
def equity_ratio(total_equity, total_assets):
    """Equity ratio: the share of assets financed by the owners.

    Parameters
    ----------
    total_equity : float or array_like
        Total equity, any number (negative after large accumulated losses).
    total_assets : float or array_like
        Total assets (> 0).

    Returns
    -------
    float or ndarray
        A fraction (0.6 = 60%); 1 - equity ratio is the debt ratio when
        assets = liabilities + equity.

    Notes
    -----
    .. math:: equity\\ ratio = total\\ equity / total\\ assets

    Negative assets are refused (#NUM!); zero assets give #DIV/0!.  Negative
    equity gives a negative fraction, reported as it is.

    References
    ----------
    Standard solvency ratio, as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.equity_ratio(600, 1000)
    0.6
    """
    return total_equity / total_assets


@kpi(
    "INTEREST_COVERAGE",
    example=Example((500, 100), 5.0),
    summary="Interest coverage ratio: EBIT / interest expense.",
    unit=RATIO,
    args=(
        Arg("ebit", "Earnings before interest and taxes; may be negative", domain=ANY, unit=MONEY),
        Arg("interest_expense", "Interest expense of the same period (a positive number)", unit=MONEY),
    ),
    excel="ebit/interest_expense",
    denominators=("interest_expense",),
)
def interest_coverage(ebit, interest_expense):
    """Interest coverage: how many times operating profit pays the interest.

    Parameters
    ----------
    ebit : float or array_like
        Earnings before interest and taxes, any number (negative in a loss year).
    interest_expense : float or array_like
        Interest expense of the same period (> 0).

    Returns
    -------
    float or ndarray
        A multiple (ratio unit): 5.0 means EBIT is five times the interest.

    Notes
    -----
    .. math:: interest\\ coverage = EBIT / interest\\ expense

    A negative interest expense is refused (#NUM!: enter it as a positive
    number); zero interest gives #DIV/0!.  Negative EBIT gives a negative
    ratio, reported as it is.

    References
    ----------
    Standard debt-service ratio (times interest earned), as in the KPI catalog (docs/kpi-catalog.md).

    Examples
    --------
    >>> import xl_kpi
    >>> xl_kpi.interest_coverage(500, 100)
    5.0
    >>> xl_kpi.interest_coverage(-50, 100)
    -0.5
    """
    return ebit / interest_expense


#: The family's KPI functions (from the registry, catalog order) and its constants.
__all__ = exports(__name__)
