"""`bankconnect models` as the store grows: 100 new sessions on top of N stored (incremental, and --full-refresh)
against the same 100 into an empty database. Part of `make bench` (`--models-stored`, `--models-new`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, List, Optional

from .payloads import TINY, PayloadSet, ensure_payloads, serve
from .report import Row, Target

PY = sys.executable
SHAPE = TINY  # 1 account x 3 months x 5 transactions a month, full predictor and monthly key sets


def measure_models_growth(bench: Any, stored: int, new: int) -> List[Row]:
    """Rows for the report: models over `new` sessions into an empty database and on top of `stored` ones."""
    bench.log(f"models growth: payloads for {stored + new} sessions ({SHAPE.key}) ...")
    payloads, _ = ensure_payloads(bench.out, stored + new, SHAPE)
    old_ids, new_ids = payloads.ids[:stored], payloads.ids[stored:]
    rows = []
    with serve(payloads.root) as url:
        empty = bench.fresh("models-empty") / "bank.duckdb"
        rows.append(_load(bench, f"load: {new} new sessions into an empty database", new_ids, empty, url))
        rows.append(_models(bench, f"models: {new} new sessions into an empty database", new, empty))
        store = bench.fresh("models-store") / "bank.duckdb"
        _load(bench, f"models growth: {stored} stored", old_ids, store, url, cap=max(bench.args.cap, 1500.0))
        _models(bench, "models growth: first build of the store", stored, store)
        rows.append(_load(bench, f"load: {new} new sessions on top of {stored:,} stored", new_ids, store, url))
    rows.append(_models(bench, f"models: {new} new sessions on top of {stored:,} stored (incremental)", new, store))
    _growth_target(bench, rows, stored, new)
    rows.append(_models(bench, f"models --full-refresh: the same {stored + new:,} sessions", stored + new, store,
                        ["--full-refresh"]))
    bench.report.notes.append(
        f"Models growth: simulator sessions of {SHAPE.accounts[0]} account x {SHAPE.months[0]} months x "
        f"{SHAPE.txn_per_month[0]} transactions a month with the full predictor and monthly_analysis key sets "
        f"(a lighter shape than (a), so that {stored:,} sessions load in minutes); seconds are the child's wall time, "
        f"the note gives the build's own time (without interpreter start and imports).")
    return rows


def _load(bench: Any, name: str, ids: List[str], db: Path, url: str, cap: Optional[float] = None) -> Row:
    ids_file = PayloadSet(Path(), ids).write_ids(db.parent / f"ids-{len(ids)}.txt")
    result = bench.load(name, ids_file, db, url, cap=cap)
    if not result.ok:
        raise RuntimeError(f"{name} failed: {result.describe_failure()}")
    return Row(name, len(ids), result.seconds, None, result.peak_rss, "`bankconnect load`, process wall", cpu=result.cpu)


def _growth_target(bench: Any, rows: List[Row], stored: int, new: int) -> None:
    """Load + models of the new sessions on top of the store within 1.3x of the same into an empty database."""
    load_empty, models_empty, load_store, models_store = rows[:4]
    if None in (load_empty.seconds, models_empty.seconds, load_store.seconds, models_store.seconds):
        bench.report.targets.append(Target(f"load + models of {new} new on {stored:,} stored <= 1.3x empty",
                                           "not measured", None))
        return
    empty = load_empty.seconds + models_empty.seconds
    on_store = load_store.seconds + models_store.seconds
    bench.report.targets.append(Target(
        f"load + models of {new} new on {stored:,} stored <= 1.3x empty",
        f"{on_store:.1f} s / {empty:.1f} s = {on_store / empty:.2f}x", on_store / empty <= 1.3))


def _models(bench: Any, label: str, n: int, db: Path, extra: Optional[List[str]] = None) -> Row:
    bench.log(f"{label} ...")
    result = bench.child(label, [PY, "-m", "pipelines.cli", "models", "--duckdb", str(db), *(extra or [])],
                         bench.args.cap)
    first = (result.stdout.strip().splitlines() or [""])[0]
    bench.log(f"{label}: {result.seconds:.1f} s; {first}")
    if not result.ok:
        return Row(label, n, None, note=result.describe_failure(), failed="FAILED")
    inner = re.search(r"in ([0-9.]+)s", first)
    how = first[first.index("(incremental"):].strip("()") if "(incremental" in first else "full build"
    note = (f"build {inner.group(1)} s; " if inner else "") + how
    return Row(label, n, result.seconds, None, result.peak_rss, note, cpu=result.cpu)
