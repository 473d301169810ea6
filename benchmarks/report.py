"""Markdown for the benchmark results: machine, measurements, targets, profile summary."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

GIB = 1024 ** 3
MIB = 1024 ** 2


@dataclass
class Row:
    """One measured run."""

    name: str
    n: Any
    seconds: Optional[float]
    rows: Optional[int] = None
    peak_rss: Optional[int] = None
    note: str = ""
    cpu: Optional[float] = None  # CPU seconds (user + system)
    failed: Optional[str] = None  # why there is no number (time cap, exit code)

    @property
    def rows_per_second(self) -> Optional[float]:
        return self.rows / self.seconds if self.rows and self.seconds else None


@dataclass
class Target:
    what: str
    value: str
    passed: Optional[bool]  # None: could not be measured


@dataclass
class Report:
    rows: List[Row] = field(default_factory=list)
    targets: List[Target] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    profile: List[str] = field(default_factory=list)
    total_seconds: float = 0.0

    def markdown(self) -> str:
        out = ["# bankconnect-pipeline benchmark", "", "## Machine", "", machine_table(), "", "## Results", "",
               "| run | N | wall | CPU | rows | rows/s | peak memory | notes |", "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in self.rows:
            wall = r.failed if r.failed else _secs(r.seconds)
            out.append(f"| {r.name} | {r.n} | {_cell(wall)} | {_secs(r.cpu)} | {_int(r.rows)} | {_int(r.rows_per_second)} | "
                       f"{_bytes(r.peak_rss)} | {_cell(r.note)} |")
        out += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
        for t in self.targets:
            verdict = "n/a" if t.passed is None else ("PASS" if t.passed else "MISS")
            out.append(f"| {t.what} | {_cell(t.value)} | **{verdict}** |")
        if self.profile:
            out += ["", "## Where the time goes in (a)", ""] + self.profile
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        out += ["", f"Total benchmark time: {self.total_seconds / 60:.1f} min ({self.total_seconds:.0f} s).", ""]
        return "\n".join(out)


def machine_table() -> str:
    import dlt
    import duckdb
    import pyarrow

    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) * 1024 / GIB:.1f} GiB"
                break
    except OSError:
        pass
    items = [("CPUs (nproc)", str(os.cpu_count())), ("CPU", cpu), ("RAM", ram),
             ("OS", f"{platform.system()} {platform.release()}"),
             ("Python", sys.version.split()[0]), ("code", _git_state()), ("duckdb", duckdb.__version__), ("dlt", dlt.__version__),
             ("pyarrow", pyarrow.__version__)]
    return "\n".join(["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in items])


def _git_state() -> str:
    """HEAD and whether sources/ or pipelines/ had uncommitted changes (others may edit while it runs)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sources", "pipelines", "sql"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "?"
    changed = [line[3:] for line in dirty if line.strip()]
    return f"git {head}" + (f" + uncommitted changes in {len(changed)} file(s) of sources/pipelines/sql" if changed else "")


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _secs(value: Optional[float]) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _int(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _bytes(value: Optional[int]) -> str:
    if value is None:
        return "-"
    return f"{value / GIB:.3f} GiB" if value >= GIB else f"{value / MIB:.0f} MiB"


def fmt_bytes(value: Optional[int]) -> str:
    return _bytes(value)


def profile_lines(prof: Dict[str, Any], n: int, out_file: str) -> List[str]:
    """Where (a)'s time goes: phases of an unprofiled in-process load, serial stage costs, hotspots."""
    phases, parts, stages = prof.get("phases", {}), prof.get("parts", {}), prof.get("stages", {})
    wall = phases.get("total", 0.0)
    lines = [f"Phases of an unprofiled in-process `run_load` of the same {n} sessions ({wall:.1f} s; wall clock, "
             f"summed over every `pipeline.run` the load makes):", "",
             "| phase | seconds | share |", "|---|---:|---:|"]
    for name, label in (("extract", "dlt extract: fetch (threads), JSON parse + flatten (worker processes), Arrow to Parquet"),
                        ("normalize", "dlt normalize"),
                        ("load", "dlt load: Parquet into DuckDB (append; merge only for sessions loaded before)"),
                        ("cleanup", "stale-row cleanup (`remove_replaced_rows`)")):
        lines.append(f"| {label} | {phases.get(name, 0.0):.1f} | {_share(phases.get(name, 0.0), wall)} |")
    rest = max(wall - sum(v for k, v in phases.items() if k != "total"), 0.0)
    lines.append(f"| rest of `run_load` (pipeline and state setup, summary) | {rest:.1f} | {_share(rest, wall)} |")
    if stages:
        total = sum(stages.values())
        lines += ["", f"The same {n} sessions stage by stage in one thread, no profiler (CPU cost of the extract work):",
                  "", "| stage | seconds | ms a session | share |", "|---|---:|---:|---:|"]
        for key, label in (("http", "HTTP fetch (requests, 2 documents, ~1.4 MB)"),
                           ("json_parse", "JSON parse (the client's parser, orjson)"),
                           ("flatten", "flatten to Arrow (`flatten_session`)")):
            v = stages.get(key, 0.0)
            lines.append(f"| {label} | {v:.1f} | {1000 * v / max(n, 1):.0f} | {_share(v, total)} |")
    lines += ["", "Top functions of those stages by self time (profiled in one thread, so GIL waits do not blur "
              "it; Cython calls such as pa.array count in their caller):", "",
              "| function | self s | cumulative s |", "|---|---:|---:|"]
    for where, tt, ct in prof.get("top", []):
        lines.append(f"| `{where}` | {tt:.2f} | {ct:.2f} |")
    lines += ["", f"cProfile of `run_load` in-process with every thread profiled (profiled wall {prof.get('wall', 0):.1f} s): "
              f"the main thread spent {parts.get('main.wait_for_fetch', 0.0):.1f} s of extract waiting for fetched and "
              f"read sessions (the reading worker processes are not profiled); dlt's {parts.get('load_threads.count', 0):.0f} load threads spent "
              f"{parts.get('load_threads.duckdb_sql', 0.0):.1f} thread-s in DuckDB statements and "
              f"{parts.get('load_threads.connections', 0.0):.1f} thread-s borrowing/returning the shared connection. "
              f"Main thread, top self time (waits left out):", "",
              "| function | self s | cumulative s |", "|---|---:|---:|"]
    for where, tt, ct in prof.get("top_main", []):
        lines.append(f"| `{where}` | {tt:.2f} | {ct:.2f} |")
    lines += ["", f"Full listings (top 25 per thread group, and of the one-thread stages): `{out_file}`; "
              f"`.prof` files beside it."]
    return lines


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"
