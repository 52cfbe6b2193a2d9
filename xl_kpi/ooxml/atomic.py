"""Replace a file atomically: the one way this project writes a workbook or an add-in.

The new content goes to a temporary file in the target's folder (same file
system, so the rename is atomic), is flushed and fsynced, takes the
target's permission bits (or the umask's for a new file), and is then
``os.replace``d over the target; the folder is fsynced so the rename itself
survives a power cut.  Killed at any moment, the target is either the old
file or the new one, never half of one; on any error the temporary file is
removed.  A target that cannot be replaced (Windows: Excel holds it open)
is a one-line ``UserError``.

``before_replace(tmp_path)`` runs after the data is on disk and before the
rename: the place for checks of the new file or of the target (and for
closing handles that Windows would not let a rename pass).

Example
-------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_file(folder / "book.xlsx") as fh:
...     _ = fh.write(b"new")
>>> (folder / "book.xlsx").read_bytes(), sorted(p.name for p in folder.iterdir())
(b'new', ['book.xlsx'])
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from xl_kpi.errors import UserError

#: Prefix of the temporary files (a killed writer's leftovers are recognisable by it).
TEMP_PREFIX = ".~xlkpi-"


@contextlib.contextmanager
def atomic_file(target: os.PathLike | str,
                before_replace: Callable[[Path], None] | None = None) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces ``target`` when the block ends without error."""
    target = Path(target)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=target.suffix or ".tmp", dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        with open(tmp, "wb") as fh:  # fh.name is the temporary file's path
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask())
        if before_replace is not None:
            before_replace(tmp)
        try:
            os.replace(tmp, target)
        except PermissionError as exc:
            raise UserError(f"cannot replace {target}: it is in use (close it in Excel and try again)") from exc
        _fsync_folder(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomically(target: os.PathLike | str, data: bytes) -> None:
    """Replace ``target`` with ``data`` through :func:`atomic_file`."""
    with atomic_file(target) as fh:
        fh.write(data)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows cannot open a folder for this and does not need it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
