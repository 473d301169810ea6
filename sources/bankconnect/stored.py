"""Documents kept in `raw_payloads`, served with the client's interface so a session can be rebuilt."""

from __future__ import annotations

from typing import Dict, Mapping

import pyarrow as pa

from . import settings
from .client import Fetched, parse_json
from .errors import SessionError

NO_RAW_COPY = "NO_RAW_COPY"


class StoredDocuments:
    """`session_status(id)` / `insights(id)` from stored zstd documents instead of HTTP."""

    def __init__(self, documents: Mapping[str, Mapping[str, tuple]]) -> None:
        """Args:
            documents: session id -> kind (`session_status`, `insights`) -> (zstd bytes, size).
        """
        self._documents: Dict[str, Mapping[str, tuple]] = dict(documents)

    def session_status(self, session_id: str) -> Fetched:
        return self._get(session_id, "session_status")

    def insights(self, session_id: str) -> Fetched:
        """The stored insights document, unread like `BankConnectClient.insights`."""
        return self._get(session_id, "insights", parse=False)

    def close(self) -> None:
        self._documents.clear()

    def _get(self, session_id: str, kind: str, parse: bool = True) -> Fetched:
        stored = self._documents.get(session_id, {}).get(kind)
        if stored is None:
            raise SessionError(settings.FAILED, NO_RAW_COPY, f"no stored {kind} document to rebuild from")
        compressed, size = stored
        raw = pa.decompress(compressed, decompressed_size=size, codec="zstd", asbytes=True)
        if not parse:
            return Fetched(None, raw)
        try:
            data, repairs = parse_json(raw)
        except ValueError:
            raise SessionError(settings.FAILED, settings.INVALID_PAYLOAD, f"stored {kind} is not JSON") from None
        return Fetched(data, raw, repairs)
