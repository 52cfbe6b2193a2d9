"""Replace a user's workbook with its refreshed copy without losing anyone's work.

A refresh reads a workbook for seconds and then replaces it.  Meanwhile the
user may save it, Excel may have it open, a second refresh may start.
``Replacement`` is the one place that decides when replacing is safe:

* **before anything is read**: refused while Excel's (``~$book.xlsx``) or
  LibreOffice's (``.~lock.book.xlsx#``) lock file for the target exists, and
  for a read-only target; a sidecar lock (an OS file lock, ``fcntl.flock`` /
  ``msvcrt.locking``, on ``.~xlkpi-book.xlsx.lock``) makes a second refresh of
  the same file stop at once; temporary files a killed refresh left behind
  are removed; the identity (size, modification time in ns, SHA-256 hash of
  the content) of the target and of the source is noted;
* **writing** (:func:`xl_kpi.ooxml.atomic.atomic_file`): the new package
  goes to ``.~xlkpi-book.xlsx.XXXXXXXX.tmp`` in the target's real folder
  (through a symbolic link, the folder of the file it points at), is
  flushed and fsynced, then checked (a callable the caller passes:
  :func:`xl_kpi.refresh.verify.verify_package` for a refresh);
* **replacing**: just before the rename the identities are compared again
  and the lock files looked for again; then the copy gets the old file's
  permissions (and owner and group, where the platform allows it), is
  ``os.replace``d over the real file (atomic on one file system, so the
  link stays a link) and the folder is fsynced so the rename survives a
  power cut.

Whatever fails, the temporary file is removed and the target is unchanged.

Example
-------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> book = folder / "book.xlsx"
>>> _ = book.write_bytes(b"old")
>>> with Replacement(book, "book.xlsx") as r:
...     r.write(lambda fh: fh.write(b"new"))
>>> book.read_bytes(), sorted(p.name for p in folder.iterdir())
(b'new', ['book.xlsx'])
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from xl_kpi.errors import UserError
from xl_kpi.ooxml.atomic import atomic_file, leftovers, temp_prefix

#: Tests set this to ``hook(stage, temporary_file)``, called when the new copy is complete
#: (``"written"``) and when it has passed its check, just before the final identity check and the
#: rename (``"replacing"``): there a test can save the "user's" file, start a second refresh or
#: kill the process.  ``None`` in production.
HOOK: Callable[[str, Path], None] | None = None

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Identity:
    """What tells one version of a file from another: size, modification time (ns) and a content hash."""

    size: int
    mtime_ns: int
    digest: bytes

    @classmethod
    def of(cls, path: Path) -> "Identity | None":
        """The identity of the file at ``path`` now (``None`` when there is none)."""
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                # SHA-256: the CPU's own instructions on current x86 and ARM (2.4x BLAKE2b here: 26 ms for
                # an 18 MB workbook), and a refresh hashes the book (and the source) twice
                h = hashlib.sha256()
                while block := fh.read(_CHUNK):
                    h.update(block)
        except FileNotFoundError:
            return None
        return cls(st.st_size, st.st_mtime_ns, h.digest())


def app_lock(path: Path) -> tuple[Path, str] | None:
    """The lock file Excel or LibreOffice keeps beside a workbook it has open, and which one, or None.

    >>> app_lock(Path("/nonexistent/book.xlsx")) is None
    True
    """
    for name, app in ((f"~${path.name}", "Excel"), (f".~lock.{path.name}#", "LibreOffice")):
        lock = path.with_name(name)
        if os.path.lexists(lock):
            return lock, app
    return None








def is_read_only(path: Path) -> bool:
    """True for a file nobody may write (no write bit), or that this process may not write."""
    mode = os.stat(path).st_mode
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


class _SidecarLock:
    """An exclusive, non-blocking OS lock on ``.~xlkpi-NAME.lock`` beside the workbook."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / (temp_prefix(name) + "lock")
        self.fd: int | None = None

    def acquire(self) -> bool:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                if not _try_lock(fd):
                    os.close(fd)
                    return False
                # Another refresh may have removed the file between our open and our lock: then the lock
                # is on a file nobody else will find; take a fresh one.
                if os.name != "nt" and os.fstat(fd).st_ino != _inode(self.path):
                    os.close(fd)
                    continue
            except BaseException:
                os.close(fd)
                raise
            self.fd = fd
            return True

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # while still locked: a waiting refresh then sees a new file (see acquire)
        os.close(self.fd)  # closing releases the lock
        self.fd = None


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class Replacement:
    """Guard and replace ``target`` (see the module docstring); ``watch`` are further files whose
    identity must not change either (the source, when the result goes elsewhere).

    Use as a context manager around the whole refresh: entering does the
    checks and takes the lock, ``write`` writes, checks and replaces,
    leaving releases the lock.
    """

    def __init__(self, target: os.PathLike | str, label: str | None = None,
                 watch: Iterable[os.PathLike | str] = ()) -> None:
        self.target = Path(target)
        self.label = label or str(target)
        self.real = Path(os.path.realpath(self.target))
        watched = [self.target, *map(Path, watch)]
        self._watch = {Path(os.path.realpath(p)): p for p in reversed(watched)}
        self._identities: dict[Path, Identity | None] = {}
        self._lock = _SidecarLock(self.real.parent, self.real.name)

    # ---------------------------------------------------------------- checks
    def _check_apps(self) -> None:
        for path in {self.target, self.real}:
            found = app_lock(path)
            if found:
                lock, app = found
                raise UserError(f"{self.label}: close {self.target.name} in {app} first (its lock file {lock.name} "
                                f"is there; if no one has it open, delete that file)")

    def __enter__(self) -> "Replacement":
        self._check_apps()
        if self.real.exists() and is_read_only(self.real):
            raise UserError(f"{self.label}: the file is read-only: nothing written (make it writable, or write the "
                            "result elsewhere with --output)")
        self.real.parent.mkdir(parents=True, exist_ok=True)
        if not self._lock.acquire():
            raise UserError(f"{self.label}: another refresh of {self.target.name} is running: nothing written "
                            "(wait for it to finish)")
        try:
            for old in leftovers(self.real):
                with contextlib.suppress(OSError):
                    old.unlink()
            self._identities = {real: Identity.of(real) for real in self._watch}
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()

    def identity(self, path: os.PathLike | str) -> Identity | None:
        """The identity a watched file had when the refresh began (None for a file not watched or not there)."""
        return self._identities.get(Path(os.path.realpath(path)))

    def _check_unchanged(self) -> None:
        for real, given in self._watch.items():
            if Identity.of(real) != self._identities.get(real):
                raise UserError(f"{given} was saved while refreshing: nothing written, run it again")
        self._check_apps()

    # ---------------------------------------------------------------- writing
    def write(self, fill: Callable[[BinaryIO], None], check: Callable[[Path], None] | None = None,
              before_replace: Callable[[], None] | None = None) -> None:
        """Write the new file with ``fill(fh)``, ``check(path)`` it, and move it over the target
        (through :func:`xl_kpi.ooxml.atomic.atomic_file`, the project's one atomic write)."""

        def last_steps(tmp: Path) -> None:
            if HOOK is not None:
                HOOK("written", tmp)
            if check is not None:
                check(tmp)
            if HOOK is not None:
                HOOK("replacing", tmp)
            if before_replace is not None:
                before_replace()  # e.g. close the source: Windows cannot replace a file that is still open
            self._check_unchanged()

        with atomic_file(self.real, before_replace=last_steps) as fh:
            fill(fh)


__all__ = ["HOOK", "Identity", "Replacement", "app_lock", "is_read_only"]
