"""The destination's `sessions` table read as the record of every session: before a run fetches,
which sessions are pending and what is known of those it is about to fetch."""

from __future__ import annotations

import weakref
from typing import Any, Iterable, List, Sequence

from sources.bankconnect.bookkeeping import RECORD_COLUMNS, SessionBook
from sources.bankconnect.settings import FAILED, RETRY_FAILURE_CODES, RETRY_STATUSES

from .runtime import id_chunks, placeholders

_synced: "weakref.WeakSet[Any]" = weakref.WeakSet()  # pipelines already asked to restore from the destination


def pending_sessions(pipeline: Any) -> List[str]:
    """Sessions an earlier run left not ready or failed transiently (picked up without being told)."""
    statuses, codes = sorted(RETRY_STATUSES), sorted(RETRY_FAILURE_CODES)
    candidates = [r[0] for r in _query(
        pipeline, f"select distinct session_id from {{sessions}} where status in ({placeholders(statuses)}) "
                  f"or (status = %s and error_code in ({placeholders(codes)}))", *statuses, FAILED, *codes)]
    # where a destination only appends, an older row may be pending and the current one not
    return read_book(pipeline, candidates).pending()


def read_book(pipeline: Any, session_ids: Sequence[str]) -> SessionBook:
    """What the `sessions` table records of these sessions (those without a row are new)."""
    rows: List[tuple] = []
    columns = ", ".join(RECORD_COLUMNS)
    for chunk in id_chunks(session_ids):
        rows += _query(pipeline, f"select {columns} from {{sessions}} where session_id in ({placeholders(chunk)})", *chunk)
    return SessionBook.from_rows(rows)


def sessions_of_loads(pipeline: Any, load_ids: Iterable[str]) -> List[str]:
    """Sessions whose `sessions` row a load wrote (e.g. packages a killed run left unfinished)."""
    loads = sorted(set(load_ids))
    if not loads:
        return []
    return sorted(r[0] for r in _query(
        pipeline, f"select distinct session_id from {{sessions}} where _dlt_load_id in ({placeholders(loads)})", *loads))


def has_record(pipeline: Any) -> bool:
    """Whether the destination has a `sessions` table (anything loaded yet)."""
    if pipeline.default_schema_name is None and pipeline not in _synced:
        _synced.add(pipeline)
        pipeline.sync_destination()  # a new machine: dlt restores schema and state from the destination
    if pipeline.default_schema_name is None:
        return False
    return "sessions" in pipeline.default_schema.data_table_names(seen_data_only=True)


def _query(pipeline: Any, sql: str, *params: Any) -> List[tuple]:
    """Rows of a query over the `sessions` table (`{sessions}` in `sql`); none before the first load,
    nor when the database was deleted after it (dlt's working folder still remembers the table: the
    next load creates it again)."""
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    if not has_record(pipeline):
        return []
    with pipeline.sql_client() as client:
        try:
            return list(client.execute_sql(sql.format(sessions=client.make_qualified_table_name("sessions")),
                                           *params) or [])
        except DatabaseUndefinedRelation:
            return []
