"""A fetched or stored document read as JSON: the one place its bytes become data (no HTTP, no dlt)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import orjson

from . import settings
from .errors import SessionError

SESSION_STATUS = "session_status"
INSIGHTS = "insights"
STORED = "stored"  # the origin of a document read back from raw_payloads

_NON_FINITE_LITERAL = re.compile(rb"\bNaN\b|\bInfinity\b")
_JSON_START = re.compile(rb"\s*[\[{]")
# A \uD800-\uDBFF escape followed by a \uDC00-\uDFFF one is a pair (one character); either alone is
# not text. The backslashes before it must be an even number (else the backslash is escaped).
_SURROGATE_ESCAPE = re.compile(
    rb"(?<!\\)((?:\\\\)*)(?:(\\u[dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2})")


@dataclass(frozen=True)
class RawDocument:
    """A document's bytes, unread, and where they came from.

    origin: `stored` for raw_payloads, else the Content-Type of the HTTP answer (None: none sent).
    """

    kind: str  # session_status | insights
    raw: bytes
    origin: Optional[str] = None


@dataclass(frozen=True)
class Document:
    """A document read: its data, its bytes, and what had to be repaired to read it (see parse_json)."""

    kind: str
    data: Any
    raw: bytes
    repairs: Tuple[str, ...] = ()


def parse_document(document: RawDocument) -> Document:
    """Read a document as JSON; a body that is not JSON is the session's outcome (SessionError).

    Fetched: RETRIES_EXHAUSTED (the next run fetches it again). Stored: INVALID_PAYLOAD (it parsed
    when it was stored, so the copy is damaged).
    """
    try:
        data, repairs = parse_json(document.raw)
    except (ValueError, RecursionError):
        if document.origin == STORED:
            raise SessionError(settings.FAILED, settings.INVALID_PAYLOAD,
                               f"stored {document.kind} is not JSON") from None
        raise not_json(document.kind, document.origin, len(document.raw)) from None
    return Document(document.kind, data, document.raw, repairs)


def parse_json(raw: bytes) -> Tuple[Any, Tuple[str, ...]]:
    """A JSON document and what had to be repaired to read it; raises ValueError when it is not JSON.

    Two things a strict parser (orjson) rejects are read anyway, so that the session loads instead
    of being retried as unreadable on every run: lone UTF-16 surrogate escapes (half an emoji, from
    text cut by a UTF-16 system) become U+FFFD, and bare NaN/Infinity literals (Python's json
    module writes them) are read by the standard library (the flatteners report those values).
    """
    try:
        return orjson.loads(raw), ()
    except orjson.JSONDecodeError:
        pass
    repairs: Tuple[str, ...] = ()
    lone = [0]

    def keep_pairs(m: "re.Match[bytes]") -> bytes:
        if m[2] and m[3]:
            return m[0]
        lone[0] += 1
        return m[1] + rb"\ufffd"

    fixed = _SURROGATE_ESCAPE.sub(keep_pairs, raw)
    if lone[0]:
        repairs = (f"{lone[0]} lone UTF-16 surrogate escape(s) replaced by U+FFFD",)
        try:
            return orjson.loads(fixed), repairs
        except orjson.JSONDecodeError:
            pass
    if not _NON_FINITE_LITERAL.search(fixed):
        raise ValueError("not JSON")
    return json.loads(fixed), repairs


def looks_like_json(raw: bytes) -> bool:
    """A cheap test of a body (no parse): it starts and ends like a JSON object or array."""
    return bool(_JSON_START.match(raw)) and raw[-64:].rstrip()[-1:] in (b"}", b"]")


def not_json(kind: str, content_type: Optional[str], size: int) -> SessionError:
    """The outcome of a 200 whose body could not be read as JSON, even after retries."""
    return SessionError(settings.FAILED, settings.TRANSIENT_FAILURE,
                        f"{kind}: response body is not JSON after retries "
                        f"(HTTP 200, {content_type or 'no Content-Type'}, {size} bytes)")
