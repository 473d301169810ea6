"""One run at a time per database: an exclusive `flock` on a lock file beside the database's working folder.

The kernel releases a flock when its process ends, however it ends: a run killed with kill -9 never
blocks the next one. The file holds the holder's pid and start time, only to say who holds it (and to
report a lock file left by a run that died, which is then simply taken over).
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional, Tuple

from sources.bankconnect.errors import BankConnectError

from .runtime import DEFAULT_DATABASE, destination_state_dir, state_dir

POLL_SECONDS = 0.2


class RunLockBusy(BankConnectError):
    """Another run holds the target (CLI exit status 4); the message is the one line to print."""


@dataclass(frozen=True)
class RunTarget:
    """Where a run works: dlt's working folder, the lock file beside it, and the name users know it by."""

    working_dir: Path
    lock_path: Path
    label: str


def run_target(duckdb_path: str = DEFAULT_DATABASE, destination: Optional[str] = None) -> RunTarget:
    """The working folder, lock file and label of a DuckDB file (default) or a named dlt destination."""
    if destination not in (None, "duckdb"):
        working = destination_state_dir(destination)
        return RunTarget(working, working.with_name(working.name + ".lock"), destination)
    db = Path(duckdb_path).expanduser().resolve()
    working = state_dir(str(db))
    return RunTarget(working, working.with_name(db.name + ".lock"), db.name)


class RunLock:
    """The exclusive lock of one target, held from `acquire` until `release` (or the process ends)."""

    def __init__(self, target: RunTarget) -> None:
        self.target = target
        self.stale: Optional[Tuple[int, str]] = None  # (pid, started) left by a run that died, if any
        self._fd: Optional[int] = None

    def acquire(self, wait: float = 0.0) -> "RunLock":
        """Take the lock, waiting up to `wait` seconds.

        Raises:
            RunLockBusy: still held by another process after `wait` seconds.
        """
        self.target.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.target.lock_path, os.O_RDWR | os.O_CREAT, 0o644)  # never truncate: the holder's content
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise RunLockBusy(_busy_message(holder, self.target.label)) from None
                time.sleep(POLL_SECONDS)
        previous = _read_holder(fd)
        if previous is not None and previous[0] != os.getpid():
            self.stale = previous  # we hold the flock, so that run is gone: its content is stale
        started = datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Clear the holder line and release the lock."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(target: RunTarget) -> Optional[Tuple[int, str]]:
    """(pid, started) of the run holding the target now, or None when it is free.

    Reads the holder line only (taking even a shared flock could make a starting run give up).
    """
    try:
        text = target.lock_path.read_text().strip()
    except OSError:
        return None
    pid, _, started = text.partition(" ")
    if not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return None  # a killed run's line: the lock itself is free
    except PermissionError:
        pass
    return int(pid), started


def _read_holder(fd: int) -> Optional[Tuple[int, str]]:
    for _ in range(3):  # the holder truncates, then writes: a read in between sees nothing
        text = os.pread(fd, 200, 0).decode(errors="replace").strip()
        if text:
            pid, _, started = text.partition(" ")
            return (int(pid), started) if pid.isdigit() else None
        time.sleep(0.05)
    return None


def _busy_message(holder_: Optional[Tuple[int, str]], label: str) -> str:
    pid, started = holder_ if holder_ else (0, "")
    try:
        clock = datetime.fromisoformat(started).strftime("%H:%M:%S")
    except ValueError:
        clock = "?"
    who = f"pid {pid}" if pid else "pid ?"
    return f"another bankconnect run ({who}, started {clock}) holds {label}; try again later or pass --wait"
