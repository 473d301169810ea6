"""cProfile of `run_load` in-process, every thread profiled (the fetch pool does the HTTP, JSON and
flatten work; dlt's load jobs run on their own threads).

`python -m benchmarks.profile --ids-file IDS --base-url URL --db PATH --out DIR`, in one process:
1. an unprofiled load into a fresh `timed.duckdb` beside PATH, timing dlt's extract / normalize / load
   and the stale-row cleanup (wrappers, no profiler);
2. the stages one after the other in one thread (HTTP, JSON parse, flatten), unprofiled, then profiled;
3. a profiled load into PATH with every thread profiled.
Writes DIR/profile-a.txt and DIR/profile-a-{main,fetch,other,stages}.prof; prints a JSON summary.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

TOP = 25


def profile_load(ids: List[str], base_url: str, db: str) -> Tuple[cProfile.Profile, Dict[str, List[cProfile.Profile]], float, dict]:
    from pipelines.load import run_load

    threads: Dict[str, List[cProfile.Profile]] = {"fetch": [], "other": []}
    lock = threading.Lock()
    original_run = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        profiler = cProfile.Profile()
        with lock:
            threads["fetch" if self.name.startswith("bankconnect") else "other"].append(profiler)
        profiler.enable()
        try:
            original_run(self)
        finally:
            profiler.disable()

    threading.Thread.run = profiled_run
    main = cProfile.Profile()
    started = time.perf_counter()
    try:
        main.enable()
        summary = run_load(ids, duckdb_path=db, base_url=base_url)
        main.disable()
    finally:
        threading.Thread.run = original_run
    return main, threads, time.perf_counter() - started, summary.as_dict()


def merged(profiles: List[cProfile.Profile]) -> Optional[pstats.Stats]:
    profiles = [p for p in profiles if p.getstats()]
    if not profiles:
        return None
    stats = pstats.Stats(profiles[0])
    for p in profiles[1:]:
        stats.add(p)
    return stats


def cumulative(stats: Optional[pstats.Stats], file_part: str, name: str) -> float:
    """Inclusive seconds of functions called `name` in files containing `file_part` ('~' for builtins)."""
    if stats is None:
        return 0.0
    return sum(ct for (file, _, func), (_, _, _, ct, _) in stats.stats.items()
               if func == name and file_part in file)


def stage_seconds(ids: List[str], base_url: str, profiler: Optional[cProfile.Profile] = None) -> Dict[str, float]:
    """Serial cost of each stage for these sessions in one thread: HTTP GET of both documents, JSON
    parse (the client's parser), flatten to Arrow (`flatten_session`). With `profiler`, profiled
    (one thread: no GIL waits blur where the CPU goes)."""
    import os

    import requests

    from sources.bankconnect.documents import parse_json
    from sources.bankconnect.flatten import flatten_session

    parse = parse_json
    headers = {"x-api-key": os.environ["SOURCES__BANKCONNECT__API_KEY"],
               "server-hash": os.environ["SOURCES__BANKCONNECT__SERVER_HASH"]}
    totals = {"http": 0.0, "json_parse": 0.0, "flatten": 0.0}
    clock = time.perf_counter
    if profiler is not None:
        profiler.enable()
    with requests.Session() as http:
        for sid in ids:
            t0 = clock()
            bodies = [http.get(f"{base_url}/session_data/{sid}/{doc}/", headers=headers, timeout=60).content
                      for doc in ("session_status", "insights")]
            t1 = clock()
            status, insights = (parse(body)[0] for body in bodies)
            t2 = clock()
            flatten_session(sid, status, insights)
            t3 = clock()
            totals["http"] += t1 - t0
            totals["json_parse"] += t2 - t1
            totals["flatten"] += t3 - t2
    if profiler is not None:
        profiler.disable()
    return totals


def timed_load(ids: List[str], base_url: str, db: str) -> Dict[str, float]:
    """An unprofiled `run_load`, wall seconds per phase: dlt's extract / normalize / load (summed over
    every pipeline.run a load makes) and the stale-row cleanup; the rest is setup and state."""
    import dlt

    import pipelines.load as load_module

    spent: Dict[str, float] = {"extract": 0.0, "normalize": 0.0, "load": 0.0, "cleanup": 0.0}
    originals = {name: getattr(dlt.Pipeline, name) for name in ("extract", "normalize", "load")}
    original_cleanup = load_module.finish_cleanup

    def timed(name, func):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return wrapper

    for name, func in originals.items():
        setattr(dlt.Pipeline, name, timed(name, func))
    load_module.finish_cleanup = timed("cleanup", original_cleanup)
    started = time.perf_counter()
    try:
        load_module.run_load(ids, duckdb_path=db, base_url=base_url)
    finally:
        for name, func in originals.items():
            setattr(dlt.Pipeline, name, func)
        load_module.finish_cleanup = original_cleanup
    spent["total"] = time.perf_counter() - started
    return spent


def report(main: cProfile.Profile, threads: Dict[str, List[cProfile.Profile]], out: Path) -> Dict[str, float]:
    main_stats = merged([main])
    fetch_stats = merged(threads["fetch"])
    other_stats = merged(threads["other"])
    text = io.StringIO()
    for title, stats in (("main thread", main_stats), (f"fetch threads ({len(threads['fetch'])}, merged)", fetch_stats),
                         (f"other threads ({len(threads['other'])}, merged: dlt load jobs...)", other_stats)):
        if stats is None:
            continue
        for order in ("cumulative", "tottime"):
            text.write(f"===== {title}: top {TOP} by {order} =====\n")
            stats.stream = text
            stats.sort_stats(order).print_stats(TOP)
    (out / "profile-a.txt").write_text(text.getvalue())
    for name, stats in (("main", main_stats), ("fetch", fetch_stats), ("other", other_stats)):
        if stats is not None:
            stats.dump_stats(str(out / f"profile-a-{name}.prof"))

    get = cumulative(fetch_stats, "bankconnect/client.py", "_get")
    parse = (cumulative(fetch_stats, "bankconnect/client.py", "parse_json")
             or cumulative(fetch_stats, "~", "<orjson.loads>") + cumulative(fetch_stats, "~", "<built-in method orjson.loads>"))
    flatten = cumulative(fetch_stats, "bankconnect/flatten", "flatten_session")
    idle = cumulative(fetch_stats, "~", "<method 'get' of '_queue.SimpleQueue' objects>")
    busy = cumulative(fetch_stats, "concurrent/futures/thread.py", "_worker") - idle
    # the main thread waits for read sessions in the feed's queue (or, fetching itself, on futures)
    waiting = (cumulative(main_stats, "concurrent/futures/_base.py", "wait")
               + cumulative(main_stats, "/queue.py", "get"))
    return {
        "fetch_threads.http": get - parse,
        "fetch_threads.json_parse": parse,
        "fetch_threads.flatten": flatten,
        "fetch_threads.other": max(busy - get - flatten, 0.0),
        "main.wait_for_fetch": waiting,
        "main.batch_concat": cumulative(main_stats, "bankconnect/batcher.py", "flush"),
        "main.session_row": cumulative(main_stats, "bankconnect/bookkeeping.py", "session_row"),
        "main.cleanup": cumulative(main_stats, "pipelines/cleanup.py", "remove_replaced_rows"),
        "main.run_load": cumulative(main_stats, "pipelines/load.py", "run_load"),
        "load_threads.duckdb_sql": cumulative(other_stats, "impl/duckdb/sql_client.py", "execute_query"),
        "load_threads.connections": (cumulative(other_stats, "impl/duckdb/configuration.py", "borrow_conn")
                                     + cumulative(other_stats, "impl/duckdb/configuration.py", "return_conn")),
        "load_threads.count": float(len(threads["other"])),
    }


def top_functions(files: List[Path], n: int = 10) -> List[Tuple[str, float, float]]:
    """(function, tottime, cumtime) of the top self-time functions in these profiles."""
    files = [f for f in files if f.exists()]
    if not files:
        return []
    stats = pstats.Stats(*map(str, files))
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)
    ignore = ("acquire", "wait", "poll", "select", "sleep", "SimpleQueue")
    result = []
    for (file, line, func), (_, _, tt, ct, _) in rows:
        if any(word in func for word in ignore):  # threads blocked, not working
            continue
        where = func if file == "~" else f"{_short(file)}:{line}({func})"
        result.append((where, tt, ct))
        if len(result) == n:
            break
    return result


def _short(file: str) -> str:
    """The path from the package root: site-packages, the repository, or the standard library."""
    root = str(Path(__file__).resolve().parents[1]) + "/"
    for marker in ("site-packages/", root):
        if marker in file:
            return file.split(marker, 1)[1]
    match = re.search(r"lib/python3\.\d+/", file)
    return file[match.end():] if match else file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ids-file", required=True, type=Path)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    ids = [line.strip() for line in args.ids_file.read_text().splitlines() if line.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    phases = timed_load(ids, args.base_url, str(Path(args.db).with_name("timed.duckdb")))
    stages = stage_seconds(ids, args.base_url)
    serial = cProfile.Profile()
    stage_seconds(ids, args.base_url, serial)
    serial_stats = pstats.Stats(serial)
    serial_stats.dump_stats(str(args.out / "profile-a-stages.prof"))
    text = io.StringIO()
    serial_stats.stream = text
    text.write(f"===== fetch + parse + flatten of {len(ids)} sessions, one thread: top {TOP} by tottime =====\n")
    serial_stats.sort_stats("tottime").print_stats(TOP)
    text.write(f"===== same: top {TOP} by cumulative =====\n")
    serial_stats.sort_stats("cumulative").print_stats(TOP)
    main_prof, threads, wall, summary = profile_load(ids, args.base_url, args.db)
    parts = report(main_prof, threads, args.out)
    with open(args.out / "profile-a.txt", "a") as f:
        f.write(text.getvalue())
    print(json.dumps({"wall": round(wall, 3), "parts": parts, "phases": phases, "stages": stages,
                      "top": top_functions([args.out / "profile-a-stages.prof"]),
                      "top_main": top_functions([args.out / "profile-a-main.prof"], 6),
                      "sessions": summary["sessions"], "rows": sum(summary["rows"].values())}))


if __name__ == "__main__":
    main()
