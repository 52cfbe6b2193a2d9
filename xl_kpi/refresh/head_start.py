"""The command line's head start: calamine reads the ledger sheet while the rest of the refresh is imported.

python-calamine parses a sheet without holding the GIL (the ~2 s of a
million-row sheet), and ``xl-kpi refresh`` spends ~0.6 s importing pandas,
openpyxl and the report code before it reads anything.  So the command line
(:mod:`xl_kpi.refresh.cli`) first opens the package with the light package
reader, finds the sheet of the table named ``Ledger`` and starts calamine on
it in a thread (:meth:`HeadStart.start`); then it imports the rest.  The
refresh takes the rows (:meth:`HeadStart.take`) only when they are exactly
the read it would make itself: the same sheet, the same rows, and the file
as the refresh saw it when it started (:class:`~xl_kpi.refresh.replace.Identity`:
size, modification time and content hash, taken before calamine opened it).
Otherwise they are dropped and the sheet is read as always.  Everything the
refresh checks before and beside the read (the package's structure, the
safety scan of the sheet, :meth:`xl_kpi.refresh.file_backend.FileTableSource.read_table`)
is done as without a head start, and what they refuse is refused first.

The module is light on purpose (no numpy, pandas or openpyxl): importing
it must not cost what it is there to hide.  ``xl_kpi.refresh`` loads its
heavier names on first use for the same reason.

>>> HeadStart.start("no-such-file.xlsx").take("Data", 10, None) is None  # nothing to read: no head start
True
"""

from __future__ import annotations

import gc
import itertools
import os
import threading
from pathlib import Path

from xl_kpi.errors import UserError

#: Rows below a table that are read to find rows typed outside it.
ROWS_BELOW = 20
#: The table a head start reads the sheet of (the refresh's usual input).
TABLE = "Ledger"


def read_sheet(path: os.PathLike | str, sheet: str, nrows: int, label: str):
    """The sheet's first ``nrows`` rows from A1 as python-calamine reads them, every row as wide as the sheet:
    a 2-D object array, or (a sheet whose cells do not begin at A1) a list of row lists.

    A sheet beginning at A1 (nearly every ledger) is read row by row (``iter_rows``) straight into one flat
    array: the same cells as ``to_python(skip_empty_area=False, nrows=nrows)``, the same conversion of each,
    without a list per row (a million of them, made, kept and freed: half the time of the read after
    calamine's parse).  Otherwise ``to_python`` pads the rows and columns before the first cell.
    """
    import numpy as np  # (here: this module is imported before numpy is needed)
    from python_calamine import CalamineWorkbook

    def read(wb):
        try:
            found = wb.get_sheet_by_name(sheet)
            if found.start == (0, 0) and found.width:
                rows = itertools.islice(found.iter_rows(), nrows)
                return np.fromiter(itertools.chain.from_iterable(rows), dtype=object).reshape(-1, found.width)
            return found.to_python(skip_empty_area=False, nrows=nrows)
        finally:
            wb.close()  # release the file: Windows cannot replace a file that is open

    try:
        try:
            return read(CalamineWorkbook.from_path(str(path)))
        except Exception as exc:
            from xl_kpi.refresh.calamine_errors import readable_copy, unreadable_error

            if not unreadable_error(exc):
                raise
            # an error literal calamine does not know (#SPILL!, #CALC! ...): read from a copy where every error
            # is #N/A, read as '' like any error; the error scan finds the true ones in the file itself
            return read(CalamineWorkbook.from_filelike(readable_copy(path)))
    except Exception as exc:  # calamine raises its own types for damaged sheets
        raise UserError(f"{label}: could not read sheet {sheet!r}: {exc}") from None


class HeadStart:
    """A read of one sheet begun early, in a thread (see the module notes)."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.sheet: str | None = None
        self.nrows = -1
        self.identity = None
        self._thread: threading.Thread | None = None
        self._rows = self._error = None
        self._gc_paused = False

    @classmethod
    def start(cls, path: os.PathLike | str, label: str | None = None) -> "HeadStart":
        """Start reading the sheet of ``path``'s table ``Ledger``; a head start that holds nothing when the
        package cannot be opened or has no such table (the refresh then says why, as always)."""
        self = cls()
        try:
            from xl_kpi.ooxml.package import WorkbookPackage
            from xl_kpi.refresh.damaged import open_zip

            label = label or str(Path(path))  # the refresh's own label (refresh_file: str(Path(book)))
            open_zip(Path(path), label).close()  # a zip bomb or a damaged directory is never handed to calamine
            pkg = WorkbookPackage(path, label=label)
            try:
                table = pkg.find_table(TABLE)
            finally:
                pkg.close()
            if table is None or table.header_rows < 1:
                return self
            from xl_kpi.cells import parse_range

            self.nrows = parse_range(table.ref)[2] + ROWS_BELOW
        except Exception:  # noqa: BLE001 - no head start; the refresh meets the same problem and names it
            return self
        import python_calamine  # noqa: F401 - imported here, not in the thread: Ctrl-C meanwhile is the CLI's

        from xl_kpi.refresh.replace import Identity

        self.path, self.sheet = Path(os.path.realpath(path)), table.sheet
        # The read makes a million lists and three million cells, none in a reference cycle: the collector
        # waits (as in file_backend.cyclic_gc_paused) until the rows are taken or dropped.
        self._gc_paused = gc.isenabled()
        gc.disable()

        def run() -> None:
            try:
                self.identity = Identity.of(self.path)  # before calamine opens the file
                self._rows = read_sheet(self.path, self.sheet, self.nrows, label)
            except BaseException as exc:  # noqa: BLE001 - handed to the refresh by take()
                self._error = exc

        self._thread = threading.Thread(target=run, name="xl_kpi-head-start", daemon=True)
        self._thread.start()
        return self

    def take(self, sheet: str, nrows: int, identity) -> "HeadStart | None":
        """This head start, if it reads ``nrows`` rows of ``sheet`` (else None: another read, e.g. of the
        Settings table's sheet, leaves it for the ledger's) from the file whose identity at the start of the
        refresh is ``identity`` (else None, and it is dropped: the file was saved meanwhile)."""
        if self._thread is None or (sheet, nrows) != (self.sheet, self.nrows):
            return None
        self._thread.join()
        if identity is None or self.identity != identity:
            self.close()
            return None
        return self

    def result(self):
        """The rows read (:func:`read_sheet`; raising what the read raised: a :class:`~xl_kpi.errors.UserError` naming the sheet)."""
        try:
            if self._error is not None:
                raise self._error
            return self._rows
        finally:
            self.close()

    def close(self, wait: bool = False) -> None:
        """Drop the rows and let the collector run again. The thread, if still reading, ends on its own;
        with ``wait``, it is waited for first, so that calamine has closed the file (a refresh about to
        replace the book calls this: Windows cannot replace a file that is still open)."""
        thread, self._thread = self._thread, None
        if wait and thread is not None:
            thread.join()
        self._rows = self._error = None
        if self._gc_paused:
            self._gc_paused = False
            gc.enable()


__all__ = ["HeadStart", "ROWS_BELOW", "read_sheet"]
