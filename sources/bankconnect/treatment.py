"""What a read session's tables become before they load: personal data treated, documents kept (zstd)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

import pyarrow as pa

from .errors import ConfigError
from .outcome import SessionOutcome
from .pii import apply_pii
from .settings import PII_MODES
from .tables import TABLES


@dataclass(frozen=True)
class Treatment:
    """Validated personal-data options; called on a read session, it returns the tables to load.

    Picklable: worker processes run it on the sessions they read.
    """

    pii: str = "keep"
    hash_key: Optional[bytes] = None
    keep_raw: bool = True

    @classmethod
    def of(cls, pii: str, pii_hash_key: Optional[str], keep_raw: Optional[bool]) -> "Treatment":
        """From the source's options (raw documents kept by default only with pii `keep`)."""
        if pii not in PII_MODES:
            raise ConfigError(f"unknown pii mode {pii!r}: use one of {', '.join(PII_MODES)}")
        if pii == "hash" and not pii_hash_key:
            raise ConfigError("pii mode 'hash' needs a key: set SOURCES__BANKCONNECT__PII_HASH_KEY")
        return cls(pii, pii_hash_key.encode() if pii_hash_key else None,
                   (pii == "keep") if keep_raw is None else keep_raw)

    def __call__(self, outcome: SessionOutcome) -> Dict[str, pa.Table]:
        """The outcome's tables with personal data treated, plus its raw documents (zstd) when kept.

        Raw documents are kept only with the data they produced (so a re-fetch replaces them too).
        """
        tables = apply_pii(outcome.tables, self.pii, self.hash_key) if outcome.tables else {}
        if self.keep_raw and tables and outcome.raw:
            tables = {**tables, "raw_payloads": raw_payloads(outcome)}
        return tables


def raw_payloads(outcome: SessionOutcome) -> pa.Table:
    """The session's fetched documents as `raw_payloads` rows (zstd-compressed bytes)."""
    kinds = list(outcome.raw)
    schema = TABLES["raw_payloads"].schema
    return pa.Table.from_arrays([
        pa.array([outcome.session_id] * len(kinds), pa.string()),
        pa.array(kinds, pa.string()),
        pa.array([outcome.checked_at] * len(kinds), schema.field("fetched_at").type),
        pa.array([len(outcome.raw[k]) for k in kinds], pa.int64()),
        pa.array([pa.compress(outcome.raw[k], codec="zstd", asbytes=True) for k in kinds], pa.binary()),
    ], schema=schema)
