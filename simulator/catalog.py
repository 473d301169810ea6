"""The simulated sessions: ids, lifecycle cases, cached payloads, and what each endpoint answers."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from random import Random
from typing import Dict, List, Optional, Tuple, Union

import orjson

from .generator import SessionDocs, Shape, build_session

CASES = ("completed", "not_found", "deleted", "not_requested", "processing", "account_failed", "statement_failed")
CUSTOM = "custom"  # sessions added with add_session()
# Every block of this many sessions holds one session of each non-completed case (75% completed).
_BLOCK = 24

ERRORS = {
    "SESSION_NOT_FOUND": (404, "The provided session ID is invalid"),
    "SESSION_DELETED": (410, "The data of this session has been deleted"),
    "PROCESSING_NOT_REQUESTED": (400, "Processing has not been requested for this session"),
    "PROCESSING_NOT_COMPLETED": (400, "Processing of this session is not completed yet"),
    "ACCESS_DENIED": (403, "Invalid or missing x-api-key / server-hash"),
}

Response = Tuple[int, bytes]


def error_body(code: str, message: Optional[str] = None) -> bytes:
    """The API's error body: {"error": {"code": ..., "message": ...}}."""
    return orjson.dumps({"error": {"code": code, "message": message or ERRORS.get(code, (0, code))[1]}})


def error_response(code: str, status: Optional[int] = None) -> Response:
    return (status or ERRORS[code][0]), error_body(code)


@dataclass
class _Entry:
    session_id: str
    case: str
    index: Optional[int] = None  # generated sessions; None for add_session()
    status: Optional[bytes] = None  # rendered payloads, filled on first use (or at build time with prerender)
    pending: Optional[bytes] = None
    insights: Optional[bytes] = None
    error: Optional[Tuple[int, str]] = None
    polls: int = 0  # insights requests answered "not completed" so far
    first_seen: Optional[float] = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Catalog:
    """Sessions the simulator knows, by id; thread safe."""

    def __init__(self, seed: int, shape: Shape, ready_after_polls: Optional[int] = 1,
                 ready_after_seconds: Optional[float] = None) -> None:
        self.seed = seed
        self.shape = shape
        self.ready_after_polls = ready_after_polls
        self.ready_after_seconds = ready_after_seconds
        self._entries: Dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def session_ids(self, case: Optional[str] = None) -> List[str]:
        """All session ids in catalog order, or those of one case."""
        return [e.session_id for e in self._snapshot() if case is None or e.case == case]

    def cases(self) -> Dict[str, List[str]]:
        """{case: [session ids]} for every case present."""
        out: Dict[str, List[str]] = {}
        for e in self._snapshot():
            out.setdefault(e.case, []).append(e.session_id)
        return out

    def add_session(self, session_id: str, status_payload: Optional[dict] = None,
                    insights_payload: Union[dict, bytes, None] = None,
                    error: Optional[Tuple[int, str]] = None) -> None:
        """Serves fixed payloads for `session_id` (bytes are served as they are), or `error` = (http status, code)
        on both endpoints. An endpoint without a payload answers 404 SESSION_NOT_FOUND."""
        entry = _Entry(session_id, CUSTOM, error=error)
        entry.status = None if status_payload is None else orjson.dumps(status_payload)
        if insights_payload is not None:
            entry.insights = insights_payload if isinstance(insights_payload, bytes) else orjson.dumps(insights_payload)
        with self._lock:
            self._entries[session_id] = entry

    def respond(self, session_id: str, endpoint: str) -> Response:
        """What GET /session_data/{id}/{endpoint}/ answers: (HTTP status, body bytes)."""
        entry = self._entries.get(session_id)
        if entry is None or entry.case == "not_found":
            return error_response("SESSION_NOT_FOUND")
        if entry.error:
            return error_response(entry.error[1], entry.error[0])
        if entry.case == "deleted":
            return error_response("SESSION_DELETED")
        if entry.case == CUSTOM:
            body = entry.status if endpoint == "session_status" else entry.insights
            return (200, body) if body is not None else error_response("SESSION_NOT_FOUND")
        self._render(entry)
        if entry.case == "not_requested":
            return (200, entry.pending) if endpoint == "session_status" else error_response("PROCESSING_NOT_REQUESTED")
        if entry.case == "processing" and not self._ready(entry, counts=endpoint == "insights"):
            return (200, entry.pending) if endpoint == "session_status" else error_response("PROCESSING_NOT_COMPLETED")
        return 200, entry.status if endpoint == "session_status" else entry.insights

    def _snapshot(self) -> List[_Entry]:
        with self._lock:  # add_session() may run while the server reads
            return list(self._entries.values())

    def _add_generated(self, index: int, case: str) -> None:
        session_id = session_id_for(self.seed, index)
        self._entries[session_id] = _Entry(session_id, case, index)

    def _render(self, entry: _Entry) -> None:
        if entry.status is not None or entry.index is None:
            return
        with entry.lock:  # one generation per session even when requests race
            if entry.status is None:
                docs: SessionDocs = build_session(self.seed, entry.index, entry.session_id, entry.case, self.shape)
                entry.pending = orjson.dumps(docs.pending_status)
                entry.insights = None if docs.insights is None else orjson.dumps(docs.insights)
                entry.status = orjson.dumps(docs.status)

    def _ready(self, entry: _Entry, counts: bool) -> bool:
        """A processing session completes after `ready_after_polls` not-completed insights answers, or
        `ready_after_seconds` after its first request when that is set."""
        with entry.lock:
            now = time.monotonic()
            if entry.first_seen is None:
                entry.first_seen = now
            if self.ready_after_seconds is not None:
                return now - entry.first_seen >= self.ready_after_seconds
            if entry.polls >= (self.ready_after_polls or 0):
                return True
            if counts:
                entry.polls += 1
            return False

    def prerender(self) -> None:
        """Renders every generated payload now."""
        for entry in self._snapshot():
            if entry.case not in ("not_found", "deleted"):
                self._render(entry)


def session_id_for(seed: int, index: int) -> str:
    """UUID-shaped id of generated session `index`, derived from the seed."""
    digest = hashlib.sha256(f"bankconnect-sim:{seed}:session:{index}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def case_for(seed: int, index: int, lifecycle: bool) -> str:
    """The lifecycle case of session `index`: each block of 24 places the six other cases at shuffled slots."""
    if not lifecycle:
        return "completed"
    block, slot = divmod(index, _BLOCK)
    slots = Random(f"bankconnect-sim:{seed}:cases:{block}").sample(range(_BLOCK), len(CASES) - 1)
    return CASES[1 + slots.index(slot)] if slot in slots else "completed"


def build_catalog(n_sessions: int = 40, seed: int = 7, accounts: Tuple[int, int] = (1, 3),
                  months: Tuple[int, int] = (3, 12), txn_per_month: Tuple[int, int] = (20, 60),
                  prerender: bool = False, lifecycle: bool = True, ready_after_polls: Optional[int] = 1,
                  ready_after_seconds: Optional[float] = None) -> Catalog:
    """A catalog of `n_sessions` synthetic sessions, deterministic for `seed`.

    Args:
        accounts, months, txn_per_month: (low, high) ranges drawn per session / account / month.
        prerender: render every payload to bytes now, so serving costs no generation.
        lifecycle: mix in the non-completed cases (every 24 sessions hold one of each); False = all completed.
        ready_after_polls: a `processing` session answers PROCESSING_NOT_COMPLETED to this many insights
            requests, then completes.
        ready_after_seconds: when set, a `processing` session completes this long after its first request instead.
    """
    for name, (low, high) in (("accounts", accounts), ("months", months), ("txn_per_month", txn_per_month)):
        if not 0 <= low <= high or (name != "txn_per_month" and low < 1):
            raise ValueError(f"{name} must be a (low, high) range with 1 <= low <= high, got {(low, high)}")
    if months[1] > 12:
        raise ValueError("months can be at most 12 (predictors cover 12 months)")
    catalog = Catalog(seed, Shape(tuple(accounts), tuple(months), tuple(txn_per_month)), ready_after_polls,
                      ready_after_seconds)
    for index in range(n_sessions):
        catalog._add_generated(index, case_for(seed, index, lifecycle))
    if prerender:
        catalog.prerender()
    return catalog
