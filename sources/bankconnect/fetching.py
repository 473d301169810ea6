"""Fetching sessions: HTTP on a bounded thread pool, handed to a reader as the documents arrive."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Iterable, Iterator, List, Optional

from .documents import parse_document
from .errors import SessionError
from .outcome import Fetch, FetchedSession, Prepare, SessionOutcome, now
from .reading import all_accounts_failed
from .workers import InlineReader, Read


def fetch_documents(client: Any, session_id: str) -> Fetch:
    """The HTTP part of a session: session_status (read: it decides whether insights exist), then
    insights unread. Only AuthError escapes: every other problem is the session's outcome."""
    checked_at = now()
    raw = {}
    try:
        status = parse_document(client.session_status(session_id))
        raw[status.kind] = status.raw
        insights = None if all_accounts_failed(status.data) else client.insights(session_id)
        return FetchedSession(session_id, status, insights, checked_at)
    except SessionError as exc:
        return SessionOutcome(session_id, exc.status, exc.code, exc.message, raw=raw, checked_at=checked_at)


def fetch_sessions(client: Any, session_ids: Iterable[str], workers: int, prepare: Optional[Prepare] = None,
                   readers: Any = None) -> Iterator[Read]:
    """Fetch sessions on `workers` threads and read them as they arrive: (outcomes, their tables).

    Fetching is I/O and runs on a bounded thread pool (at most 2 x workers requests in flight).
    Reading (JSON, flattening, `prepare`) is CPU work for `readers`: a `workers.ReaderPool` of
    worker processes, or by default an `InlineReader` (this thread). An AuthError stops everything:
    queued sessions are cancelled, the readers' unfinished work dropped, and it is raised.
    """
    readers = readers if readers is not None else InlineReader()
    ids = iter(session_ids)
    fetching: set[Future] = set()
    ready: List[Fetch] = []
    more = True
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bankconnect") as pool:
        try:
            while True:
                while more and len(fetching) < 2 * workers and readers.has_room(len(ready)):
                    session_id = next(ids, None)
                    more = session_id is not None
                    if more:
                        fetching.add(pool.submit(fetch_documents, client, session_id))
                ready = readers.submit(ready, prepare, last=not (more or fetching))
                yield from readers.finished()
                if not fetching and not readers.running:
                    if not more and not ready:
                        return
                    continue  # fetch more, or send what is ready to the readers
                done, _ = wait(fetching | readers.running, return_when=FIRST_COMPLETED)
                fetched = done & fetching
                fetching -= fetched
                ready += [future.result() for future in fetched]
        except BaseException:
            readers.abandon()
            raise
        finally:
            for future in fetching:
                future.cancel()
