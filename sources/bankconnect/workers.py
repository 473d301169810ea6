"""Reading fetched sessions on worker processes: JSON parsing and flattening off the loading process.

Parsing and flattening are pure-Python CPU work: on threads they only take turns on the GIL (and
slow each other down), while the loading process also needs it for dlt. A few worker processes
read the sessions instead, `CHUNK` at a time, and send each chunk's tables back as one Arrow IPC
stream per table (cheap to send and to open, unlike pickled small tables).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pyarrow as pa

from .sessions import Fetch, Prepare, SessionOutcome, read_sessions

CHUNK = 4  # sessions per task: large enough that sending the tables back costs little
# Below this many sessions a run reads them itself: starting the processes (about a second of
# CPU for the imports) costs about what reading 100 sessions on two CPUs instead of one saves.
MIN_SESSIONS = 100
_PRELOAD = ["sources.bankconnect.sessions"]


def default_processes(sessions: int) -> int:
    """Processes to read `sessions` sessions with: the machine's CPUs (at most 4), none for a few."""
    if sessions < MIN_SESSIONS:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cpus, 4) if cpus > 1 else 0


class ReaderPool:
    """Worker processes reading chunks of fetched sessions; bounded work in flight."""

    def __init__(self, processes: int, prepare: Optional[Prepare]) -> None:
        self._pool, self._owned = (_shared["executor"], False) if _shared["processes"] == processes else (
            _start(processes), True)
        self._prepare = prepare
        self._max_running = 2 * processes
        self.running: set[Future] = set()

    @property
    def idle(self) -> bool:
        return not self.running

    def has_room(self, ready: int) -> bool:
        """Whether fetching more is useful, with `ready` sessions fetched but not yet sent."""
        return ready + CHUNK * len(self.running) < CHUNK * (self._max_running + 1)

    def submit(self, ready: List[Fetch], last: bool) -> List[Fetch]:
        """Send full chunks (and, when last, the rest) while there is room; returns what is left."""
        while ready and len(self.running) < self._max_running and (len(ready) >= CHUNK or last):
            chunk, ready = ready[:CHUNK], ready[CHUNK:]
            self.running.add(self._pool.submit(_read_chunk, chunk, self._prepare))
        return ready

    def finished(self) -> Iterator[Tuple[List[SessionOutcome], Dict[str, pa.Table]]]:
        """The chunks read so far: (outcomes, their tables); an error in a worker is raised here."""
        done = {f for f in self.running if f.done()}
        self.running -= done
        for future in done:
            outcomes, streams = future.result()
            yield outcomes, {name: pa.ipc.open_stream(stream).read_all() for name, stream in streams.items()}

    def close(self) -> None:
        for future in self.running:
            future.cancel()
        if self._owned:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.running.clear()


# Processes started once for a whole run (`start_processes`), shared by the ReaderPools of its loads.
_shared: Dict[str, Any] = {"executor": None, "processes": 0}


def start_processes(processes: int) -> None:
    """Start the reader processes for the loads that follow, while this process is still small.

    Workers start as forks of this process (see `_context`): forked before the first load they
    copy only the imported modules, not the memory a load and DuckDB used since. A ReaderPool
    asking for the same number of processes uses them; `stop_processes` ends them.
    """
    stop_processes()
    if processes > 0:
        _shared["executor"], _shared["processes"] = _start(processes), processes


def stop_processes() -> None:
    """End the processes `start_processes` started (if any)."""
    executor, _shared["executor"], _shared["processes"] = _shared["executor"], None, 0
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


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


def _read_chunk(fetched: List[Fetch], prepare: Optional[Prepare]) -> Tuple[List[SessionOutcome], Dict[str, pa.Buffer]]:
    """In a worker: read the sessions; their tables as one Arrow IPC stream each."""
    outcomes, tables = read_sessions(fetched, prepare)
    streams = {}
    for name, table in tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        streams[name] = sink.getvalue()
    del tables
    release_free_memory()
    return outcomes, streams


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
