"""Reading fetched sessions on worker processes: JSON parsing and flattening off the loading process.

Parsing and flattening are pure-Python CPU work: on threads they only take turns on the GIL (and
slow each other down), while the loading process also needs it for dlt. A few worker processes
read the sessions instead, `CHUNK` at a time, and send each chunk's tables back as one Arrow IPC
stream per table (cheap to send and to open, unlike pickled small tables).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Dict, Iterator, List, Optional, Tuple

import pyarrow as pa

from .sessions import Fetch, Prepare, SessionOutcome, read_sessions

CHUNK = 8  # sessions per task: large enough that sending the tables back costs little
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
        context = multiprocessing.get_context("forkserver")
        # the fork server imports the readers once; each worker starts as a fork of it
        context.set_forkserver_preload(_PRELOAD)
        self._pool = ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=_ignore_sigint)
        self._prepare = prepare
        self._max_running = 2 * processes
        self.running: set[Future] = set()
        for _ in range(processes):  # start them now, while the first sessions are being fetched
            self._pool.submit(int)

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
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.running.clear()


def _read_chunk(fetched: List[Fetch], prepare: Optional[Prepare]) -> Tuple[List[SessionOutcome], Dict[str, pa.Buffer]]:
    """In a worker: read the sessions; their tables as one Arrow IPC stream each."""
    outcomes, tables = read_sessions(fetched, prepare)
    streams = {}
    for name, table in tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        streams[name] = sink.getvalue()
    return outcomes, streams


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group: the loading process stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
