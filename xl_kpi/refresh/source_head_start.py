"""The command line's head start for a source: a large ledger's database query runs while the refresh is imported.

``xl-kpi refresh BOOK --ledger big.parquet`` spends its first second or two
importing pandas, openpyxl and the report code, then opening BOOK and its
Settings table, before it asks the source anything; for a ledger too large
for memory, what it then asks (:meth:`xl_kpi.sources.ledger_input.ExternalLedgerSource.analysis_in_place`:
the Ibis engine's one scan and sort of the data, its checks and the summary
query) takes seconds more, nearly all of them inside DuckDB, which does not
hold the GIL.  So the command line starts that computation in a thread
(:meth:`SourceHeadStart.start`) from the flags it was given, before it
imports the rest; the refresh takes the result (:meth:`SourceHeadStart.take`)
only when it is exactly the computation it would make itself:

* the same source (``--ledger`` as written, ``--table``, ``--query``,
  ``--columns``), read as a ledger;
* the same as-of month (the flag; the Settings table may name another one:
  then the result is dropped and the refresh computes with its own);
* the file unchanged since the thread began (its size, modification time, inode and status-change time).

Otherwise it is dropped (the query interrupted) and the refresh computes as
always.  Whatever the thread met (a bad row, a missing column, a file that is
not large: then nothing was computed) is handed over as the refresh would
have met it, at the point where it would have met it: what the refresh
checks first (the workbook, its Settings table, a setting the Ibis engine
does not apply) is still checked first, and refused first.

The module is light on purpose (no pandas, no ibis): the thread imports
them, and the command line waits until its query runs
(:meth:`SourceHeadStart.wait_started`) before it imports the rest of the
refresh beside it (two threads importing at once share one GIL: the query
would begin only when both are done). "Runs" is the analysis's first
query given to the database (a scan of the file, or the statement making a
table), after its Ibis expression is built and compiled to SQL: Python work
that the refresh's imports would slow down as much.

>>> SourceHeadStart.start(None).take("big.parquet", None, None, {}, None) is None  # no source: nothing began
True
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

__all__ = ["SourceHeadStart", "Answer"]

#: The longest :meth:`SourceHeadStart.close` waits for a dropped thread to end (seconds): its query is
#: interrupted at once; before it (imports, a Parquet footer, a database's row count) it cannot be.
CLOSE_WAIT = 10.0

#: The longest :meth:`SourceHeadStart.wait_started` waits, once the thread has its table, for its first query
#: (seconds): building and compiling it takes a tenth of that; an analysis that gives none the way
#: :meth:`SourceHeadStart._watch` sees (another backend) is waited for no longer.
STATEMENT_WAIT = 0.5


class Answer:
    """What the thread found: ``not_large`` (nothing computed), else :meth:`result`."""

    def __init__(self, result: Any, error: BaseException | None, not_large: bool) -> None:
        self.not_large = not_large
        self._result, self._error = result, error

    def result(self):
        """The :class:`~xl_kpi.engines.Analysis`, raising what computing it raised."""
        if self._error is not None:
            raise self._error
        return self._result


def _stamp(path: str) -> tuple[int, ...] | None:
    """What tells the file apart from another one at ``path``: size and modification time, and the inode and
    status-change time, which a copy keeping the modification time (cp -p, an unpacked archive) cannot keep."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns


class SourceHeadStart:
    """The in-place analysis of a ``--ledger`` source, begun early in a thread (see the module notes)."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.stamp: tuple[int, ...] | None = None
        self._thread: threading.Thread | None = None
        self._result: Any = None
        self._error: BaseException | None = None
        self._backend = None  # the DuckDB connection, to interrupt a query nobody will take
        self._cancelled = False
        self._entered = False  # the thread has gone past its imports, to the source (and the database)
        self._lock = threading.Lock()  # (the thread goes on, or close() waits for it: never neither)
        self._not_large = False
        #: Set when the thread has its table (its imports done, the source opened), or has ended.
        self.connected = threading.Event()
        #: Set when the thread has begun computing in the database (or has ended): see :meth:`wait_started`.
        self.started = threading.Event()

    @classmethod
    def start(cls, spec: str | None, *, table: str | None = None, query: str | None = None,
              columns: str | None = None, as_of: str | None = None) -> "SourceHeadStart":
        """Start the analysis of the source ``spec`` (a path, as ``--ledger`` gives it) in a thread.

        ``columns`` is ``--columns`` as written, ``as_of`` ``--as-of``. A head start that holds nothing when
        there is no source or it cannot be stat'ed (the refresh then says why, as always).
        """
        self = cls()
        if spec is None:
            return self
        path = os.path.realpath(spec)
        self.stamp = _stamp(path)
        if self.stamp is None:
            return self
        self.key = (str(spec), table, query, columns, as_of)

        def run() -> None:
            try:
                from xl_kpi.sources.columns import parse_columns
                from xl_kpi.sources.ledger_input import NOT_LARGE, ExternalLedgerSource

                source = ExternalLedgerSource(spec, table=table, query=query, columns=columns)
                self.key = (str(spec), table, query, parse_columns(columns), as_of)
                self._enter()
                self._result = source.large_analysis(as_of, on_table=self._connected)
                self._not_large = self._result is NOT_LARGE
            except BaseException as exc:  # noqa: BLE001 - handed to the refresh by take()
                self._error = exc
            finally:
                self.connected.set()
                self.started.set()

        self._thread = threading.Thread(target=run, name="xl_kpi-source-head-start", daemon=True)
        self._thread.start()
        return self

    def _enter(self) -> None:
        """The thread's imports done: it goes on to the source unless dropped meanwhile (then :meth:`close`
        did not wait for it)."""
        with self._lock:
            if self._cancelled:
                raise RuntimeError("head start dropped")
            self._entered = True

    def _connected(self, table) -> None:
        """Keep the connection of the table about to be computed, to interrupt it if nobody takes the result,
        and watch it for the query that begins the computation (:meth:`_watch`)."""
        with self._lock:
            if self._cancelled:
                raise RuntimeError("head start dropped")
            try:
                self._backend = table.get_backend()
            except Exception:  # noqa: BLE001 - only used to stop early
                self._backend = None
            else:
                self._watch(self._backend)
        self.connected.set()

    def _watch(self, backend) -> None:
        """Set :attr:`started` when ``backend`` is first given a query of the analysis: one compiled to SQL
        (Ibis's DuckDB backend compiles a query just before it runs it: ``to_pyarrow``, ``execute``) or a
        statement making a table (``CREATE ...``: ``create_table`` sends it through ``raw_sql``, its query
        compiled). A look-up meanwhile (the current schema) does not count. The backend's own methods are
        back after it."""
        own = {name: getattr(backend, name, None) for name in _WATCHED}

        def release() -> None:
            _unwatch(backend)
            self.started.set()

        def raw_sql(query, *args, **kwargs):
            text = query if isinstance(query, str) else type(query).__name__  # (a sqlglot expression: exp.Create)
            if text.lstrip()[:6].upper() == "CREATE":
                release()
            return own["raw_sql"](query, *args, **kwargs)

        def compile(*args, **kwargs):
            sql = own["compile"](*args, **kwargs)
            release()  # (the query runs next)
            return sql

        for name, method in (("raw_sql", raw_sql), ("compile", compile)):
            if own[name] is not None:
                try:
                    setattr(backend, name, method)
                except (AttributeError, TypeError):  # a backend whose attributes are fixed: released at STATEMENT_WAIT
                    pass

    def wait_started(self, timeout: float) -> None:
        """Wait until the thread's query runs in the database, which does not hold the GIL: the thread's
        imports (pandas, ibis) and the compiling of its query then go first, undisturbed, and the caller's
        own imports run beside the query rather than delaying it. At most ``timeout`` seconds until the
        thread has its table, then at most :data:`STATEMENT_WAIT` for its first query."""
        if self._thread is not None and self.connected.wait(timeout):
            self.started.wait(STATEMENT_WAIT)

    def take(self, spec: Any, table: str | None, query: str | None, columns: dict, as_of: Any) -> "Answer | None":
        """The thread's :class:`Answer` when it computed what the refresh asks (``columns`` parsed, as
        :func:`xl_kpi.sources.columns.parse_columns` gives them). None (and the head start dropped) for
        another computation, or a file changed since the thread began."""
        if self._thread is None:
            return None
        if not isinstance(spec, (str, os.PathLike)) or self.key is None or \
                (str(spec), table, query) != self.key[:3] or type(as_of) is not type(self.key[4]) \
                or as_of != self.key[4]:
            self.close()
            return None
        self._thread.join()
        if self.key[3] != columns or _stamp(os.path.realpath(spec)) != self.stamp:
            self.close()
            return None
        answer = Answer(self._result, self._error, self._not_large)
        if self._backend is not None:
            _unwatch(self._backend)  # (the refresh's queries on it are its own)
        self._thread = None
        self._result = self._error = self._backend = None
        return answer

    def close(self) -> None:
        """Drop the result; a query still running is interrupted, and the thread waited for until it has
        left the database (at most :data:`CLOSE_WAIT` seconds).

        Waited for: a daemon thread still inside DuckDB when the interpreter exits (a Ctrl-C) aborts the
        process ("terminate called ... FATAL: exception not rethrown", exit -6, not 130), and one left
        running computes beside the refresh's own analysis. Interrupted again until it ends: an interrupt
        that comes between two of its queries stops neither.
        """
        thread, self._thread = self._thread, None
        with self._lock:
            self._cancelled = True  # (a thread still importing stops after: :meth:`_enter`, not waited for)
            entered = self._entered
        deadline = time.monotonic() + CLOSE_WAIT
        while entered and thread is not None and thread.is_alive() and time.monotonic() < deadline:
            backend = self._backend
            if backend is not None:
                try:
                    backend.con.interrupt()
                except Exception:  # noqa: BLE001 - another backend, or the query just ended
                    pass
            thread.join(0.05)
        self._result = self._error = self._backend = None


#: The backend methods :meth:`SourceHeadStart._watch` watches.
_WATCHED = ("raw_sql", "compile")


def _unwatch(backend) -> None:
    """The backend's own methods again (:meth:`SourceHeadStart._watch` set its own on the instance)."""
    own = getattr(backend, "__dict__", {})
    for name in _WATCHED:
        own.pop(name, None)
