"""The webhook inbox: notifications, the load queue and the run log in one SQLite file (no dlt, no DuckDB).

Why SQLite (README "Receiving webhooks"): DuckDB allows one writing process per file, and a load holds
the database for minutes, so the receiver cannot write there. SQLite in WAL mode lets one process
write while others read, commits are atomic and, with synchronous=FULL, on disk (fsync) before the
receiver answers 2xx. The file sits in the database's working folder (`inbox_path`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

ENRICHMENT = "ENRICHMENT_NOTIFICATION"
EVENT_NAMES = (ENRICHMENT, "SESSION_REQUIREMENT_COMPLETION_NOTIFICATION", "SESSION_EXPIRY_NOTIFICATION")
INBOX_FILE = "inbox.sqlite"

_SCHEMA = """
create table if not exists events (
    event_id integer primary key autoincrement,
    received_at text not null,
    session_id text not null,
    event_name text,
    body text not null
);
create table if not exists queue (
    session_id text primary key,
    first_event_id integer not null,
    last_event_id integer not null,
    first_notified_at text not null,
    last_notified_at text not null
);
create table if not exists runs (
    run_id integer primary key autoincrement,
    command text not null,
    started_at text not null,
    seconds real not null,
    outcome text not null,
    pid integer not null
);
"""


@dataclass(frozen=True)
class Notification:
    """One notification as received: the session it names, its event name and the raw JSON body."""

    session_id: str
    event_name: Optional[str]
    body: str
    received_at: str = field(default_factory=lambda: now_iso())


@dataclass(frozen=True)
class Claim:
    """The queued sessions a load takes: session id -> the last notification seen when it was claimed."""

    entries: Dict[str, int]

    @property
    def session_ids(self) -> List[str]:
        return list(self.entries)


def inbox_path(working_dir: Path) -> Path:
    """The inbox file inside a database's (or destination's) dlt working folder."""
    return Path(working_dir) / INBOX_FILE


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def open_inbox(path: Path, create: bool = True) -> Optional[sqlite3.Connection]:
    """A connection to the inbox (WAL, synchronous=FULL), or None when it does not exist and not `create`.

    Args:
        path: the inbox file (`inbox_path`).
        create: create the file and its tables when missing.
    """
    path = Path(path)
    if not create and not path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("pragma journal_mode=wal")
    con.execute("pragma synchronous=full")  # a commit is fsynced before it returns: 2xx means on disk
    con.execute("pragma busy_timeout=30000")
    if create:
        con.executescript(_SCHEMA)
    return con


def store(con: sqlite3.Connection, notifications: Iterable[Notification]) -> List[int]:
    """Store notifications in one transaction (one fsync for all); return their event ids in order.

    An ENRICHMENT_NOTIFICATION (re)queues its session; other event names are kept but queue nothing.
    """
    ids = []
    with _transaction(con):
        for n in notifications:
            cursor = con.execute("insert into events (received_at, session_id, event_name, body) values (?, ?, ?, ?)",
                                 (n.received_at, n.session_id, n.event_name, n.body))
            event_id = int(cursor.lastrowid)
            ids.append(event_id)
            if n.event_name == ENRICHMENT:
                con.execute(
                    "insert into queue values (?, ?, ?, ?, ?) on conflict (session_id) do update set "
                    "last_event_id = excluded.last_event_id, last_notified_at = excluded.last_notified_at",
                    (n.session_id, event_id, event_id, n.received_at, n.received_at))
    return ids


def claim(con: Optional[sqlite3.Connection]) -> Claim:
    """Every queued session with the last notification seen now (acknowledged after the load commits)."""
    if con is None:
        return Claim({})
    rows = con.execute("select session_id, last_event_id from queue order by first_event_id").fetchall()
    return Claim({sid: int(last) for sid, last in rows})


def acknowledge(con: Optional[sqlite3.Connection], taken: Claim) -> int:
    """Remove the claimed sessions from the queue unless notified again since the claim; return how many."""
    if con is None or not taken.entries:
        return 0
    with _transaction(con):
        before = con.total_changes
        con.executemany("delete from queue where session_id = ? and last_event_id = ?", list(taken.entries.items()))
        return con.total_changes - before


def events_after(con: Optional[sqlite3.Connection], event_id: int, limit: int = 50_000) -> List[Dict[str, Any]]:
    """Stored notifications with an event id above `event_id`, oldest first (at most `limit`)."""
    if con is None:
        return []
    rows = con.execute("select event_id, received_at, session_id, event_name, body from events "
                       "where event_id > ? order by event_id limit ?", (event_id, limit)).fetchall()
    keys = ("event_id", "received_at", "session_id", "event_name", "body")
    return [dict(zip(keys, row)) for row in rows]


def record_run(con: sqlite3.Connection, command: str, started_at: str, seconds: float, outcome: str,
               pid: int) -> None:
    """Record a finished run (what `status` and /healthz show as the last run)."""
    with _transaction(con):
        con.execute("insert into runs (command, started_at, seconds, outcome, pid) values (?, ?, ?, ?, ?)",
                    (command, started_at, round(seconds, 3), outcome, pid))
        con.execute("delete from runs where run_id <= (select max(run_id) from runs) - 1000")


def stats(con: Optional[sqlite3.Connection]) -> Dict[str, Any]:
    """Queue depth, the oldest notification not yet loaded, events stored, the last run and last load."""
    if con is None:
        return {"queue_depth": 0, "oldest_queued_at": None, "events": 0, "last_event_at": None,
                "last_run": None, "last_load": None}
    depth, oldest = con.execute("select count(*), min(first_notified_at) from queue").fetchone()
    events, last_event = con.execute("select count(*), max(received_at) from events").fetchone()
    return {"queue_depth": depth, "oldest_queued_at": oldest, "events": events, "last_event_at": last_event,
            "last_run": _last_run(con, None), "last_load": _last_run(con, "load")}


def stats_at(path: Path) -> Dict[str, Any]:
    """`stats` of the inbox file at `path` (opened and closed; an inbox not created yet is empty)."""
    con = open_inbox(path, create=False)
    try:
        return stats(con)
    finally:
        if con is not None:
            con.close()


def event_columns(event: Dict[str, Any]) -> Dict[str, Any]:
    """The typed columns of a stored notification: insights_available and the accounts' statuses."""
    try:
        body = json.loads(event["body"])
    except ValueError:
        body = {}
    accounts = body.get("accounts") if isinstance(body.get("accounts"), list) else []
    statuses = [{"account_id": _text(a.get("account_id")), "account_status": _text(a.get("account_status")),
                 "error_code": _text(a.get("error_code"))} for a in accounts if isinstance(a, dict)]
    available = body.get("insights_available")
    return {"insights_available": available if isinstance(available, bool) else None, "account_statuses": statuses}


def _last_run(con: sqlite3.Connection, command: Optional[str]) -> Optional[Dict[str, Any]]:
    where, params = ("where command = ?", (command,)) if command else ("", ())
    row = con.execute(f"select command, started_at, seconds, outcome, pid from runs {where} "
                      "order by run_id desc limit 1", params).fetchone()
    if row is None:
        return None
    return dict(zip(("command", "started_at", "seconds", "outcome", "pid"), row))


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("begin immediate")
        return self.con

    def __exit__(self, kind: Any, *rest: Any) -> None:
        self.con.execute("commit" if kind is None else "rollback")

