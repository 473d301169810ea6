"""What comes in from outside (session ids, the base URL) checked once, where it enters."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable, List
from urllib.parse import urlsplit

from . import settings
from .errors import ConfigError

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


def session_ids(values: Iterable[Any]) -> List[str]:
    """Session ids as given (surrounding blanks dropped), validated, each once, in order."""
    return list(dict.fromkeys(validate_session_id(v.strip() if isinstance(v, str) else v) for v in values))


def validate_base_url(base_url: str) -> str:
    """Return the base URL without a trailing slash; plain http is allowed only for loopback."""
    parts = urlsplit(base_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"invalid base URL {base_url!r}: expected https://host/path")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError("invalid base URL: no query, fragment or user info allowed")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http to {parts.hostname}: bank data and API keys need https "
            "(http is only allowed for localhost/127.0.0.1, e.g. the simulator)"
        )
    return base_url.rstrip("/")


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine (localhost, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
