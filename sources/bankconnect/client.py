"""HTTP client for the BankConnect API: auth headers, retries, and error codes mapped to outcomes."""

from __future__ import annotations

from typing import Any, Optional, Tuple

from requests import Response
from requests.exceptions import ChunkedEncodingError, ConnectionError, RequestException, Timeout

from dlt.sources.helpers.requests import Client

from . import settings
from .attempts import attempt_hook
from .documents import INSIGHTS, SESSION_STATUS, RawDocument, looks_like_json, parse_json
from .errors import AuthError, ConfigError, SessionError
from .validation import validate_base_url

BODY_READ_SIZE = 1 << 20  # bytes asked of the socket per read of an answer's body


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
        limiter: Any = None,
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
            session_attrs=_session_attrs(limiter),
        )

    def __repr__(self) -> str:  # never show credentials
        return f"BankConnectClient(base_url={self.base_url!r}, api_key='***', server_hash='***')"

    def session_status(self, session_id: str) -> RawDocument:
        """GET session_status for one session, unread (ids are validated where they enter: `validation`)."""
        return self._get(SESSION_STATUS, settings.SESSION_STATUS_PATH, session_id)

    def insights(self, session_id: str) -> RawDocument:
        """GET the insights document for one session, unread: it is parsed where it is flattened
        (`reading.read_session`, possibly in a worker process)."""
        return self._get(INSIGHTS, settings.INSIGHTS_PATH, session_id)

    def close(self) -> None:
        self._client.session.close()

    def _get(self, kind: str, path: str, session_id: str) -> RawDocument:
        url = self.base_url + path.format(session_id=session_id)
        try:
            response = self._client.session.get(url, headers=self._headers)
        except RequestException as exc:  # retries exhausted on resets/timeouts/truncation
            raise SessionError(
                settings.FAILED, settings.TRANSIENT_FAILURE, f"{kind}: {type(exc).__name__} after retries"
            ) from None
        return _interpret(response, kind)


def _session_attrs(limiter: Any) -> dict:
    """Hooks on each attempt: the body read in large pieces; the limiter told of throttling (every
    attempt, the ones dlt retries by itself included)."""
    hooks = [read_whole_body] + ([attempt_hook(limiter)] if limiter is not None else [])
    return {"hooks": {"response": hooks}}


def read_whole_body(response: Response, *args: Any, **kwargs: Any) -> None:
    """A response hook (it runs before requests reads the body): read the body `BODY_READ_SIZE`
    bytes at a time, through requests' own `iter_content` (its errors, so dlt's retries, unchanged).

    `Response.content` reads 10 KB at a time: a 1.4 MB insights document took 140 reads, each
    releasing and taking back the GIL among up to 32 fetching threads. Measured on 200 sessions:
    about 1.5 CPU-seconds less for the loading process.
    """
    if response._content is False and not response._content_consumed and response.raw is not None:
        response._content = b"".join(response.iter_content(BODY_READ_SIZE)) or b""
    return None


def _interpret(response: Response, kind: str) -> RawDocument:
    """Turn a final (post-retry) response into a document (read later) or the documented outcome."""
    status = response.status_code
    if status == 200:
        return RawDocument(kind, response.content, response.headers.get("Content-Type"))
    code, message = _error_fields(_error_body(response.content))
    if status in settings.AUTH_HTTP_STATUSES or code in settings.AUTH_ERROR_CODES:
        detail = f"{code}: {message}" if code else f"HTTP {status}"
        raise AuthError(f"the API refused the credentials ({detail}); check SOURCES__BANKCONNECT__API_KEY and SERVER_HASH")
    if code in settings.ERROR_CODE_STATUS:
        raise SessionError(settings.ERROR_CODE_STATUS[code], code, message)
    if status == 429 or status >= 500:
        raise SessionError(settings.FAILED, settings.TRANSIENT_FAILURE, f"{kind}: HTTP {status} after retries")
    raise SessionError(settings.FAILED, code or f"HTTP_{status}", message or f"unexpected HTTP {status}")


def _error_body(raw: bytes) -> Any:
    """An error answer's JSON body, or None when it is not JSON (a proxy's HTML page)."""
    try:
        return parse_json(raw)[0]
    except (ValueError, RecursionError):
        return None


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
    """Retry a 200 whose body does not even look like JSON (an HTML page from a proxy, a cut-off
    body). It is parsed where it is read (`documents.parse_document`): a body that looks like JSON
    but is not fails that session with RETRIES_EXHAUSTED, so the next run fetches it again."""
    return response is not None and response.status_code == 200 and not looks_like_json(response.content)
