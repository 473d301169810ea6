"""A run's fetching, one load package ahead: while dlt normalizes and loads package k, the sessions
of package k+1 are already being fetched (threads) and read (worker processes).

`fetching.fetch_sessions` runs on a background thread over the run's packages in order and puts
what it reads into one bounded queue, each package's reads followed by an end mark; the source of
package k takes its reads from the queue. The queue's bound (and the limiter's byte budget behind
it) keeps the memory ahead of the loading package fixed, however large the packages are.

Nothing is recorded while a session waits in the queue: its `sessions` row is written with its
package, as when it is fetched inside that package's extract. A run stopped (an error, Ctrl-C,
kill -9) before that package loaded leaves those sessions as a stop during extract does.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Iterator, List, Optional, Sequence

from .concurrency import ConcurrencyLimiter
from .fetching import fetch_sessions
from .outcome import Prepare
from .workers import Read

AHEAD = 4  # reads (chunks of sessions, see workers.CHUNK) waiting for their package at most
_END = object()  # after the last read of a package
_POLL = 0.2  # seconds between checks for a close while the queue is full


class SessionFeed:
    """The sessions of a run's load packages, fetched and read one package ahead of the loading one.

    Use: one feed per run over the packages' session ids in load order; `reads(ids, ...)` for each
    package in that order (the first call starts fetching with the client it is given, which the
    feed then owns); `close()` when the run ends, also after an error.
    """

    def __init__(self, packages: Sequence[Sequence[str]], readers: Any = None, ahead: int = AHEAD) -> None:
        """Args:
            packages: session ids per load package, in the order they will be loaded.
            readers: a `workers.ReaderPool` (None: read on the feed's thread).
            ahead: reads waiting in the queue at most.
        """
        self._packages = [list(ids) for ids in packages]
        self._readers = readers
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=max(ahead, 1))
        self._next = 0
        self._closing = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._client: Any = None

    def reads(self, session_ids: Sequence[str], client: Any, limiter: ConcurrencyLimiter,
              prepare: Optional[Prepare]) -> Iterator[Read]:
        """The next package's reads, as they come: (outcomes, their tables).

        `session_ids` must be that package's (checked). `client`, `limiter` and `prepare` start the
        fetching on the first call; later calls' clients are closed unused. Raises what fetching
        raised (an AuthError) once the reads before it are taken.
        """
        if list(session_ids) != self._packages[self._next]:
            raise RuntimeError("SessionFeed: packages must be taken in the order given")
        self._next += 1
        if self._thread is None:
            self._client = client
            self._thread = threading.Thread(target=self._fetch, args=(client, limiter, prepare),
                                            name="bankconnect-feed", daemon=True)
            self._thread.start()
        elif client is not self._client:
            client.close()
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop fetching, wait for the thread, drop what waits unread and close the client."""
        self._closing.set()
        while self._thread is not None and self._thread.is_alive():
            self._drain()
            self._thread.join(_POLL)
        self._drain()
        if self._client is not None:
            self._client.close()
            self._client = None

    def _fetch(self, client: Any, limiter: ConcurrencyLimiter, prepare: Optional[Prepare]) -> None:
        try:
            for ids in self._packages:
                reads = fetch_sessions(client, ids, limiter, prepare, self._readers)
                try:
                    for read in reads:
                        if not self._put(read):
                            return  # closing: closing `reads` cancels its fetches and readers' work
                finally:
                    reads.close()
                if not self._put(_END):
                    return
        except BaseException as exc:  # an AuthError: the package being taken raises it
            self._put(exc)

    def _put(self, item: Any) -> bool:
        """Queue an item, waiting for room; False when the feed is closing."""
        while not self._closing.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return


def package_chunks(session_ids: List[str], per_package: int) -> List[List[str]]:
    """Session ids in load packages of `per_package`, in order."""
    return [session_ids[i:i + per_package] for i in range(0, len(session_ids), per_package)]
