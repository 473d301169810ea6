"""Rows a newer load replaced, and every row of purged sessions, deleted from the raw tables: only
ever the rows of the sessions named (a `session_id in (...)` delete), never a sweep of whole tables."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, List, Sequence

from sources.bankconnect.tables import SESSION_DATA_TABLES

from .runtime import can_merge, id_chunks, placeholders

# Sessions whose replaced rows a load leaves to clean: written before the load, removed after the
# clean-up, so a run killed in between is finished by the next one (`finish_cleanup`).
_OWED = "cleanup-owed.json"


def remove_replaced_rows(pipeline: Any, session_ids: Sequence[str]) -> int:
    """Delete the rows of these sessions that a newer load replaced (tables where they now have none).

    `sessions.data_load_id` names the load whose rows are current for each session; merge already
    replaced the rows of tables that received the session again. Idempotent. Returns rows deleted.
    """
    present = set(pipeline.default_schema.data_table_names(seen_data_only=True)) if pipeline.default_schema_name \
        else set()
    if not session_ids or "sessions" not in present or not can_merge(pipeline):
        return 0
    deleted = 0
    with pipeline.sql_client() as client:
        sessions = client.make_qualified_table_name("sessions")
        for table in (t for t in SESSION_DATA_TABLES if t in present):
            name = client.make_qualified_table_name(table)
            for chunk in id_chunks(session_ids):
                deleted += _rowcount(client.execute_sql(
                    f"delete from {name} where session_id in ({placeholders(chunk)}) and exists (select 1 from "
                    f"{sessions} as s where s.session_id = {name}.session_id and s.data_load_id is not null "
                    f"and s.data_load_id <> {name}._dlt_load_id)", *chunk))
    return deleted


def owe_cleanup(pipeline: Any, session_ids: Sequence[str]) -> None:
    """Note (durably) that these sessions' replaced rows must go once the coming load is in (nothing
    to note for no session, or where loads only append: see `remove_replaced_rows`)."""
    if not session_ids or not can_merge(pipeline):
        return
    path = Path(pipeline.working_dir) / _OWED
    owed = sorted(set(session_ids) | set(_owed(path)))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        json.dump(owed, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def finish_cleanup(pipeline: Any) -> int:
    """Clean what loads noted with `owe_cleanup` (all of it, the previous run's if it was killed)."""
    path = Path(pipeline.working_dir) / _OWED
    owed = _owed(path)
    deleted = remove_replaced_rows(pipeline, owed) if owed else 0
    if path.exists():
        path.unlink()
    return deleted


def purge_sessions(pipeline: Any, session_ids: List[str]) -> int:
    """Delete every row of these sessions from every table except their `sessions` row.

    The `sessions` row stays (status `deleted`, no personal data) so the deletion is on record.
    Returns the number of rows deleted.
    """
    present = set(pipeline.default_schema.data_table_names(seen_data_only=True))
    if not session_ids or not can_merge(pipeline):
        return 0
    deleted = 0
    with pipeline.sql_client() as client:
        for table in SESSION_DATA_TABLES:
            if table in present:
                name = client.make_qualified_table_name(table)
                for chunk in id_chunks(session_ids):
                    deleted += _rowcount(client.execute_sql(
                        f"delete from {name} where session_id in ({placeholders(chunk)})", *chunk))
    return deleted


def _owed(path: Path) -> List[str]:
    try:
        return list(json.loads(path.read_text()))
    except (FileNotFoundError, ValueError):
        return []


def _rowcount(result: Any) -> int:
    try:
        return int(result[0][0]) if result else 0
    except (TypeError, ValueError, IndexError):
        return 0
