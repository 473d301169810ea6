"""Run a command in a child process with a time cap; report wall time and the peak memory it used.

Peak memory is the larger of wait4()'s ru_maxrss for the child itself and the peak, sampled every
100 ms, of the proportional set size (PSS) summed over its whole process group: `bankconnect load`
reads sessions on worker processes, and their memory counts too (PSS shares pages the processes
have in common instead of counting them once per process).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence


@dataclass
class ChildResult:
    cmd: List[str]
    seconds: float
    peak_rss: int  # bytes: max(the child's own peak RSS, its process group's peak PSS)
    returncode: Optional[int]
    timed_out: bool
    stdout: str
    stderr: str
    mem_capped: bool = False
    cpu: float = 0.0  # user + system seconds of the child (and of children it waited for)
    log: Optional[Path] = None  # where stdout and stderr were kept

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def json(self) -> Any:
        """The last JSON document the child printed (commands here print one at the end)."""
        text = self.stdout.strip()
        start = text.find("{")
        return json.loads(text[start:]) if start >= 0 else None

    def describe_failure(self) -> str:
        if self.mem_capped:
            return f"killed at {self.seconds:.0f} s (memory cap)"
        if self.timed_out:
            return f"killed after {self.seconds:.0f} s (time cap)"
        lines = [line.strip() for line in (self.stderr or self.stdout).splitlines() if line.strip()]
        said = next((line for line in reversed(lines) if line.startswith("error:")), lines[-1] if lines else "")
        said = said if len(said) <= 240 else said[:237] + "..."
        where = f" (full output: {self.log})" if self.log else ""
        return f"exit {self.returncode}: {said}{where}"


def run_child(cmd: Sequence[str], timeout: float, env: Optional[Dict[str, str]] = None,
              cwd: Optional[str] = None, mem_cap: Optional[int] = None, log: Optional[Path] = None,
              sample_memory: bool = True) -> ChildResult:
    """Run `cmd` to completion or until `timeout` seconds (then the whole process group is killed).

    With `mem_cap` (bytes) the child is also killed when its resident set grows beyond it (a guard
    for a shared machine); `mem_capped` on the result says so. Without `sample_memory` the peak is
    only the largest process's (its rusage): reading every process's smaps 10 times a second costs
    CPU the child no longer has (measured: about 15% of one CPU while the reader processes run).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd, start_new_session=True)
        deadline = started + timeout
        timed_out = mem_capped = False
        status, usage = 0, None
        peak_group = group = 0
        next_sample = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if sample_memory and time.perf_counter() >= next_sample:  # reading smaps costs CPU: 10 a second
                group = group_pss(proc.pid)
                peak_group = max(peak_group, group)
                next_sample = time.perf_counter() + 0.1
            mem_capped = mem_cap is not None and max(current_rss(proc.pid), group) > mem_cap
            if time.perf_counter() > deadline or mem_capped:
                timed_out = True
                _kill_group(proc.pid)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it was reaped
        out.seek(0)
        err.seek(0)
        result = ChildResult(list(cmd), seconds, max(usage.ru_maxrss * 1024, peak_group),
                             None if timed_out else proc.returncode,
                             timed_out, out.read(), err.read(), mem_capped,
                             usage.ru_utime + usage.ru_stime)
    if log is not None:  # what the child printed, for a failure's full story
        result.log = log
        log.write_text(f"$ {' '.join(result.cmd)}\n# {result.seconds:.2f} s, exit {result.returncode}, "
                       f"timed out {result.timed_out}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def current_rss(pid: int) -> int:
    """Resident set of a running process in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def group_pss(pgid: int) -> int:
    """Proportional set size in bytes summed over the running processes of process group `pgid`."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # after the command name: state, ppid, pgrp
                continue
            with open(f"/proc/{entry.name}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def median_run(runs: List[tuple]) -> tuple:
    """The (result, ...) whose wall time is the median of the successful runs (else the first run)."""
    ok = sorted((r for r in runs if r[0].ok), key=lambda r: r[0].seconds)
    return ok[(len(ok) - 1) // 2] if ok else runs[0]
