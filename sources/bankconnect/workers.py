"""Reading fetched sessions on worker processes: JSON parsing and flattening off the loading process.

Parsing and flattening are pure-Python CPU work: on threads they only take turns on the GIL (and
slow each other down), while the loading process also needs it for dlt. A few worker processes
read the sessions instead, `CHUNK` at a time. A chunk's tables come back through spool files
(an Arrow IPC stream per table, in a private temporary folder) that the loading process maps into
memory and deletes: no pickling and no copies through a pipe. One file per table, so a small
table waiting for more rows keeps only its own file mapped.
"""

from __future__ import annotations

import ctypes
import glob
import multiprocessing
import os
import shutil
import tempfile
import signal
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor, wait
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pyarrow as pa

from .outcome import Fetch, Prepare, SessionOutcome
from .reading import read_sessions

CHUNK = 4  # sessions per task: large enough that sending the tables back costs little
# Below this many sessions a run reads them itself: starting the processes (about a second of
# CPU for the imports) costs about what reading 100 sessions on two CPUs instead of one saves.
MIN_SESSIONS = 100
_PRELOAD = ["sources.bankconnect.reading"]
_SPOOL_PREFIX = "bankconnect-spool-"
_SPOOL_BUFFER = 1 << 20  # bytes a spool file is written in

Read = Tuple[List[SessionOutcome], Dict[str, pa.Table]]  # sessions read: their outcomes and their tables


def default_processes(sessions: int) -> int:
    """Processes to read `sessions` sessions with: the machine's CPUs (at most 4), none for a few."""
    if sessions < MIN_SESSIONS:
        return 0
    cpus = usable_cpus()
    return min(cpus, 4) if cpus > 1 else 0


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class InlineReader:
    """Reads fetched sessions in the calling thread, as soon as they are handed over."""

    running: frozenset = frozenset()  # nothing runs elsewhere

    def __init__(self) -> None:
        self._read: List[Read] = []

    def has_room(self, ready: int) -> bool:
        return True

    def submit(self, ready: List[Fetch], prepare: Optional[Prepare], last: bool) -> List[Fetch]:
        self._read += [read_sessions([item], prepare) for item in ready]
        return []

    def finished(self) -> Iterator[Read]:
        read, self._read = self._read, []
        yield from read

    def abandon(self) -> None:
        self._read = []

    def close(self) -> None:
        self.abandon()


class ReaderPool:
    """Worker processes reading chunks of fetched sessions, for a whole run; bounded work in flight.

    Start it before the run's first load, while this process is still small: the workers start as
    forks of it (see `_context`) and copy only the imported modules, not the memory a load and
    DuckDB used since. `close` ends them.
    """

    def __init__(self, processes: int, spool_root: Optional[str] = None) -> None:
        """Args:
            processes: worker processes (at least 1).
            spool_root: where the spool folder goes (default: the system's temporary folder); a
                spool folder a killed run left there is removed.
        """
        if spool_root is not None:
            os.makedirs(spool_root, exist_ok=True)
            for stale in glob.glob(os.path.join(spool_root, f"{_SPOOL_PREFIX}*")):
                shutil.rmtree(stale, ignore_errors=True)
        self._spool = tempfile.mkdtemp(prefix=_SPOOL_PREFIX, dir=spool_root)  # 0700: the tables hold bank data
        self._pool = _start(processes)
        self._max_running = 2 * processes
        self.running: set[Future] = set()

    def has_room(self, ready: int) -> bool:
        """Whether fetching more is useful, with `ready` sessions fetched but not yet sent."""
        return ready + CHUNK * len(self.running) < CHUNK * (self._max_running + 1)

    def submit(self, ready: List[Fetch], prepare: Optional[Prepare], last: bool) -> List[Fetch]:
        """Send full chunks (and, when last, the rest) while there is room; returns what is left."""
        while ready and len(self.running) < self._max_running and (len(ready) >= CHUNK or last):
            chunk, ready = ready[:CHUNK], ready[CHUNK:]
            self.running.add(self._pool.submit(_read_chunk, chunk, prepare, self._spool))
        return ready

    def finished(self) -> Iterator[Read]:
        """The chunks read so far: (outcomes, their tables); an error in a worker is raised here."""
        done = {f for f in self.running if f.done()}
        self.running -= done
        for future in done:
            outcomes, files = future.result()
            yield outcomes, {name: _open_spooled(path) for name, path in files.items()}

    def abandon(self) -> None:
        """Drop the chunks still being read (a load stopped): wait for them, delete their files."""
        for future in self.running:
            future.cancel()
        wait(self.running)
        for future in self.running:
            if not future.cancelled() and future.exception() is None:
                for path in future.result()[1].values():
                    os.unlink(path)
        self.running.clear()

    def close(self) -> None:
        """End the worker processes and remove the spool folder."""
        self.abandon()
        self._pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._spool, ignore_errors=True)


def _start(processes: int) -> ProcessPoolExecutor:
    release_free_memory()  # the workers start as forks of this process: give them less to copy
    executor = ProcessPoolExecutor(max_workers=processes, mp_context=_context(), initializer=_ignore_sigint)
    for _ in range(processes):  # start them now, while the first sessions are being fetched
        executor.submit(int)
    return executor


def _context() -> multiprocessing.context.BaseContext:
    """How the workers start: as forks of this process when it runs no other thread (nothing to
    import, the imported modules shared with it); else from a fork server that imports the
    readers once (then, as with any `multiprocessing` user, a script must guard its entry point
    with `if __name__ == "__main__":`)."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _read_chunk(fetched: List[Fetch], prepare: Optional[Prepare], spool: str
                ) -> Tuple[List[SessionOutcome], Dict[str, str]]:
    """In a worker: read the sessions; their outcomes and the spool file of each of their tables."""
    outcomes, tables = read_sessions(fetched, prepare)
    chunk = uuid.uuid4().hex
    files = {}
    for name, table in tables.items():
        files[name] = path = os.path.join(spool, f"{chunk}.{name}.arrows")
        # buffered: unbuffered, the stream costs a write call per buffer (about 40 per record batch)
        with pa.output_stream(path, buffer_size=_SPOOL_BUFFER) as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    del tables
    release_free_memory()
    return outcomes, files


def _open_spooled(path: str) -> pa.Table:
    """A spooled table, mapped into memory (the table is a view of the file); the file is deleted.

    The stream is read from the mapped file as one buffer: read from the file itself, each of its
    pieces was a madvise call (about 19,000 per 200 sessions)."""
    try:
        return pa.ipc.open_stream(pa.memory_map(path).read_buffer()).read_all()
    finally:
        os.unlink(path)


def release_free_memory() -> None:
    """Hand memory the process freed back to the system (glibc keeps it otherwise, and a worker
    that parsed a few 1 MB documents would hold on to it between tasks)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _libc_malloc_trim() -> Optional[Callable[[int], int]]:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None


_malloc_trim = _libc_malloc_trim()


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group: the loading process stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
