"""Benchmark payloads: generate simulator sessions once, keep them as JSON files, serve the files.

Files live under bench-out/payloads/<shape>/ as status/<id>.json and insights/<id>.json. Session
`index` of a seed is the same whatever the catalog size, so the N=1000 set contains the N=200 set
and a second run reuses the files. Serving happens in a child process (benchmarks.serve) so its
memory never counts against the measured loader.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

Range = Tuple[int, int]

API_KEY = "bench-key"
SERVER_HASH = "bench-hash"
API_PATH = "/bank-connect/v1"


@dataclass(frozen=True)
class ShapeSpec:
    """The simulator shape of a payload set (same meaning as build_catalog's ranges)."""

    accounts: Range = (2, 2)
    months: Range = (12, 12)
    txn_per_month: Range = (100, 100)
    seed: int = 1
    minimal: bool = False  # insights cut down to session and account ids and account_details

    @property
    def key(self) -> str:
        a, m, t = self.accounts, self.months, self.txn_per_month
        return f"seed{self.seed}-acc{a[0]}_{a[1]}-mon{m[0]}_{m[1]}-txn{t[0]}_{t[1]}" + ("-minimal" if self.minimal else "")


FULL = ShapeSpec()  # issue #6: 2 accounts, 12 months, ~100 transactions a month
TINY = ShapeSpec(accounts=(1, 1), months=(3, 3), txn_per_month=(5, 5), seed=2)
# Known sessions for the re-run check: real session_status documents, insights with the account list
# and account_details only (the simulator's full key sets cost ~27 ms a session to load).
MINIMAL = ShapeSpec(accounts=(1, 1), months=(3, 3), txn_per_month=(5, 5), seed=2, minimal=True)


@dataclass(frozen=True)
class PayloadSet:
    root: Path
    ids: List[str]

    def insights_files(self) -> List[Path]:
        return [self.root / "insights" / f"{sid}.json" for sid in self.ids]

    def insights_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.insights_files())

    def write_ids(self, path: Path) -> Path:
        path.write_text("".join(f"{sid}\n" for sid in self.ids))
        return path


def ensure_payloads(out: Path, n: int, shape: ShapeSpec = FULL, workers: int = 0) -> Tuple[PayloadSet, float]:
    """The first `n` sessions of `shape` as files, generating only those missing. Returns (set, seconds spent)."""
    from simulator.catalog import session_id_for

    root = out / "payloads" / shape.key
    (root / "status").mkdir(parents=True, exist_ok=True)
    (root / "insights").mkdir(parents=True, exist_ok=True)
    ids = [session_id_for(shape.seed, i) for i in range(n)]
    missing = [i for i, sid in enumerate(ids) if not (root / "insights" / f"{sid}.json").exists()]
    started = time.perf_counter()
    if missing:
        workers = workers or min(os.cpu_count() or 1, 4)
        chunks = [missing[k::workers] for k in range(workers)]
        if workers == 1 or len(missing) < 50:
            _render(str(root), shape, missing)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for _ in pool.map(_render, [str(root)] * workers, [shape] * workers, chunks):
                    pass
    return PayloadSet(root, ids), time.perf_counter() - started


def _render(root: str, shape: ShapeSpec, indexes: Sequence[int]) -> int:
    """Worker: render sessions `indexes` to files (atomic rename, so an interrupted run leaves no half file)."""
    import orjson

    from simulator.catalog import session_id_for
    from simulator.generator import Shape, build_session

    sim_shape = Shape(tuple(shape.accounts), tuple(shape.months), tuple(shape.txn_per_month))
    for index in indexes:
        sid = session_id_for(shape.seed, index)
        docs = build_session(shape.seed, index, sid, "completed", sim_shape)
        insights = _minimal(docs.insights) if shape.minimal else docs.insights
        for part, doc in (("status", docs.status), ("insights", insights)):
            target = Path(root) / part / f"{sid}.json"
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(orjson.dumps(doc))
            os.replace(tmp, target)
    return len(indexes)


def _minimal(insights: dict) -> dict:
    keep = ("session_id", "link_id", "session_date_range")
    return {**{k: insights[k] for k in keep if k in insights},
            "accounts": [{"account_id": a["account_id"], "data": {"account_details": a["data"]["account_details"]}}
                         for a in insights["accounts"]]}


@contextmanager
def serve(root: Path, timeout: float = 60.0, latency: float = 0.0, throttle_every: int = 0) -> Iterator[str]:
    """Serve the payload files under `root` from a child process; yields the loader's base URL.

    `latency` seconds before every answer, every `throttle_every`-th request a 429 (the simulator's options).
    """
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.serve", "--dir", str(root), "--latency", str(latency),
                             "--throttle-every", str(throttle_every)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the payload server did not start within {timeout:.0f} s")
        yield json.loads(line)["base_url"] + API_PATH
    finally:
        try:
            proc.stdin.close()  # the server exits when its stdin closes
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request_counts(base_url: str) -> Dict[str, int]:
    """Requests the payload server answered so far, per endpoint (session_status, insights)."""
    from urllib.request import urlopen

    with urlopen(base_url + "/_simulator/sessions", timeout=10) as response:
        return json.loads(response.read())
