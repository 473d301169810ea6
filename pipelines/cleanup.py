"""Rows a newer load replaced, and every row of purged sessions, deleted from the raw tables."""

from __future__ import annotations

from typing import Any, List

from sources.bankconnect.tables import SESSION_DATA_TABLES

from .runtime import can_merge


def remove_replaced_rows(pipeline: Any) -> int:
    """Delete rows a newer load of the same session replaced (tables where it now has no rows).

    `sessions.data_load_id` names the load whose rows are current for each session; merge already
    replaced the rows of tables that received the session again. Idempotent, so a run after a crash
    finishes the job. Returns the number of rows deleted.
    """
    schema = pipeline.default_schema
    present = set(schema.data_table_names(seen_data_only=True))
    if "sessions" not in present or not hasattr(pipeline.destination, "spec") or not can_merge(pipeline):
        return 0
    deleted = 0
    with pipeline.sql_client() as client:
        sessions = client.make_qualified_table_name("sessions")
        for table in SESSION_DATA_TABLES:
            if table not in present:
                continue
            name = client.make_qualified_table_name(table)
            rows = client.execute_sql(
                f"delete from {name} where exists (select 1 from {sessions} as s "
                f"where s.session_id = {name}.session_id and s.data_load_id is not null "
                f"and s.data_load_id <> {name}._dlt_load_id)")
            deleted += _rowcount(rows)
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
    placeholders = ", ".join(["%s"] * len(session_ids))
    with pipeline.sql_client() as client:
        for table in SESSION_DATA_TABLES:
            if table in present:
                name = client.make_qualified_table_name(table)
                deleted += _rowcount(client.execute_sql(
                    f"delete from {name} where session_id in ({placeholders})", *session_ids))
    return deleted


def _rowcount(result: Any) -> int:
    try:
        return int(result[0][0]) if result else 0
    except (TypeError, ValueError, IndexError):
        return 0
