"""Replace a file atomically: the one way this project writes a workbook or an add-in.

The new content goes to a temporary file in the target's folder (same file
system, so the rename is atomic), named ``.~xlkpi-NAME.XXXXXXXX.tmp`` after
the target so that a killed writer's leftovers can be told apart
(:func:`leftovers`), is flushed and fsynced, takes the target's permission
bits (or the umask's for a new file) and, where the platform allows, its
owner and group, and is then ``os.replace``d over the target; the folder is
fsynced so the rename itself survives a power cut.  Ctrl-C during the rename
and the folder sync is held until both are done.  Killed at any moment, the target is either the old
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
import hashlib
import os
import re
import signal
import stat
import tempfile
import threading
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
    fd, name = tempfile.mkstemp(prefix=temp_prefix(target.name), suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        with open(tmp, "wb") as fh:  # fh.name is the temporary file's path
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _keep_metadata(target, tmp)
        if before_replace is not None:
            before_replace(tmp)
        with _interrupts_held():
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


def _key(name: str) -> str:
    """A file name as used in its temporary files' names (shortened when long: names stay < 255 bytes)."""
    if len(name.encode("utf-8")) <= 120:
        return name
    return name[:40] + "-" + hashlib.blake2b(name.encode("utf-8"), digest_size=8).hexdigest()


def temp_prefix(name: str) -> str:
    """Prefix of the temporary files that replace the file called ``name``.

    >>> temp_prefix("book.xlsx")
    '.~xlkpi-book.xlsx.'
    """
    return f"{TEMP_PREFIX}{_key(name)}."


def leftovers(target: os.PathLike | str) -> list[Path]:
    """Temporary files that writers of ``target`` left beside it (killed before they could remove them)."""
    target = Path(target)
    pattern = re.compile(re.escape(temp_prefix(target.name)) + r"[A-Za-z0-9_]+\.tmp")
    try:
        return sorted(p for p in target.parent.iterdir() if pattern.fullmatch(p.name))
    except OSError:
        return []


def _keep_metadata(target: Path, tmp: Path) -> None:
    """The new file gets the old one's permission bits and, where allowed, its owner and group."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        os.chmod(tmp, 0o666 & ~_umask())
        return
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    if hasattr(os, "chown"):
        mine = os.stat(tmp)
        if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
            for uid, gid in ((st.st_uid, st.st_gid), (-1, st.st_gid)):
                try:
                    os.chown(tmp, uid, gid)
                    break
                except OSError:  # not allowed for this user: keep what we can
                    continue
            os.chmod(tmp, stat.S_IMODE(st.st_mode))  # chown may clear set-id bits


@contextlib.contextmanager
def _interrupts_held():
    """Hold Ctrl-C (SIGINT) until the block is done: a rename half reported helps nobody.

    An interrupt that arrives meanwhile is dropped: the block is short and its
    work is complete when it ends.  Only the main thread can set handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *args: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
