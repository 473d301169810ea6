"""HTTP client for the BankConnect API: auth headers, retries, and error codes mapped to outcomes."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Optional, Tuple
from urllib.parse import urlsplit

import orjson
from requests import Response
from requests.exceptions import ChunkedEncodingError, ConnectionError, RequestException, Timeout

from dlt.sources.helpers.requests import Client

from . import settings
from .errors import AuthError, ConfigError, SessionError

_SESSION_ID_RE = re.compile(settings.SESSION_ID_PATTERN)
_NON_FINITE_LITERAL = re.compile(rb"\bNaN\b|\bInfinity\b")
_JSON_START = re.compile(rb"\s*[\[{]")
# A \uD800-\uDBFF escape followed by a \uDC00-\uDFFF one is a pair (one character); either alone is
# not text. The backslashes before it must be an even number (else the backslash is escaped).
_SURROGATE_ESCAPE = re.compile(
    rb"(?<!\\)((?:\\\\)*)(?:(\\u[dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2})")


def validate_session_id(session_id: Any) -> str:
    """Return the session id if it is safe to put in a URL path, else raise ConfigError."""
    if not isinstance(session_id, str) or not _SESSION_ID_RE.fullmatch(session_id):
        shown = repr(session_id)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise ConfigError(
            f"invalid session id {shown}: use 1-128 letters, digits, '-' or '_' (e.g. a UUID)"
        )
    return session_id


def validate_base_url(base_url: str) -> str:
    """Return the base URL without a trailing slash; plain http is allowed only for loopback."""
    parts = urlsplit(base_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"invalid base URL {base_url!r}: expected https://host/path")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError("invalid base URL: no query, fragment or user info allowed")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http to {parts.hostname}: bank data and API keys need https "
            "(http is only allowed for localhost/127.0.0.1, e.g. the simulator)"
        )
    return base_url.rstrip("/")


@dataclass(frozen=True)
class Fetched:
    """A successful response: the parsed document and its raw bytes."""

    data: Any
    raw: bytes
    repairs: Tuple[str, ...] = ()  # what had to be repaired to read it (see parse_json)


class BankConnectClient:
    """Fetches session_status and insights documents; thread safe (one HTTP session per thread).

    Transient failures (429 honouring Retry-After, 5xx, resets, timeouts, truncated or non-JSON
    bodies) are retried with exponential backoff; when retries run out a SessionError with code
    RETRIES_EXHAUSTED is raised for that session only.
    """

    def __init__(
        self,
        api_key: str,
        server_hash: str,
        base_url: str = settings.DEFAULT_BASE_URL,
        *,
        timeout: float = settings.REQUEST_TIMEOUT_SECONDS,
        max_attempts: int = settings.REQUEST_MAX_ATTEMPTS,
        backoff_factor: float = settings.REQUEST_BACKOFF_FACTOR,
        max_retry_delay: float = settings.REQUEST_MAX_RETRY_DELAY_SECONDS,
        max_connections: int = 16,
    ) -> None:
        if not api_key or not server_hash:
            raise ConfigError(
                "missing credentials: set SOURCES__BANKCONNECT__API_KEY and "
                "SOURCES__BANKCONNECT__SERVER_HASH (environment or .dlt/secrets.toml)"
            )
        self.base_url = validate_base_url(base_url)
        self._headers = {
            settings.API_KEY_HEADER: api_key,
            settings.SERVER_HASH_HEADER: server_hash,
            "Accept": "application/json",
        }
        self._client = Client(
            request_timeout=timeout,
            max_connections=max_connections,
            raise_for_status=False,
            exceptions=(ConnectionError, Timeout, ChunkedEncodingError),
            request_max_attempts=max_attempts,
            retry_condition=_unreadable_success,
            request_backoff_factor=backoff_factor,
            request_max_retry_delay=max_retry_delay,
            respect_retry_after_header=True,
        )

    def __repr__(self) -> str:  # never show credentials
        return f"BankConnectClient(base_url={self.base_url!r}, api_key='***', server_hash='***')"

    def session_status(self, session_id: str) -> Fetched:
        """GET session_status for one session."""
        return self._get(settings.SESSION_STATUS_PATH, session_id)

    def insights(self, session_id: str) -> Fetched:
        """GET the insights document for one session, its body unread (`data` None): it is parsed
        where it is flattened (`sessions.read_session`, possibly in a worker process), so only a
        200 that does not even look like a JSON document is retried here."""
        return self._get(settings.INSIGHTS_PATH, session_id, parse=False)

    def close(self) -> None:
        self._client.session.close()

    def _get(self, path: str, session_id: str, parse: bool = True) -> Fetched:
        url = self.base_url + path.format(session_id=validate_session_id(session_id))
        document = path.rstrip("/").rsplit("/", 1)[-1]  # session_status | insights
        try:
            response = self._client.session.get(url, headers=self._headers)
        except RequestException as exc:  # retries exhausted on resets/timeouts/truncation
            raise SessionError(
                settings.FAILED, settings.TRANSIENT_FAILURE, f"{document}: {type(exc).__name__} after retries"
            ) from None
        return _interpret(response, document, parse)


def _interpret(response: Response, document: str = "response", parse: bool = True) -> Fetched:
    """Turn a final (post-retry) response into a document or the documented outcome."""
    status = response.status_code
    if status == 200 and not parse:
        if not looks_like_json(response.content):
            raise not_json(document, response.headers.get("Content-Type"), len(response.content))
        return Fetched(None, response.content)
    body, parsed, repairs = _parse(response)
    if status == 200:
        if not parsed:
            raise not_json(document, response.headers.get("Content-Type"), len(response.content))
        return Fetched(body, response.content, repairs)
    code, message = _error_fields(body if parsed else None)
    if status in settings.AUTH_HTTP_STATUSES or code in settings.AUTH_ERROR_CODES:
        detail = f"{code}: {message}" if code else f"HTTP {status}"
        raise AuthError(f"the API refused the credentials ({detail}); check SOURCES__BANKCONNECT__API_KEY and SERVER_HASH")
    if code in settings.ERROR_CODE_STATUS:
        raise SessionError(settings.ERROR_CODE_STATUS[code], code, message)
    if status == 429 or status >= 500:
        raise SessionError(settings.FAILED, settings.TRANSIENT_FAILURE, f"{document}: HTTP {status} after retries")
    raise SessionError(settings.FAILED, code or f"HTTP_{status}", message or f"unexpected HTTP {status}")


def _parse(response: Response) -> Tuple[Any, bool, Tuple[str, ...]]:
    """(document, whether the body is JSON, repairs)."""
    cached = getattr(response, "_bankconnect_json", None)
    if cached is not None:
        return cached
    try:
        document, repairs = parse_json(response.content)
        result = (document, True, repairs)
    except (ValueError, RecursionError, RequestException):
        result = (None, False, ())
    response._bankconnect_json = result  # parsed once, reused after the retry check
    return result


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


def not_json(document: str, content_type: Optional[str], size: int) -> SessionError:
    """The outcome of a 200 whose body could not be read as JSON, even after retries."""
    return SessionError(settings.FAILED, settings.TRANSIENT_FAILURE,
                        f"{document}: response body is not JSON after retries "
                        f"(HTTP 200, {content_type or 'no Content-Type'}, {size} bytes)")


def _error_fields(body: Any) -> Tuple[Optional[str], str]:
    """`{"error": {"code", "message"}}`, or the older `{"detail": ...}`."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return (str(error["code"]) if error.get("code") else None, str(error.get("message") or ""))
        if "detail" in body:
            return None, str(body["detail"])
    return None, ""


def _unreadable_success(response: Optional[Response], exception: Optional[BaseException]) -> bool:
    """Retry a 200 whose body is not JSON (an HTML page from a proxy, a cut-off body).

    Insights documents (about 1 MB) are only checked to look like JSON here: they are parsed
    where they are flattened, possibly in another process (a body that looks like JSON but is
    not fails that session with RETRIES_EXHAUSTED, so the next run fetches it again).
    """
    if response is None or response.status_code != 200:
        return False
    if response.url.rstrip("/").endswith("/insights"):
        return not looks_like_json(response.content)
    return not _parse(response)[1]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
