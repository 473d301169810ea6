"""Fetching sessions: HTTP on threads, as many requests in flight as the limiter allows, handed to a
reader as the documents arrive."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

from . import settings
from .concurrency import CLEAN, FAILED, TIMEOUT, ConcurrencyLimiter
from .documents import RawDocument, parse_document
from .errors import SessionError
from .outcome import Fetch, FetchedSession, Prepare, SessionOutcome, now
from .reading import all_accounts_failed
from .workers import InlineReader, Read


def fetch_documents(client: Any, session_id: str, limiter: ConcurrencyLimiter) -> Fetch:
    """The HTTP part of a session: session_status (read: it decides whether insights exist), then
    insights unread. Only AuthError escapes: every other problem is the session's outcome."""
    checked_at = now()
    raw = {}
    try:
        answer = request(limiter, client.session_status, session_id)
        limiter.consumed(len(answer.raw))
        status = parse_document(answer)
        raw[status.kind] = status.raw
        insights = None if all_accounts_failed(status.data) else request(limiter, client.insights, session_id)
        return FetchedSession(session_id, status, insights, checked_at)
    except SessionError as exc:
        return SessionOutcome(session_id, exc.status, exc.code, exc.message, raw=raw, checked_at=checked_at)


def request(limiter: ConcurrencyLimiter, get: Callable[[str], RawDocument], session_id: str) -> RawDocument:
    """One GET within the limiter: a slot while it runs, then its outcome and the bytes left to read."""
    limiter.acquire()
    try:
        document = get(session_id)
    except SessionError as exc:
        # a documented error code is a clean answer; throttled attempts reached the limiter's hook
        limiter.release(CLEAN if exc.code in settings.ERROR_CODE_STATUS else
                        TIMEOUT if "Timeout" in exc.message else FAILED)
        raise
    except BaseException:
        limiter.release(FAILED)
        raise
    limiter.release(CLEAN, len(document.raw))
    return document


def fetch_sessions(client: Any, session_ids: Iterable[str], limiter: ConcurrencyLimiter,
                   prepare: Optional[Prepare] = None, readers: Any = None) -> Iterator[Read]:
    """Fetch sessions on threads and read them as they arrive: (outcomes, their tables).

    Fetching is I/O: requests in flight are as many as `limiter` allows (it adapts them to how the
    API answers, and holds fetching back while too many fetched bytes wait to be read), with about
    two sessions per slot queued. Reading (JSON, flattening, `prepare`) is CPU work for `readers`: a
    `workers.ReaderPool` of worker processes, or by default an `InlineReader` (this thread). An
    AuthError stops everything: queued sessions are cancelled, the readers' unfinished work
    dropped, and it is raised.
    """
    readers = readers if readers is not None else InlineReader()
    ids = iter(session_ids)
    fetching: set[Future] = set()
    ready: List[Fetch] = []
    unread: Dict[str, int] = {}  # bytes of fetched insights per session, until its outcome is back
    more = True
    with ThreadPoolExecutor(max_workers=2 * limiter.ceiling, thread_name_prefix="bankconnect") as pool:
        try:
            while True:
                while more and len(fetching) < 2 * limiter.limit and readers.has_room(len(ready)):
                    session_id = next(ids, None)
                    more = session_id is not None
                    if more:
                        fetching.add(pool.submit(fetch_documents, client, session_id, limiter))
                # idle readers take a part chunk too: fetching may be waiting for them to free bytes
                ready = readers.submit(ready, prepare, last=not (more or fetching) or not readers.running)
                for outcomes, tables in readers.finished():
                    limiter.consumed(sum(unread.pop(o.session_id, 0) for o in outcomes))
                    yield outcomes, tables
                if not fetching and not readers.running:
                    if not more and not ready:
                        return
                    continue  # fetch more, or send what is ready to the readers
                done, _ = wait(fetching | readers.running, return_when=FIRST_COMPLETED)
                fetched = done & fetching
                fetching -= fetched
                for future in fetched:
                    item = future.result()
                    if isinstance(item, FetchedSession) and item.insights is not None:
                        unread[item.session_id] = len(item.insights.raw)
                    ready.append(item)
        except BaseException:
            readers.abandon()
            raise
        finally:
            for future in fetching:
                future.cancel()
