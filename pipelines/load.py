"""`bankconnect load`: run the source into DuckDB (or another dlt destination) and summarise."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional

from sources.bankconnect.errors import AuthError, BankConnectError, ConfigError
from sources.bankconnect.client import validate_session_id
from sources.bankconnect.sessions import SessionOutcome
from sources.bankconnect.settings import COMPLETED, DELETED
from sources.bankconnect.tables import SESSION_DATA_TABLES

from .webhook_events import load_webhook_events
from .runtime import append_only, can_merge, loader_file_format, make_pipeline, missing_destination_config

SESSIONS_PER_LOAD = 250
_ERROR_ORDER = ("failed", "not_found", "deleted", "not_requested", "pending")


class LoadError(BankConnectError):
    """Loading into the destination failed (the data of this run is not in the tables)."""


@dataclass
class LoadSummary:
    """What a load did: sessions by status, rows written per table, time taken."""

    database: str
    seconds: float = 0.0
    sessions: Dict[str, int] = field(default_factory=dict)
    rows: Dict[str, int] = field(default_factory=dict)
    problems: List[Dict[str, Optional[str]]] = field(default_factory=list)
    load_ids: List[str] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {"database": self.database, "seconds": round(self.seconds, 3), "sessions": self.sessions,
                "rows": self.rows, "problems": self.problems, "load_ids": self.load_ids}


def run_load(
    session_ids: Iterable[str] = (),
    *,
    duckdb_path: str = "bankconnect.duckdb",
    base_url: Optional[str] = None,
    workers: Optional[int] = None,
    processes: Optional[int] = None,
    destination: Optional[str] = None,
    on_session: Optional[Callable[[SessionOutcome], None]] = None,
    pii: Optional[str] = None,
    keep_raw: Optional[bool] = None,
    purge_deleted: bool = False,
    sessions_per_load: int = SESSIONS_PER_LOAD,
) -> LoadSummary:
    """Load the given sessions plus every session an earlier run left not ready.

    Args:
        session_ids: sessions to fetch now (a completed one is fetched again).
        duckdb_path: the DuckDB file (default destination).
        base_url: overrides SOURCES__BANKCONNECT__BASE_URL.
        workers: concurrent fetches (default settings.DEFAULT_WORKERS).
        processes: worker processes reading (parsing, flattening) the fetched sessions; 0: this
            process (default: the CPUs, at most 4, for 100 sessions or more).
        destination: a dlt destination name instead of DuckDB (e.g. postgres, filesystem).
        on_session: called with each session's outcome as it finishes.
        pii: personal data: keep (default), mask, hash or drop (see sources.bankconnect.pii).
        keep_raw: keep fetched documents in raw_payloads (default: only with pii keep).
        purge_deleted: delete every row of sessions the API now reports as SESSION_DELETED.
        sessions_per_load: sessions per dlt load package (memory and durability per step).

    Raises:
        ConfigError: bad ids, base URL or missing credentials. AuthError: credentials refused.
        LoadError: the destination did not take the data.
    """
    from dlt.pipeline.exceptions import PipelineStepFailed

    from sources.bankconnect import bankconnect_source
    from sources.bankconnect.workers import default_processes, start_processes, stop_processes

    started = time.perf_counter()
    ids = [validate_session_id(s.strip()) for s in session_ids]
    pipeline, where = make_pipeline(duckdb_path, destination)
    outcomes: List[SessionOutcome] = []

    def collect(outcome: SessionOutcome) -> None:
        outcomes.append(outcome)
        if on_session is not None:
            on_session(outcome)

    if pipeline.has_pending_data:
        # A killed run left packages behind. dlt finishes them below, but may repeat copy jobs that
        # had already committed; fetching their sessions again in this run replaces those rows.
        ids += [s for s in sessions_in_pending_packages(pipeline) if s not in ids]
    kwargs: Dict[str, Any] = {"on_session": collect}
    if base_url:
        kwargs["base_url"] = base_url
    if workers:
        kwargs["workers"] = workers
    if processes is not None:
        kwargs["processes"] = processes
    if pii:
        kwargs["pii"] = pii
    if keep_raw is not None:
        kwargs["keep_raw"] = keep_raw
    # One load package per chunk of sessions: the destination's work (and memory) per load stays
    # bounded, and each finished chunk is durable even if a later one fails.
    chunks = [ids[i:i + sessions_per_load] for i in range(0, len(ids), sessions_per_load)] or [[]]
    rows: Counter = Counter()
    load_ids: List[str] = []
    # worker processes for the whole run, started while this process is small (sources.bankconnect.workers)
    start_processes(default_processes(len(ids)) if processes is None else processes)
    try:
        if pipeline.has_pending_data:
            # A killed run left packages behind: finish them first (dlt would otherwise load only
            # those and skip this run's sessions), then clean what they replaced.
            pipeline.run()
            remove_replaced_rows(pipeline)
        for number, chunk in enumerate(chunks):
            # sessions left pending by earlier runs ride along with the first chunk
            source = _make_source(bankconnect_source, kwargs, chunk, retry_pending=number == 0)
            if not can_merge(pipeline):  # plain files: every load appends (docs/warehouses.md)
                append_only(source)
            else:
                append_where_nothing_is_replaced(pipeline, source, chunk, with_pending=number == 0)
            info = pipeline.run(source, loader_file_format=loader_file_format(pipeline))
            load_ids += info.loads_ids
            rows.update(row_counts(pipeline))
            remove_replaced_rows(pipeline)
        rows.update(load_webhook_events(pipeline, load_ids, pii=pii))  # notifications from `serve` (issue 11)
    except PipelineStepFailed as exc:
        cause = _our_error(exc, destination)
        if cause is not None:
            raise cause from None
        raise LoadError(f"load failed at step {exc.step}: {_one_line(exc.exception)}") from None
    finally:
        stop_processes()
    if purge_deleted:
        purge_sessions(pipeline, [o.session_id for o in outcomes if o.status == DELETED])

    return summarise(where, outcomes, rows, load_ids, started)


def summarise(where: str, outcomes: List[SessionOutcome], rows: Dict[str, int], load_ids: List[str],
              started: float) -> LoadSummary:
    """A LoadSummary: sessions by status, problems worst first, rows per table, time since `started`."""
    problems = sorted((o for o in outcomes if o.status != COMPLETED),
                      key=lambda o: (_ERROR_ORDER.index(o.status) if o.status in _ERROR_ORDER else 9, o.session_id))
    return LoadSummary(
        database=where, load_ids=load_ids, rows=dict(sorted(rows.items())),
        sessions=dict(Counter(o.status for o in outcomes)),
        problems=[{"session_id": o.session_id, "status": o.status, "error_code": o.error_code,
                   "error_message": o.error_message} for o in problems],
        seconds=time.perf_counter() - started,
    )


def row_counts(pipeline: Any) -> Dict[str, int]:
    """Rows the last `pipeline.run` wrote per table (dlt's own tables left out)."""
    normalize = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    if normalize is None:
        return {}
    return {t: n for t, n in normalize.row_counts.items() if not t.startswith("_dlt")}


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


def _make_source(factory: Callable[..., Any], kwargs: Dict[str, Any], session_ids: List[str],
                 retry_pending: bool) -> Any:
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    try:
        return factory(session_ids=session_ids, retry_pending=retry_pending, **kwargs)
    except ConfigFieldMissingException as exc:
        missing = ", ".join(f"SOURCES__BANKCONNECT__{f.upper()}" for f in exc.fields)
        raise ConfigError(f"missing configuration: set {missing} (environment or .dlt/secrets.toml)") from None


def sessions_in_pending_packages(pipeline: Any) -> List[str]:
    """Sessions that have rows (their `sessions` row at least) in a load package not yet finished."""
    pending = set(pipeline.list_extracted_load_packages()) | set(pipeline.list_normalized_load_packages())
    return [sid for sid, entry in known_sessions(pipeline).items()
            if entry.get("load_id") in pending or entry.get("data_load_id") in pending]


def append_where_nothing_is_replaced(pipeline: Any, source: Any, session_ids: List[str], with_pending: bool) -> None:
    """Tables where no session of this load has rows yet append instead of merging.

    Merge costs the destination a staging copy and a delete per table; a scheduled load of new
    sessions needs neither. Whether a session has rows comes from the pipeline state (loaded in
    the same package as the data): every session seen has a `sessions` row, and data rows when
    its entry names a `data_load_id`. with_pending: the sessions an earlier run left to retry ride
    along (see `bankconnect_source`).
    """
    from sources.bankconnect import STATE_KEY, pending_sessions

    known = known_sessions(pipeline)
    ids = set(session_ids)
    if with_pending:
        ids.update(pending_sessions({STATE_KEY: known}))
    seen = [known[sid] for sid in ids if sid in known]
    if any(entry.get("data_load_id") for entry in seen):
        return
    for name, resource in source.resources.items():
        if name != "sessions" or not seen:
            resource.apply_hints(write_disposition="append")


def known_sessions(pipeline: Any) -> Dict[str, Dict[str, Any]]:
    """The source state's entry of every session the pipeline has seen."""
    from sources.bankconnect import STATE_KEY

    return pipeline.state.get("sources", {}).get("bankconnect", {}).get(STATE_KEY, {})


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


def _our_error(exc: BaseException, destination: Optional[str] = None) -> Optional[BankConnectError]:
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (AuthError, ConfigError)):
            return current
        if isinstance(current, ConfigFieldMissingException):
            return missing_destination_config(current, destination)
        current = current.__cause__ or current.__context__ or getattr(current, "exception", None)
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def _rowcount(result: Any) -> int:
    try:
        return int(result[0][0]) if result else 0
    except (TypeError, ValueError, IndexError):
        return 0
