"""The ribbon's "Refresh KPIs" button: refresh the calling workbook through xlwings.

``xl_kpi.main()`` (run by the add-in's ``RibbonMyAddin.RunMain``) calls
:func:`main`.  Progress goes to Excel's status bar; a problem the user can
fix (no Ledger table, a bad row ...) is shown in a message box with its
reason, and the workbook is left as it was (the pipeline checks and computes
everything before it writes a cell).
"""

from __future__ import annotations

import traceback

from xl_kpi.errors import UserError

TITLE = "xl-kpi: Refresh KPIs"


def status_bar(app):
    """A progress callback that shows ``xl-kpi: <message> (NN%)`` in Excel's status bar."""

    def progress(fraction: float, message: str) -> None:
        app.status_bar = f"xl-kpi: {message} ({fraction:.0%})"

    return progress


def refresh(book) -> str | None:
    """Refresh ``book``; return None on success or the message shown to the user."""
    from xl_kpi.refresh import refresh_book

    app = book.app
    try:
        refresh_book(book, progress=status_bar(app))
        message = None
    except UserError as exc:
        message = str(exc)
    except Exception as exc:  # an unexpected failure: the reason, not a traceback, in the box
        reason = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        message = f"The refresh failed ({reason}). Nothing was changed in your sheets."
    app.status_bar = False  # hand the status bar back to Excel
    if message is not None:
        app.alert(message, title=TITLE, mode="critical")
    return message


def main() -> None:
    """Refresh the workbook that called Python (``xw.Book.caller()``)."""
    import xlwings as xw

    run(xw.Book.caller(), xw.__version__)


def run(book, xlwings_version: str) -> str | None:
    """Refresh ``book`` unless the installed xlwings is too old for the live back end (then say why)."""
    from xl_kpi.refresh.xlwings_backend import xlwings_too_old

    message = xlwings_too_old(xlwings_version)
    if message is not None:
        book.app.alert(message, title=TITLE, mode="critical")
        return message
    return refresh(book)
