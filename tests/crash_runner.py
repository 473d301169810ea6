"""Run `run_load` (or `build_models`) in a fresh process and kill -9 it at a chosen point (for tests/test_crash_safety.py).

    python tests/crash_runner.py --db PATH --base-url URL --ids a,b,c [--kill POINT]
    python tests/crash_runner.py --db PATH --models [--kill models-POINT]

Without --kill it is a plain load that prints its summary as JSON (with --models: `build_models`).
With --kill POINT the function named in KILL_POINTS is wrapped so that its Nth call (before or after running) writes the point
to --marker and sends SIGKILL to this process: no exception handler, `finally` or atexit runs,
exactly like a power cut or the OOM killer. Production code has no hooks for this.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _targets() -> Dict[str, Tuple[Any, str, int, bool]]:
    """point -> (the object holding the function, its name, which call, kill after the call returns)."""
    from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
    from dlt.destinations.job_client_impl import SqlJobClientBase, SqlLoadJob
    from dlt.extract.extractors import ArrowExtractor
    from dlt.normalize.items_normalizers.arrow import ArrowItemsNormalizer
    from dlt.pipeline.pipeline import Pipeline

    import pipelines.cleanup
    from pipelines import model_builds, model_runner
    from sources.bankconnect import fetching

    return {
        # fetching a session after earlier batches were already written to the package
        "fetch": (fetching, "fetch_documents", 9, False),
        # extract: an Arrow batch half way through the package, then the whole package extracted
        "extract-write": (ArrowExtractor, "write_items", 60, True),
        "after-extract": (Pipeline, "extract", 1, True),
        # normalize: one file of the package, then all of it normalized but nothing loaded
        "normalize": (ArrowItemsNormalizer, "__call__", 10, True),
        "after-normalize": (Pipeline, "normalize", 1, True),
        # load: a copy into the staging tables, before it runs and after it committed (job not marked done)
        "copy-before": (DuckDbCopyJob, "run", 8, False),
        "copy-after": (DuckDbCopyJob, "run", 8, True),
        # load: a merge (delete-insert) statement file, before and after it committed
        "merge-before": (SqlLoadJob, "run", 4, False),
        "merge-after": (SqlLoadJob, "run", 4, True),
        # load: every job done and the load recorded in _dlt_loads, the package not yet archived
        "after-complete-load": (SqlJobClientBase, "complete_load", 1, True),
        # after the load, before the stale-row cleanup
        "cleanup": (pipelines.cleanup, "remove_replaced_rows", 1, False),
        # models: a statement half way through an incremental build (a mart's rows replaced), then the
        # whole build done and recorded in _builds, not yet committed
        "models-statement": (model_runner, "model_statement", 20, True),
        "models-record": (model_builds, "record_build", 1, True),
    }


def arm(point: str, marker: str) -> None:
    """Wrap the function of `point` so that its Nth call kills this process."""
    holder, name, nth, after = _targets()[point]
    original = getattr(holder, name)
    lock = threading.Lock()
    calls = [0]

    def die() -> None:
        Path(marker).write_text(point)
        os.kill(os.getpid(), signal.SIGKILL)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with lock:
            calls[0] += 1
            mine = calls[0]
        if mine == nth and not after:
            die()
        result = original(*args, **kwargs)
        if mine == nth and after:
            die()
        return result

    setattr(holder, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--ids", default="", help="comma-separated session ids")
    parser.add_argument("--models", action="store_true", help="build the models instead of loading")
    parser.add_argument("--kill", choices=sorted(_targets()))
    parser.add_argument("--marker", default=os.devnull)
    args = parser.parse_args()
    if args.kill:
        arm(args.kill, args.marker)

    if args.models:
        from pipelines.models import build_models

        result = build_models(args.db)
        print(json.dumps({"changed_sessions": result.changed_sessions, "dq": result.dq}))
        return
    from pipelines.load import run_load

    summary = run_load([s for s in args.ids.split(",") if s], duckdb_path=args.db, base_url=args.base_url, workers=2)
    print(json.dumps({"sessions": summary.sessions, "problems": summary.problems}))


if __name__ == "__main__":
    main()
