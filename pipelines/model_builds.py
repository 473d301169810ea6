"""What the last build built (`analytics._builds`) and which sessions changed since: the bookkeeping of incremental models.

A session needs rebuilding when its row in the raw `sessions` table differs from the one the last build
saw (a re-fetch gives it a new data_load_id, a purge the status `deleted`, a check a new last_checked_at),
when it disappeared from that table, or when a raw table holds rows of it from a load newer than the
newest load the last build saw (`_dlt_load_id`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Dict, List, Optional

from sources.bankconnect.tables import TABLES

from .model_adapters import Adapter
from .model_defs import Model, quote

BUILDS = "_builds"
# session_id -> fingerprint of its raw `sessions` row as the last build saw it
BUILD_SESSIONS = "_build_sessions"
# the sessions this build rebuilds (a temporary table, gone with the connection)
CHANGED = "_bc_changed_sessions"
LOAD_ID = "_dlt_load_id"
NULL_MARK = "~null~"

_BUILDS_COLUMNS = ("build_id bigint, started_at timestamp, finished_at timestamp, is_full_refresh boolean, "
                   "session_count bigint, row_count bigint, loads_through varchar, model_hashes varchar")


@dataclass(frozen=True)
class PreviousBuild:
    """The last successful build: its id, the SQL hash of each model and the newest load it saw."""

    build_id: int
    model_hashes: Dict[str, str]
    loads_through: Optional[str]


@dataclass
class BuildRecord:
    """One row of `_builds`, filled in as the build goes."""

    started_at: dt.datetime
    model_hashes: Dict[str, str]
    loads_through: Optional[str]
    is_full_refresh: bool = True
    session_count: int = 0
    row_count: int = 0


def model_hashes(models: Dict[str, Model], raw_schema: str) -> Dict[str, str]:
    """sha256 of each model's SQL file (and the raw schema it reads): a changed file means a full rebuild."""
    return {name: hashlib.sha256(f"{raw_schema}\n{m.sql}".encode()).hexdigest() for name, m in sorted(models.items())}


def previous_build(db: Adapter, schema: str) -> Optional[PreviousBuild]:
    """The last successful build recorded in `schema`, or None (never built, or built before bookkeeping)."""
    kinds = db.object_kinds(schema)
    if kinds.get(BUILDS) != "table" or kinds.get(BUILD_SESSIONS) != "table":
        return None
    rows = db.fetch(f"select build_id, model_hashes, loads_through from {quote(schema)}.{BUILDS} "
                    f"order by build_id desc limit 1")
    if not rows:
        return None
    build_id, hashes, loads_through = rows[0]
    return PreviousBuild(int(build_id), json.loads(hashes), loads_through)


def newest_load(db: Adapter, raw_schema: str, tables: List[str]) -> Optional[str]:
    """The newest dlt load id the raw tables hold now (dlt's `_dlt_loads`, else the tables' `_dlt_load_id`)."""
    kinds = db.object_kinds(raw_schema)
    if "_dlt_loads" in kinds:
        sources = [f"select max(load_id) as load_id from {quote(raw_schema)}._dlt_loads"]
    else:
        sources = [f"select max({LOAD_ID}) as load_id from {quote(raw_schema)}.{quote(t)}"
                   for t in tables if LOAD_ID in db.columns(raw_schema, t)]
    if not sources:
        return None
    return db.fetch(f"select max(load_id) from ({' union all '.join(sources)}) as loads")[0][0]


def mark_changed_sessions(db: Adapter, raw_schema: str, schema: str, tables: List[str],
                          previous: PreviousBuild) -> int:
    """Fill the temporary table CHANGED with the sessions to rebuild; how many there are."""
    current = f"select session_id, {_fingerprint()} as fingerprint from {quote(raw_schema)}.sessions"
    seen = f"select session_id, fingerprint from {quote(schema)}.{BUILD_SESSIONS}"
    newer = "" if previous.loads_through is None else f" where {LOAD_ID} > {literal(previous.loads_through)}"
    loaded = [f"select session_id from {quote(raw_schema)}.{quote(t)}{newer}"
              for t in tables if LOAD_ID in db.columns(raw_schema, t)]
    db.execute(f"drop table if exists {CHANGED}")
    db.execute(db.translate(
        f"create temp table {CHANGED} as select distinct session_id from ("
        f"select session_id from (({current} except {seen}) union all ({seen} except {current})) as differing"
        + "".join(f" union all {q}" for q in loaded)
        + ") as changed where session_id is not null"))
    return db.fetch(f"select count(*) from {CHANGED}")[0][0]


def record_build(db: Adapter, raw_schema: str, schema: str, record: BuildRecord) -> None:
    """Remember what this build saw: the sessions' fingerprints, then its row in `_builds`."""
    target = f"{quote(schema)}.{BUILD_SESSIONS}"
    db.execute(f"create table if not exists {target} (session_id varchar, fingerprint varchar)")
    db.execute(f"create table if not exists {quote(schema)}.{BUILDS} ({_BUILDS_COLUMNS})")
    scope = "" if record.is_full_refresh else f" where session_id in (select session_id from {CHANGED})"
    db.execute(f"delete from {target}{scope}")
    db.execute(db.translate(f"insert into {target} select session_id, {_fingerprint()} "
                            f"from {quote(raw_schema)}.sessions{scope}"))
    if record.is_full_refresh:
        record.session_count = db.fetch(f"select count(*) from {target}")[0][0]
    (last,) = db.fetch(f"select max(build_id) from {quote(schema)}.{BUILDS}")[0]
    finished = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    values = [str((last or 0) + 1), _timestamp(record.started_at), _timestamp(finished),
              "true" if record.is_full_refresh else "false", str(record.session_count), str(record.row_count),
              literal(record.loads_through), literal(json.dumps(record.model_hashes, sort_keys=True))]
    db.execute(f"insert into {quote(schema)}.{BUILDS} values ({', '.join(values)})")


def literal(value: Optional[str]) -> str:
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


def _timestamp(value: dt.datetime) -> str:
    return f"cast({literal(value.isoformat(sep=' '))} as timestamp)"


def _fingerprint() -> str:
    """md5 of every contract column of a `sessions` row (a null marked apart from an empty text)."""
    parts = ", ".join(f"coalesce(cast({quote(c)} as varchar), '{NULL_MARK}')"
                      for c in TABLES["sessions"].column_names)
    return f"md5(concat_ws('|', {parts}))"
