"""`make bench` / `python -m benchmarks.run`: the performance benchmark of issue #6.

Measures, each in a fresh child process (wall time, peak memory: the child's RSS or, when larger, the
PSS summed over its process group, worker processes included):
  (a) `bankconnect load` end to end at N and N-large sessions (fresh database each);
  (b) DuckDB alone reading the same insights files into transactions and eod_balances (the floor);
  (c) a naive dlt pipeline (raw documents, default normalizer, insert_values);
PostgreSQL against DuckDB for the same --postgres-n sessions (benchmarks.postgres; skipped without a DSN),
plus a re-run with nothing new over `--known` completed sessions, `bankconnect models` on the
N-large database, models for 100 new sessions on top of `--models-stored` (incremental and full) against
100 into an empty database (benchmarks/models_growth.py), and a cProfile of (a). Results go to stdout and bench-out/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from .measure import ChildResult, median_run, run_child
from .postgres import measure_postgres
from .payloads import API_KEY, FULL, MINIMAL, SERVER_HASH, TINY, PayloadSet, ensure_payloads, request_counts, serve
from .report import GIB, Report, Row, Target, fmt_bytes, profile_lines

PY = sys.executable
# Empty in clean simulator payloads: nothing unknown, nothing coerced.
MAY_BE_EMPTY = {"unknown_fields", "data_issues"}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200, help="sessions for (a), (b), (c) and the profile (default 200)")
    p.add_argument("--n-large", type=int, default=1000, help="sessions for the memory-growth run and models (default 1000)")
    p.add_argument("--known", type=int, default=100000, help="completed sessions the re-run knows (default 100000)")
    p.add_argument("--known-mode", choices=("minimal", "tiny"), default="minimal",
                   help="minimal (default): the N-large database plus small completed sessions up to --known; "
                        "tiny: --known simulator sessions of 1 account x 3 months x 5 txn into a fresh database (slow)")
    p.add_argument("--naive-n", type=int, help="sessions for the naive pipeline (default --n); fewer = extrapolated linearly")
    p.add_argument("--naive-cap", type=float, default=300.0, help="time cap of the naive pipeline, seconds (default 300)")
    p.add_argument("--naive-mem-cap", type=float, default=0.75,
                   help="kill the naive pipeline above this share of RAM (default 0.75)")
    p.add_argument("--cap", type=float, default=600.0, help="time cap of every other child process, seconds")
    p.add_argument("--repeat", type=int, default=3, help="runs of (a) and (b) at N; the median is reported (default 3)")
    p.add_argument("--postgres-n", type=int, default=100,
                   help="sessions for PostgreSQL vs DuckDB (default 100; 0 skips)")
    p.add_argument("--postgres-dsn", help="a PostgreSQL role that may CREATE DATABASE (default: "
                                          "BANKCONNECT_BENCH_POSTGRES_DSN or BANKCONNECT_TEST_POSTGRES_DSN; none skips)")
    p.add_argument("--models-stored", type=int, default=5000, help="stored sessions for the models growth (default 5000)")
    p.add_argument("--models-new", type=int, default=100, help="new sessions for the models growth (default 100)")
    p.add_argument("--latency", type=float, default=0.3,
                   help="seconds before every API answer for the latency run of (a) (default 0.3; 0 skips)")
    p.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    p.add_argument("--quick", action="store_true", help="smoke run: n=20, n-large=60, known=300, naive-n=10")
    p.add_argument("--out", type=Path, default=Path("bench-out"), help="output folder (gitignored)")
    args = p.parse_args(argv)
    args.repeat = max(args.repeat, 1)
    if args.quick:
        args.n, args.n_large, args.known, args.repeat = 20, 60, 300, 1
        args.postgres_n = min(args.postgres_n, 20)
        args.models_stored, args.models_new = 300, 20
        args.naive_n = args.naive_n or 10
    args.naive_n = min(args.naive_n or args.n, args.n)
    return args


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out: Path = args.out.resolve()
        self.work = self.out / "work"
        self.report = Report()
        self.env = dict(os.environ, SOURCES__BANKCONNECT__API_KEY=API_KEY, SOURCES__BANKCONNECT__SERVER_HASH=SERVER_HASH,
                        RUNTIME__DLTHUB_TELEMETRY="false", PYTHONUNBUFFERED="1")
        self.results: Dict[str, Any] = {}

    def log(self, text: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def fresh(self, name: str) -> Path:
        folder = self.work / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def child(self, name: str, cmd: List[str], cap: float, mem_cap: Optional[int] = None,
              env: Optional[Dict[str, str]] = None, sample_memory: bool = True) -> ChildResult:
        """A measured child process (environment `env`, default the bench's); its output is kept in bench-out/logs/<name>.log."""
        logs = self.out / "logs"
        logs.mkdir(exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")
        return run_child(cmd, cap, env or self.env, mem_cap=mem_cap, log=logs / f"{safe}.log",
                         sample_memory=sample_memory)

    # --- measured runs -------------------------------------------------------------------------

    def load(self, name: str, ids_file: Path, db: Path, base_url: str, cap: Optional[float] = None,
             sample_memory: bool = True) -> ChildResult:
        cmd = [PY, "-m", "pipelines.cli", "load", "--duckdb", str(db), "--base-url", base_url, "--json"]
        if ids_file is not None:
            cmd[4:4] = ["--sessions-file", str(ids_file)]
        self.log(f"{name}: bankconnect load ...")
        result = self.child(name, cmd, cap or self.args.cap, sample_memory=sample_memory)
        self.log(f"{name}: {result.seconds:.1f} s, peak RSS {fmt_bytes(result.peak_rss)}"
                 + ("" if result.ok else f" FAILED {result.describe_failure()}"))
        return result

    def loader_row(self, key: str, label: str, n: int, result: ChildResult, db: Path) -> Row:
        if not result.ok:
            return Row(label, n, None, peak_rss=result.peak_rss, note=result.describe_failure(), failed="FAILED")
        summary = result.json()
        rows = sum(summary["rows"].values())
        tables = table_counts(db)
        empty = sorted(t for t, c in tables.items() if not c)
        note = (f"sessions {summary['sessions']}; {len(tables) - len(empty)}/{len(tables)} tables with rows"
                + (f" (empty: {', '.join(empty)})" if empty else ""))
        self.results[key] = {"seconds": result.seconds, "peak_rss": result.peak_rss, "summary": summary,
                               "tables": tables}
        return Row(label, n, result.seconds, rows, result.peak_rss, note, cpu=result.cpu)

    def timed_loads(self, key: str, name: str, label: str, n: int, ids_file: Path, url: str,
                    runs: int, between: Optional[Callable[[], None]] = None) -> Tuple[Row, ChildResult, Path]:
        """`runs` loads timed without the memory sampler (it costs the child CPU: see measure.run_child)
        and one more, sampled, for the peak memory: the row of the median run, that run and its database.
        `between` runs after each timed load (the runs it is compared with, interleaved)."""
        timed = []
        for i in range(runs):
            db = self.fresh(f"{key}-{i + 1}") / "bank.duckdb"
            timed.append((self.load(f"{name}, run {i + 1}", ids_file, db, url, sample_memory=False), db))
            if between is not None:
                between()
        memory_folder = self.fresh(f"{key}-memory")
        memory = self.load(f"{name}, memory", ids_file, memory_folder / "bank.duckdb", url)
        shutil.rmtree(memory_folder, ignore_errors=True)  # up to ~1 GB, and nothing reads it
        result, db = median_run(timed)
        row = self.loader_row(key, label, n, result, db)
        if result.ok:
            runs = self.results[key]["runs"] = [r for r, _ in timed]
            row.peak_rss = self.results[key]["peak_rss"] = max(r.peak_rss for r in [memory, *runs])
            row.note += (f"; {runs_note(runs)} without the memory sampler, peak memory from one "
                         f"more, sampled run ({memory.seconds:.1f} s)")
        return row, result, db

    def reference_run(self, name: str, files: Path, db: Path, *options: str) -> ChildResult:
        """One run of `benchmarks.reference` over `files` into a fresh `db`."""
        db.unlink(missing_ok=True)
        return self.child(name, [PY, "-m", "benchmarks.reference", "--files-list", str(files), "--db", str(db),
                                 *options], self.args.cap)

    def run(self) -> Report:
        a, started, busy_start, own_start = self.args, time.perf_counter(), machine_busy(), own_cpu()
        self.out.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.rmtree(self.out / "logs", ignore_errors=True)
        self.log(f"payloads: {max(a.n, a.n_large)} sessions {FULL.key} ...")
        big, gen_seconds = ensure_payloads(self.out, max(a.n, a.n_large), FULL)
        small = PayloadSet(big.root, big.ids[:a.n])
        large = PayloadSet(big.root, big.ids[:a.n_large])
        self.work.mkdir(parents=True)
        compile_project()
        self.report.notes.append("The project's Python bytecode is compiled before the runs (`compileall`), as a "
                                 "user's machine writes it on the first run; this one sets PYTHONDONTWRITEBYTECODE, "
                                 "which otherwise made every run compile ~100 ms of our modules at start.")
        ids_n, ids_large = small.write_ids(self.work / "ids-n.txt"), large.write_ids(self.work / "ids-large.txt")
        mb = small.insights_bytes() / a.n / 1e6
        self.report.notes.append(f"Payloads: simulator seed 1, 2 accounts x 12 months x 100 transactions a month, "
                                 f"full predictor and monthly_analysis key sets; insights {mb:.2f} MB a session; "
                                 f"served from files by `benchmarks.serve` (the simulator's HTTP server) in its own process; "
                                 f"generation {gen_seconds:.0f} s (reused on later runs).")
        with serve(big.root) as url:
            self.measure_a_b_c(small, ids_n, url)
            self.measure_profile(ids_n, url)
            large_db = self.measure_large(ids_large, url)
            if a.postgres_n:
                pg_ids = PayloadSet(big.root, big.ids[:a.postgres_n]).write_ids(self.work / "ids-postgres.txt")
                measure_postgres(self, pg_ids, min(a.postgres_n, len(big.ids)), url)
        if a.latency:
            with serve(big.root, latency=a.latency) as url:
                self.measure_latency(ids_n, url)
        self.measure_known(large_db)
        self.measure_models_growth()
        self.check_targets()
        busy, ours = machine_busy() - busy_start, own_cpu() - own_start
        elapsed = time.perf_counter() - started
        others = max(busy - ours, 0.0)
        self.report.notes.append(
            f"Other processes on the machine used {others:.0f} CPU-seconds during the {elapsed:.0f} s run "
            f"({100 * others / (elapsed * (os.cpu_count() or 1)):.0f}% of its {os.cpu_count()} CPUs; the benchmark's own "
            f"processes used {ours:.0f}): when that is high, the times above are inflated.")
        self.report.total_seconds = time.perf_counter() - started
        return self.report

    def measure_a_b_c(self, small: PayloadSet, ids_n: Path, url: str) -> None:
        a = self.args
        files = self.fresh("b-n") / "files.txt"
        files.write_text("".join(f"{p}\n" for p in small.insights_files()))
        floors: Dict[str, List[ChildResult]] = {"b": [], "b4": []}

        def run_floors() -> None:
            i = len(floors["b"]) + 1
            floors["b"].append(self.reference_run(f"b-reference-{i}", files, files.parent / "ref.duckdb"))
            floors["b4"].append(self.reference_run(f"b4-reference-{i}", files, files.parent / "ref4.duckdb",
                                                   "--tables", "4"))
            self.log(f"(b) {floors['b'][-1].seconds:.1f} s, (b4) {floors['b4'][-1].seconds:.1f} s")

        # (a) and the floors run `--repeat` times each (a fresh database each), interleaved: a, b, b4,
        # a, b, b4, ... so that the machine's drift falls on both sides of a ratio alike. Medians reported.
        row, _, db = self.timed_loads("a", "(a) load N", "(a) `bankconnect load`, all tables", a.n, ids_n, url,
                                      a.repeat, between=run_floors)
        self.report.rows.append(row)
        self.a_row = row
        self.state_row(db, a.n)
        self.b_row_from(floors["b"], a.n)
        self.b4_row_from(floors["b4"], a.n)
        self.measure_naive(ids_n, url)

    def b_row_from(self, refs: List[ChildResult], n: int) -> None:
        """The 2-table floor's row: the median of its runs."""
        ref = median_run([(r,) for r in refs])[0]
        if ref.ok:
            rows = ref.json()["rows"]
            self.b_row = Row("(b) DuckDB SQL over the JSON files (floor)", n, ref.seconds, sum(rows.values()),
                             ref.peak_rss, "transactions + eod_balances only: " +
                             ", ".join(f"{k} {v:,}" for k, v in rows.items()), cpu=ref.cpu)
            if len(refs) > 1:
                self.b_row.note += f"; {runs_note(refs)}"
            a_tables = self.results.get("a", {}).get("tables", {})
            if a_tables and any(a_tables.get(k) != v for k, v in rows.items()):
                self.b_row.note += f" (MISMATCH with (a): {a_tables.get('transactions')}, {a_tables.get('eod_balances')})"
        else:
            self.b_row = Row("(b) DuckDB SQL over the JSON files (floor)", n, None, note=ref.describe_failure(),
                             failed="FAILED")
        self.report.rows.append(self.b_row)

    def b4_row_from(self, refs: List[ChildResult], n: int) -> None:
        """The 4-table floor's row (DuckDB alone into transactions, eod_balances, monthly_analysis,
        predictors) and the target of (a) against it."""
        ref = median_run([(r,) for r in refs])[0]
        if not ref.ok:
            self.report.rows.append(Row("(b4) DuckDB SQL, the 4 largest tables (floor)", n, None,
                                        note=ref.describe_failure(), failed="FAILED"))
            return
        rows = ref.json()["rows"]
        note = ", ".join(f"{k} {v:,}" for k, v in rows.items())
        if len(refs) > 1:
            note += f"; {runs_note(refs)}"
        self.report.rows.append(Row("(b4) DuckDB SQL, the 4 largest tables (floor)", n, ref.seconds,
                                    sum(rows.values()), max(r.peak_rss for r in refs), note, cpu=ref.cpu))
        if self.a_row.seconds:
            ratio = self.a_row.seconds / ref.seconds
            self.report.targets.append(Target(f"(a) <= 1.1 x (b4) at N={n}",
                                              f"{self.a_row.seconds:.1f} s / {ref.seconds:.1f} s = {ratio:.2f}x"
                                              + pair_ratios(self.results.get("a", {}).get("runs", []), refs),
                                              ratio <= 1.1))

    def measure_naive(self, ids_n: Path, url: str) -> None:
        a = self.args
        folder = self.fresh("c-naive")
        ids = folder / "ids.txt"
        ids.write_text("".join(ids_n.read_text().splitlines(keepends=True)[:a.naive_n]))
        mem_cap = int(a.naive_mem_cap * total_ram()) if a.naive_mem_cap else None
        self.log(f"(c) naive dlt pipeline, {a.naive_n} sessions (cap {a.naive_cap:.0f} s, {fmt_bytes(mem_cap)}) ...")
        result = self.child("c-naive", [PY, "-m", "benchmarks.naive", "--ids-file", str(ids), "--base-url", url,
                                         "--db", str(folder / "c.duckdb")], a.naive_cap, mem_cap=mem_cap)
        self.log(f"(c) {result.seconds:.1f} s, peak RSS {fmt_bytes(result.peak_rss)}")
        label = "(c) naive dlt (raw JSON, default normalizer, insert_values)"
        scale = a.n / a.naive_n
        if result.ok:
            out = result.json()
            seconds, rows = result.seconds * scale, int(out["total_rows"] * scale)
            note = f"{out['tables']} tables"
            if scale != 1:
                note += (f"; EXTRAPOLATED linearly from {a.naive_n} sessions ({result.seconds:.1f} s, "
                         f"{out['total_rows']:,} rows); peak RSS is the measured one at {a.naive_n}")
            self.c_row = Row(label, a.n, seconds, rows, result.peak_rss, note, cpu=result.cpu * scale)
            self.c_lower_bound = False
        else:
            shown = (f">{result.seconds:.0f} s ({'memory cap' if result.mem_capped else 'time cap'})"
                     if result.timed_out else "failed")
            self.c_row = Row(label, a.naive_n, None, None, result.peak_rss,
                             result.describe_failure() + ("; peak RSS is when killed" if result.timed_out else ""),
                             failed=shown)
            self.c_row.seconds_bound = result.seconds * scale if result.timed_out else None  # not finished by then
            self.c_lower_bound = True
        self.report.rows.append(self.c_row)

    def measure_profile(self, ids_n: Path, url: str) -> None:
        if self.args.no_profile:
            return
        folder = self.fresh("profile")
        self.log("profile of (a) ...")
        result = self.child("profile", [PY, "-m", "benchmarks.profile", "--ids-file", str(ids_n), "--base-url", url,
                                         "--db", str(folder / "bank.duckdb"), "--out", str(self.out)], self.args.cap)
        self.log(f"profile {result.seconds:.1f} s")
        if not result.ok:
            self.report.profile = [f"profile failed: {result.describe_failure()}"]
            return
        prof = result.json()
        self.results["profile"] = prof
        self.report.profile = profile_lines(prof, self.args.n, str(self.out / "profile-a.txt"))
        inner = self.results.get("a", {}).get("summary", {}).get("seconds")
        if inner and self.a_row.seconds:
            self.report.profile[0:0] = [f"The (a) process itself: {self.a_row.seconds:.1f} s wall, of which "
                                        f"{inner:.1f} s inside `run_load`; the other {self.a_row.seconds - inner:.1f} s "
                                        f"are interpreter start and imports (dlt, pyarrow, duckdb).", ""]

    def measure_large(self, ids_large: Path, url: str) -> Path:
        a = self.args
        # one timed run (the memory sampler slowed it ~20%: 79 s against 65 s); its database serves what follows
        self.large_row, _, db = self.timed_loads("a_large", "(a) load N-large", "(a) `bankconnect load`, all tables",
                                                 a.n_large, ids_large, url, 1)
        self.report.rows.append(self.large_row)
        self.log("models on the N-large database ...")
        models = self.child("models", [PY, "-m", "pipelines.cli", "models", "--duckdb", str(db)], a.cap)
        self.log(f"models {models.seconds:.1f} s")
        note = (models.stdout.strip().splitlines() or [""])[0][:120] if models.ok else models.describe_failure()
        if not self.large_row.seconds:
            note += " (on the partial database of the failed load above)"
        self.models_row = Row("`bankconnect models`", a.n_large, models.seconds if models.ok else None,
                              None, models.peak_rss, note, failed=None if models.ok else "FAILED", cpu=models.cpu)
        self.report.rows.append(self.models_row)
        return db

    def measure_latency(self, ids_n: Path, url: str) -> None:
        """(a) again with every API answer `--latency` seconds late, default settings (adaptive concurrency)."""
        a = self.args
        row, result, _ = self.timed_loads("a-latency", f"(a) at {a.latency} s API latency",
                                          f"(a) with {a.latency} s API latency, default settings", a.n, ids_n, url,
                                          a.repeat)
        if result.ok:
            fetching = result.json().get("fetching", {})
            row.note += (f"; up to {fetching.get('concurrency_reached')} requests in flight, "
                         f"{fetching.get('throttled')} throttled")
        self.report.rows.append(row)
        if result.ok and self.a_row.seconds:
            ratio = result.seconds / self.a_row.seconds
            self.report.targets.append(Target(f"(a) at {a.latency} s API latency <= 1.3 x no latency",
                                              f"{result.seconds:.1f} s / {self.a_row.seconds:.1f} s = {ratio:.2f}x",
                                              ratio <= 1.3))

    def measure_models_growth(self) -> None:
        from .models_growth import measure_models_growth

        a = self.args
        try:
            self.report.rows += measure_models_growth(self, a.models_stored, a.models_new)
        except RuntimeError as exc:  # a setup load failed: say so in the report, keep the other results
            self.report.rows.append(Row(f"models: {a.models_new} new on top of {a.models_stored:,} stored", a.models_new,
                                        None, note=str(exc), failed="FAILED"))

    def measure_known(self, large_db: Path) -> None:
        a = self.args
        if a.known_mode == "tiny":
            db, already, spec = self.fresh("known") / "bank.duckdb", 0, TINY
        elif self.large_row.seconds:
            db, already, spec = large_db, a.n_large, MINIMAL
        else:  # the N-large load failed (its package is pending there): start from a fresh database
            db, already, spec = self.fresh("known") / "bank.duckdb", 0, MINIMAL
        extra = max(a.known - already, 0)
        self.log(f"known sessions: {extra} more ({spec.key}) on top of {already} ...")
        payloads, gen_seconds = ensure_payloads(self.out, extra, spec)
        ids = payloads.write_ids(self.work / "ids-known.txt")
        with serve(payloads.root) as url:
            setup = self.load("setup known", ids, db, url, cap=max(a.cap, 1500.0)) if extra else None
            if setup is not None and not setup.ok:
                self.rerun_row = Row("re-run, nothing new", a.known, None,
                                     note=f"setup failed: {setup.describe_failure()}", failed="FAILED")
                self.report.rows.append(self.rerun_row)
                return
            self.state_row(db, a.known)
            before = request_counts(url)
            runs = [self.load(f"re-run {i + 1}", None, db, url, cap=120) for i in range(3)]
            fetched = {k: v - before.get(k, 0) for k, v in request_counts(url).items()}
        ok = [r for r in runs if r.ok]
        setup_rows = sum(setup.json()["rows"].values()) if setup is not None else 0
        if a.known_mode == "tiny":
            how = f"{extra:,} simulator sessions (1 account x 3 months x 5 transactions a month) into a fresh database"
        else:
            how = ((f"the N={already:,} database from (a) plus " if already else
                    "a fresh database (the N-large load failed) with ") +
                   f"{extra:,} completed sessions with real session_status documents and insights cut to the "
                   f"account list and account_details")
        self.report.notes.append(
            f"Known sessions for the re-run: {how}, loaded with `bankconnect load`"
            + (f" in {setup.seconds:.0f} s ({setup_rows:,} rows; payload generation {gen_seconds:.0f} s)" if setup else "")
            + ". The simulator's tiny sessions (1x3x5) still carry the full predictor and monthly key sets "
              "(~5,000 rows, ~27 ms each to load: ~4.5 min for 10,000), which is what the minimal mode avoids; "
              "`--known-mode tiny` does it that way.")
        if not ok:
            self.rerun_row = Row("re-run, nothing new", a.known, None, note=runs[-1].describe_failure(), failed="FAILED")
        else:
            walls = [r.seconds for r in ok]
            inner = [r.json()["seconds"] for r in ok]
            sessions = [r.json()["sessions"] for r in ok]
            self.rerun_row = Row("re-run `bankconnect load` (no ids), nothing new", a.known, statistics.median(walls),
                                 None, max(r.peak_rss for r in ok), cpu=statistics.median(r.cpu for r in ok), note=
                                 f"process wall {', '.join(f'{w:.2f}' for w in walls)} s (median shown), "
                                 f"inside run_load {', '.join(f'{s:.2f}' for s in inner)} s; sessions fetched "
                                 f"{sessions[0] or 'none'}; HTTP requests during re-runs: {fetched or 'none'}")
            self.rerun_fetched = fetched
        self.report.rows.append(self.rerun_row)

    def state_row(self, db: Path, known: int) -> None:
        """The size of dlt's pipeline state with `known` sessions loaded, and what the record kept in
        the state (releases before the `sessions` table was the record) would weigh for as many."""
        from pipelines.runtime import state_dir

        state_file = state_dir(str(db)) / "bankconnect" / "state.json"
        size = state_file.stat().st_size if state_file.exists() else None
        self.results.setdefault("state_bytes", {})[known] = size
        self.report.rows.append(Row("dlt pipeline state (state.json)", known, None, None, None, note=(
            f"{size:,} bytes" if size is not None else "missing") + (
            f"; the sessions record as the earlier releases kept it in the state: "
            f"{legacy_state_bytes(known):,} bytes for as many sessions")))

    # --- targets -------------------------------------------------------------------------------

    def check_targets(self) -> None:
        a, t = self.args, self.report.targets
        ar, br, cr, lr = self.a_row, self.b_row, self.c_row, self.large_row
        complete = self._complete("a", a.n)
        if ar.seconds and br.seconds:
            ratio = ar.seconds / br.seconds
            t.append(Target(f"(a) <= 3 x (b) at N={a.n}, every table loaded",
                            f"a/b = {ratio:.1f} ({ar.seconds:.1f} s / {br.seconds:.1f} s); {complete[1]}",
                            ratio <= 3 and complete[0]))
        else:
            t.append(Target(f"(a) <= 3 x (b) at N={a.n}", "not measured: " + (ar.note if not ar.seconds else br.note),
                            False if not ar.seconds else None))
        if ar.seconds and cr.seconds:
            ratio = cr.seconds / ar.seconds
            t.append(Target("(c) / (a) >= 30", f"c/a = {ratio:.1f} ({cr.seconds:.0f} s / {ar.seconds:.1f} s)"
                            + (" (c extrapolated)" if a.naive_n != a.n else ""), ratio >= 30))
        elif ar.seconds and getattr(cr, "seconds_bound", None):
            bound = cr.seconds_bound / ar.seconds
            t.append(Target("(c) / (a) >= 30", f"c/a > {bound:.1f} (c killed at the cap)", True if bound >= 30 else None))
        else:
            t.append(Target("(c) / (a) >= 30", "not measured", None))
        if lr.peak_rss and lr.seconds and ar.peak_rss:
            growth = lr.peak_rss / ar.peak_rss
            t.append(Target(f"peak RSS of (a) at N={a.n_large} <= 1 GiB", fmt_bytes(lr.peak_rss), lr.peak_rss <= GIB))
            t.append(Target(f"peak RSS of (a) at N={a.n_large} <= 1.5 x N={a.n}",
                            f"{fmt_bytes(lr.peak_rss)} / {fmt_bytes(ar.peak_rss)} = {growth:.2f}x", growth <= 1.5))
        else:
            why = "not measured: the load failed" + (f" (peak RSS until then {fmt_bytes(lr.peak_rss)})" if lr.peak_rss else "")
            t.append(Target(f"peak RSS of (a) at N={a.n_large} <= 1 GiB", why, False if not lr.seconds else None))
            t.append(Target(f"peak RSS of (a) at N={a.n_large} <= 1.5 x N={a.n}", why, False if not lr.seconds else None))
        for known, size in sorted(self.results.get("state_bytes", {}).items()):
            t.append(Target(f"dlt pipeline state < 64 KB at {known:,} known sessions",
                            f"{size:,} bytes" if size is not None else "missing", size is not None and size < 65536))
        rr = self.rerun_row
        if rr.seconds is not None:
            clean = not any(v for v in getattr(self, "rerun_fetched", {}).values())
            t.append(Target(f"re-run over {a.known:,} known sessions <= 2 s, no fetch",
                            f"{rr.seconds:.2f} s (process wall, median of 3); " + ("no request" if clean else "FETCHED"),
                            rr.seconds <= 2 and clean))
        else:
            t.append(Target(f"re-run over {a.known:,} known sessions <= 2 s", rr.note or "not measured", None))
        mr = self.models_row
        partial = "" if lr.seconds else " (on a partial database: the N-large load failed)"
        t.append(Target(f"models at N={a.n_large} <= 15 s", (f"{mr.seconds:.1f} s" if mr.seconds else mr.note) + partial,
                        (mr.seconds <= 15) if mr.seconds and lr.seconds else None))

    def _complete(self, key: str, n: int):
        info = self.results.get(key)
        if not info:
            return False, "load failed"
        completed = info["summary"]["sessions"].get("completed", 0)
        empty = [t for t, c in info["tables"].items() if not c and t not in MAY_BE_EMPTY]
        ok = completed == n and not empty
        return ok, f"{completed}/{n} sessions completed" + (f", empty tables: {', '.join(empty)}" if empty else
                                                             ", every table with rows")


def legacy_state_bytes(known: int) -> int:
    """JSON bytes of the per-session entries earlier releases kept in dlt state (one per session)."""
    entry = {"status": "completed", "error_code": None, "retry": False,
             "first_seen_at": "2026-12-03T05:27:18.123456+00:00", "data_load_id": "1796276815.0557055",
             "data_loaded_at": "2026-12-03T05:27:18.123456+00:00", "load_id": "1796276815.0557055"}
    return len(json.dumps({f"{i:08x}-1111-4222-8333-444455556666": entry for i in range(known)}))


def table_counts(db: Path) -> Dict[str, int]:
    """Rows per table of schema bankconnect (dlt's own tables left out)."""
    import duckdb

    from pipelines.duckdb_file import table_counts as counts

    con = duckdb.connect(str(db), read_only=True)
    try:
        return counts(con)
    finally:
        con.close()


def machine_busy() -> float:
    """CPU-seconds the whole machine has been busy since boot (/proc/stat), all CPUs summed."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU-seconds of this process and every child it waited for (the measured runs, servers, generators)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def total_ram() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                return int(line.split()[1]) * 1024
    return 8 * GIB


def pair_ratios(loads: List[ChildResult], floors: List[ChildResult]) -> str:
    """Each interleaved run of (a) against the floor run right after it (text for a target line)."""
    pairs = [f"{x.seconds / y.seconds:.2f}" for x, y in zip(loads, floors) if x.ok and y.ok and y.seconds]
    return f" (run by run: {', '.join(pairs)})" if len(pairs) > 1 else ""


def runs_note(results: List[ChildResult]) -> str:
    """How a figure was got from these runs: one run, or the median of several (their seconds)."""
    if len(results) == 1:
        return "one run"
    return f"median of {len(results)} runs ({', '.join(f'{r.seconds:.1f}' for r in results)} s)"


def compile_project() -> None:
    """Write the bytecode of the project's packages, so that no measured process compiles them."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("sources", "pipelines", "simulator", "benchmarks"):
        compileall.compile_dir(str(root / package), quiet=1)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    bench = Bench(args)
    report = bench.run()
    text = report.markdown()
    (bench.out / "results.md").write_text(text)
    (bench.out / "results.json").write_text(json.dumps(bench.results, indent=2, default=str))
    print(text)


if __name__ == "__main__":
    main()
