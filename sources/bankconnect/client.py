"""HTTP client for the BankConnect API: auth headers, retries, and error codes mapped to outcomes."""

from __future__ import annotations

import ipaddress
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
        """GET the insights document for one session."""
        return self._get(settings.INSIGHTS_PATH, session_id)

    def close(self) -> None:
        self._client.session.close()

    def _get(self, path: str, session_id: str) -> Fetched:
        url = self.base_url + path.format(session_id=validate_session_id(session_id))
        try:
            response = self._client.session.get(url, headers=self._headers)
        except RequestException as exc:  # retries exhausted on resets/timeouts/truncation
            raise SessionError(
                settings.FAILED, settings.TRANSIENT_FAILURE, f"{type(exc).__name__} after retries"
            ) from None
        return _interpret(response)


def _interpret(response: Response) -> Fetched:
    """Turn a final (post-retry) response into a document or the documented outcome."""
    status = response.status_code
    body, parsed = _parse(response)
    if status == 200:
        if not parsed:
            raise SessionError(settings.FAILED, settings.TRANSIENT_FAILURE, "response body is not JSON after retries")
        return Fetched(body, response.content)
    code, message = _error_fields(body if parsed else None)
    if status in settings.AUTH_HTTP_STATUSES or code in settings.AUTH_ERROR_CODES:
        detail = f"{code}: {message}" if code else f"HTTP {status}"
        raise AuthError(f"the API refused the credentials ({detail}); check SOURCES__BANKCONNECT__API_KEY and SERVER_HASH")
    if code in settings.ERROR_CODE_STATUS:
        raise SessionError(settings.ERROR_CODE_STATUS[code], code, message)
    if status == 429 or status >= 500:
        raise SessionError(settings.FAILED, settings.TRANSIENT_FAILURE, f"HTTP {status} after retries")
    raise SessionError(settings.FAILED, code or f"HTTP_{status}", message or f"unexpected HTTP {status}")


def _parse(response: Response) -> Tuple[Any, bool]:
    cached = getattr(response, "_bankconnect_json", None)
    if cached is not None:
        return cached
    try:
        result = (orjson.loads(response.content), True)
    except (orjson.JSONDecodeError, RequestException):
        result = (None, False)
    response._bankconnect_json = result  # parsed once, reused after the retry check
    return result


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
    """Retry a 200 whose body is not JSON (an HTML page from a proxy, a truncated body)."""
    if response is None or response.status_code != 200:
        return False
    return not _parse(response)[1]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
