"""`bankconnect status`: sessions by status, the webhook queue, pending sessions, the last run."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from . import inbox
from .runlock import RunTarget, holder

_PENDING = ("pending", "not_requested")


def collect_status(duckdb_path: str, target: RunTarget, destination: Optional[str] = None) -> Dict[str, Any]:
    """What an operator asks: sessions by status, pending sessions and their age, queue, last run.

    The database is opened read-only and closed at once; when a writer holds it, `database` says so
    and the inbox is still reported.
    """
    queue = inbox.stats_at(inbox.inbox_path(target.working_dir))
    running = holder(target)
    if destination not in (None, "duckdb"):
        where: Dict[str, Any] = {"database": destination, "database_state": "a dlt destination (sessions: query "
                                 "bankconnect.sessions there)", "sessions": {}, "pending": []}
    else:
        where = {"database": str(Path(duckdb_path).expanduser()), **_sessions(duckdb_path)}
    return {**where,
            "running": {"pid": running[0], "started_at": running[1]} if running else None, **queue}


def format_status(status: Dict[str, Any]) -> str:
    """The status as a few human lines."""
    lines = [f"Database {status['database']}: {status['database_state']}"]
    if status["sessions"]:
        lines.append("  sessions: " + ", ".join(f"{k} {v}" for k, v in sorted(status["sessions"].items())))
    for p in status["pending"][:20]:
        lines.append(f"  pending {p['session_id']} ({p['status']}) for {_age(p['first_seen_at'])}")
    lines.append(f"  webhook queue: {status['queue_depth']} session(s) waiting"
                 + (f", oldest notified {status['oldest_queued_at']} ({_age(status['oldest_queued_at'])} ago)"
                    if status["oldest_queued_at"] else ""))
    lines.append(f"  notifications stored: {status['events']}")
    run = status["last_run"]
    lines.append(f"  last run: {run['command']} at {run['started_at']}, {run['seconds']:.1f} s, {run['outcome']}"
                 if run else "  last run: none recorded")
    if status["running"]:
        lines.append(f"  running now: pid {status['running']['pid']} since {status['running']['started_at']}")
    return "\n".join(lines)


def _sessions(duckdb_path: str) -> Dict[str, Any]:
    import duckdb

    from .duckdb_file import connect

    empty: Dict[str, Any] = {"sessions": {}, "pending": []}
    if not Path(duckdb_path).expanduser().exists():
        return {"database_state": "no database yet", **empty}
    try:
        con = connect(duckdb_path, read_only=True)
    except duckdb.IOException:
        return {"database_state": "busy (a run is writing; sessions not shown)", **empty}
    try:
        counts = dict(con.execute("select status, count(*) from bankconnect.sessions group by 1").fetchall())
        rows = con.execute("select session_id, status, first_seen_at from bankconnect.sessions "
                           "where status in (?, ?) order by first_seen_at", list(_PENDING)).fetchall()
    except duckdb.CatalogException:
        return {"database_state": "no sessions loaded yet", **empty}
    finally:
        con.close()
    pending: List[Dict[str, Any]] = [{"session_id": s, "status": st, "first_seen_at": _iso(at)} for s, st, at in rows]
    return {"database_state": "ok", "sessions": counts, "pending": pending}


def _iso(value: Any) -> Optional[str]:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _age(iso: Optional[str]) -> str:
    if not iso:
        return "?"
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds = int((datetime.now(timezone.utc) - moment).total_seconds())
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"
