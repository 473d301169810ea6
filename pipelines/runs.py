"""Runs against a target: one at a time (pipelines.runlock), recorded in the inbox, loads that drain the queue."""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Iterable, List

from . import inbox
from .runlock import RunLock, RunTarget


def locked_run(command: str, target: RunTarget, wait: float, action: Callable[[], Any]) -> Any:
    """Run `action` holding the target's lock; record the run (when, how long, outcome) in the inbox.

    The lock is taken before anything of the target is touched, so a second run that gives up leaves
    the first one's working folder, packages and spool files alone.

    Raises:
        RunLockBusy: another run holds the target after `wait` seconds (CLI exit status 4).
    """
    lock = RunLock(target).acquire(wait)
    if lock.stale:
        pid, started = lock.stale
        print(f"note: took over the lock of an earlier run that ended without releasing it (pid {pid}, "
              f"started {started})", file=sys.stderr)
    started_at, clock, outcome = inbox.now_iso(), time.perf_counter(), "failed"
    try:
        result = action()
        outcome = "ok"
        return result
    except KeyboardInterrupt:
        outcome = "interrupted"
        raise
    except Exception as exc:
        outcome = f"failed: {type(exc).__name__}"
        raise
    finally:
        _record(target, command, started_at, time.perf_counter() - clock, outcome)
        lock.release()


def run_queued_load(run_load: Callable[..., Any], session_ids: Iterable[str], *, from_queue: bool,
                    target: RunTarget, **load_options: Any) -> Any:
    """`run_load` of the given sessions plus, with `from_queue`, every session `serve` queued.

    A queued session is fetched once however often it was notified, and leaves the queue only after
    the load committed; a notification that arrives during the load queues it again.

    Args:
        run_load: pipelines.load.run_load.
        session_ids: sessions named by the user.
        from_queue: also load the queued ENRICHMENT_NOTIFICATION sessions.
        target: the run's target (where the inbox is).
        load_options: passed on to run_load.
    """
    con = inbox.open_inbox(inbox.inbox_path(target.working_dir), create=False)
    try:
        taken = inbox.claim(con) if from_queue else inbox.Claim({})
        named: List[str] = list(session_ids)
        known = set(named)
        summary = run_load(named + [s for s in taken.session_ids if s not in known], **load_options)
        inbox.acknowledge(con, taken)
        return summary
    finally:
        if con is not None:
            con.close()


def _record(target: RunTarget, command: str, started_at: str, seconds: float, outcome: str) -> None:
    con = inbox.open_inbox(inbox.inbox_path(target.working_dir))
    try:
        inbox.record_run(con, command, started_at, seconds, outcome, os.getpid())
    finally:
        con.close()

