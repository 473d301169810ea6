"""`bankconnect rebuild`: re-flatten sessions from their stored documents, without the API."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterable, List, Optional

from sources.bankconnect.errors import ConfigError
from sources.bankconnect.validation import session_ids as valid_session_ids

from .duckdb_file import connect
from .cleanup import finish_cleanup, owe_cleanup
from .load import LoadError, LoadSummary, row_counts, summarise
from .runtime import DATASET, make_pipeline
from .session_record import read_book


def run_rebuild(duckdb_path: str, session_ids: Iterable[str] = (), *, pii: Optional[str] = None,
                keep_raw: Optional[bool] = None) -> LoadSummary:
    """Rebuild every table of the given sessions (default: all with stored documents).

    Use it after upgrading the flattening (a fix, a new table) or to apply another `--pii` mode:
    report URLs expire after an hour and BankConnect deletes files after 30 days, so the stored
    documents are the only way back to the source data.
    """
    from dlt.pipeline.exceptions import PipelineStepFailed

    from sources.bankconnect.source import bankconnect_replay

    started = time.perf_counter()
    wanted = valid_session_ids(session_ids)
    documents = _stored_documents(duckdb_path, wanted)
    missing = [s for s in wanted if s not in documents]
    if missing:
        raise ConfigError(f"no stored documents for: {', '.join(missing[:5])}"
                          f"{' ...' if len(missing) > 5 else ''} (loaded with --pii other than keep, or --no-raw?)")
    outcomes: List[Any] = []
    ids = wanted or sorted(documents)
    options: Dict[str, Any] = {"documents": documents, "session_ids": ids, "on_session": outcomes.append}
    if pii:
        options["pii"] = pii
    if keep_raw is not None:
        options["keep_raw"] = keep_raw
    pipeline, where = make_pipeline(duckdb_path)
    book = read_book(pipeline, ids)
    options["known"] = book.entries()
    owe_cleanup(pipeline, book.with_rows(ids))
    try:
        info = pipeline.run(bankconnect_replay(**options), loader_file_format="parquet")
    except PipelineStepFailed as exc:
        raise LoadError(f"rebuild failed at step {exc.step}: {' '.join(str(exc.exception).split())[:300]}") from None
    finish_cleanup(pipeline)
    return summarise(where, outcomes, row_counts(pipeline), list(info.loads_ids), started)


def _stored_documents(duckdb_path: str, session_ids: List[str]) -> Dict[str, Dict[str, tuple]]:
    con = connect(duckdb_path, read_only=True)
    try:
        exists = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                             "and table_name = 'raw_payloads'", [DATASET]).fetchone()[0]
        if not exists:
            raise ConfigError("this database has no stored documents (raw_payloads): nothing to rebuild from")
        sql = f"select session_id, kind, payload_zstd, size_bytes from {DATASET}.raw_payloads"
        rows = con.execute(sql + (" where session_id in (select unnest(?))" if session_ids else ""),
                           [session_ids] if session_ids else []).fetchall()
    finally:
        con.close()
    documents: Dict[str, Dict[str, tuple]] = {}
    for session_id, kind, payload, size in rows:
        documents.setdefault(session_id, {})[kind] = (bytes(payload), size)
    return documents
