"""Errors raised by the KPI core, each tied to the Excel error it becomes.

Policy (the same for every KPI function):

* all-scalar input that is invalid raises one of these ``ValueError``
  subclasses, with a message naming the argument and the problem;
* array input never raises for a bad *element*: that element of the result is
  NaN (the Excel functions show the matching Excel error in that cell instead).
  Problems that concern the whole call (text where a number belongs, ranges of
  different sizes, an empty range) still raise.
"""

from __future__ import annotations


class KPIError(ValueError):
    """Base class: invalid input to a KPI function."""

    #: The Excel error literal the UDF layer shows for this problem.
    excel_error = "#VALUE!"


class KPIValueError(KPIError):
    """Not a number, a blank required value, wrong-sized ranges, unknown option."""

    excel_error = "#VALUE!"


class KPIDomainError(KPIError):
    """A number outside the function's domain (negative count, churn above 1 ...)."""

    excel_error = "#NUM!"


class KPIDivisionByZeroError(KPIError):
    """A denominator of zero (no customers at start, no spend ...)."""

    excel_error = "#DIV/0!"


class UserError(Exception):
    """A problem the user can fix (a bad file, sheet, row or option).

    The message is complete and meant for the user: the command line prints it
    as one line, without a traceback, and exits non-zero; the Excel ribbon
    shows it in a message box.
    """
