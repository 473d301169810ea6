"""PostgreSQL against DuckDB for the same sessions: `bankconnect load --destination postgres`, timed.

Runs only when a PostgreSQL DSN is configured (`--postgres-dsn`, else BANKCONNECT_BENCH_POSTGRES_DSN or
BANKCONNECT_TEST_POSTGRES_DSN) for a role that may CREATE DATABASE: every run loads into a scratch
database of its own, dropped afterwards. Without one the comparison is reported as skipped.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List, Optional
from urllib.parse import urlsplit, urlunsplit

from .measure import ChildResult, median_run
from .report import Row, Target

RATIO_TARGET = 2.5
DSN_VARIABLES = ("BANKCONNECT_BENCH_POSTGRES_DSN", "BANKCONNECT_TEST_POSTGRES_DSN")


def configured_dsn(given: Optional[str]) -> Optional[str]:
    """The DSN to benchmark against: the option, else the first DSN variable set."""
    return given or next((os.environ[v] for v in DSN_VARIABLES if os.environ.get(v)), None)


@contextmanager
def scratch_database(dsn: str) -> Iterator[str]:
    """A new, empty database on the server of `dsn` (dropped on exit); yields its DSN."""
    import psycopg2

    name = f"bankconnect_bench_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dsn, connect_timeout=10)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f"create database {name}")
        try:
            yield urlunsplit(urlsplit(dsn)._replace(path="/" + name))
        finally:
            with admin.cursor() as cur:
                drop_scratch_database(cur, name)
    finally:
        admin.close()


def drop_scratch_database(cur: Any, name: str, attempts: int = 20) -> None:
    """Drop a scratch database. An autovacuum worker (the server's own role, which a CI role may not
    terminate) can be on it for a moment after a load: wait up to 5 s for it rather than fail."""
    import psycopg2

    for attempt in range(attempts):
        try:
            cur.execute(f"drop database if exists {name} with (force)")
            return
        except psycopg2.errors.InsufficientPrivilege:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def measure_postgres(bench: Any, ids_file: Path, n: int, url: str) -> None:
    """Rows and a target comparing PostgreSQL with DuckDB on the first `n` sessions (median of --repeat)."""

    dsn = configured_dsn(bench.args.postgres_dsn)
    what = f"PostgreSQL <= {RATIO_TARGET} x DuckDB at N={n}"
    if not dsn:
        bench.report.targets.append(Target(what, f"skipped: no PostgreSQL DSN ({' or '.join(DSN_VARIABLES)})", None))
        return
    try:
        import psycopg2  # noqa: F401 (creates the scratch databases)
    except ImportError:
        bench.report.targets.append(Target(what, "skipped: psycopg2 is not installed (pip install '.[postgres]')", None))
        return
    duck, pg = [], []
    for i in range(bench.args.repeat):
        db = bench.fresh(f"pg-duckdb-{i + 1}") / "bank.duckdb"
        duck.append((bench.load(f"DuckDB N={n}, run {i + 1}", ids_file, db, url), db))
        pg.append((_postgres_load(bench, f"PostgreSQL N={n}, run {i + 1}", ids_file, url, dsn), None))
    duck_result, db = median_run(duck)
    pg_result, _ = median_run(pg)
    duck_row = bench.loader_row("pg_duckdb", "DuckDB, same sessions as PostgreSQL", n, duck_result, db)
    duck_row.note += _median_note([r for r, _ in duck])
    pg_row = _postgres_row(pg_result, n, [r for r, _ in pg])
    bench.report.rows += [duck_row, pg_row]
    if pg_row.seconds and duck_row.seconds:
        ratio = pg_row.seconds / duck_row.seconds
        bench.results["postgres"] = {"seconds": pg_row.seconds, "duckdb_seconds": duck_row.seconds, "ratio": ratio}
        bench.report.targets.append(Target(what, f"{ratio:.2f}x ({pg_row.seconds:.1f} s / {duck_row.seconds:.1f} s)",
                                           ratio <= RATIO_TARGET))
    else:
        bench.report.targets.append(Target(what, "not measured: a load failed", False))


def _postgres_load(bench: Any, name: str, ids_file: Path, url: str, dsn: str) -> ChildResult:
    folder = bench.fresh(name.replace(" ", "-").replace("=", ""))
    cmd = [sys.executable, "-m", "pipelines.cli", "load", "--sessions-file", str(ids_file), "--destination", "postgres",
           "--base-url", url, "--json"]
    bench.log(f"{name}: bankconnect load --destination postgres ...")
    with scratch_database(dsn) as target:
        env = dict(bench.env, DESTINATION__POSTGRES__CREDENTIALS=target, DLT_DATA_DIR=str(folder / "dlt"))
        result = bench.child(name, cmd, bench.args.cap, env=env)
    bench.log(f"{name}: {result.seconds:.1f} s" + ("" if result.ok else f" FAILED {result.describe_failure()}"))
    return result


def _postgres_row(result: ChildResult, n: int, runs: List[ChildResult]) -> Row:
    label = "`bankconnect load --destination postgres`"
    if not result.ok:
        return Row(label, n, None, peak_rss=result.peak_rss, note=result.describe_failure(), failed="FAILED")
    summary = result.json()
    note = f"sessions {summary['sessions']}; {_loader_format()}" + _median_note(runs)
    return Row(label, n, result.seconds, sum(summary["rows"].values()), result.peak_rss, note, cpu=result.cpu)


def _median_note(runs: List[ChildResult]) -> str:
    return f"; median of {len(runs)} runs ({', '.join(f'{r.seconds:.1f}' for r in runs)} s)" if len(runs) > 1 else ""


def _loader_format() -> str:
    """How the rows went in: the same test `pipelines.runtime.loader_file_format` makes."""
    try:
        from pipelines.runtime import has_postgres_adbc

        adbc = has_postgres_adbc()
    except ImportError:
        adbc = False
    return "Parquet by ADBC binary COPY" if adbc else "INSERT statements (no ADBC driver, or DISABLE_ADBC_DETECTION)"

