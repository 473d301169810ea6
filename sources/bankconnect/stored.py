"""Documents kept in `raw_payloads`, served with the client's interface so a session can be rebuilt."""

from __future__ import annotations

from typing import Dict, Mapping

import pyarrow as pa

from . import settings
from .documents import INSIGHTS, SESSION_STATUS, STORED, RawDocument
from .errors import SessionError

NO_RAW_COPY = "NO_RAW_COPY"


class StoredDocuments:
    """`session_status(id)` / `insights(id)` from stored zstd documents instead of HTTP."""

    def __init__(self, documents: Mapping[str, Mapping[str, tuple]]) -> None:
        """Args:
            documents: session id -> kind (`session_status`, `insights`) -> (zstd bytes, size).
        """
        self._documents: Dict[str, Mapping[str, tuple]] = dict(documents)

    def session_status(self, session_id: str) -> RawDocument:
        return self._get(session_id, SESSION_STATUS)

    def insights(self, session_id: str) -> RawDocument:
        return self._get(session_id, INSIGHTS)

    def close(self) -> None:
        self._documents.clear()

    def _get(self, session_id: str, kind: str) -> RawDocument:
        stored = self._documents.get(session_id, {}).get(kind)
        if stored is None:
            raise SessionError(settings.FAILED, NO_RAW_COPY, f"no stored {kind} document to rebuild from")
        compressed, size = stored
        return RawDocument(kind, pa.decompress(compressed, decompressed_size=size, codec="zstd", asbytes=True),
                           STORED)
