"""The `bankconnect` command line: thin click commands over the functions in `pipelines`."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any, Callable, Iterable, List, Optional

import click

from sources.bankconnect.settings import DEFAULT_MAX_WORKERS, DEFAULT_WORKERS, PII_MODES

from .runtime import DEFAULT_DATABASE

# Exit codes (README "Exit status"): 0 finished (some sessions may be recorded as not ready or not
# found), 1 loading failed, 2 bad arguments or configuration, 3 credentials refused by the API,
# 4 another run holds the same database (nothing touched; pipelines.runlock).
EXIT_LOAD_FAILED, EXIT_CONFIG, EXIT_AUTH, EXIT_BUSY = 1, 2, 3, 4

duckdb_option = click.option(
    "--duckdb", "duckdb_path", default=DEFAULT_DATABASE, show_default=True, type=click.Path(dir_okay=False),
    help="DuckDB database file.")


pii_option = click.option(
    "--pii", type=click.Choice(PII_MODES), default=None,
    help="Personal data (names, account numbers, PAN, phone, email, address, names in notes): keep "
         "(default), mask, hash (keyed by SOURCES__BANKCONNECT__PII_HASH_KEY, stable for joins) or drop.")
wait_option = click.option(
    "--wait", default=0.0, show_default=True, type=click.FloatRange(0), metavar="SECONDS",
    help="When another run holds the database, wait up to this long for it, then exit with status 4.")
raw_option = click.option(
    "--raw/--no-raw", "keep_raw", default=None,
    help="Keep the fetched documents (zstd) in bankconnect.raw_payloads for rebuild "
         "(default: yes with --pii keep, no otherwise).")


class _Commands(click.Group):
    """The commands; `simulate` (the simulator's own CLI) is imported only when it is asked for
    (click's lazy subcommands): importing it cost every `bankconnect load` ~0.1 s."""

    _LAZY = {"simulate": "simulator.cli"}  # command -> the module that defines it

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted({*super().list_commands(ctx), *self._LAZY})

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name in self._LAZY and name not in self.commands:
            self.add_command(getattr(importlib.import_module(self._LAZY[name]), name), name)
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bankconnect-pipeline")
def cli() -> None:
    """Load FinBox BankConnect session insights into DuckDB, build analytics models, export Parquet.

    Credentials come from dlt config, never from flags: SOURCES__BANKCONNECT__API_KEY and
    SOURCES__BANKCONNECT__SERVER_HASH (environment or .dlt/secrets.toml).

    Example: bankconnect demo
    """


@cli.command()
@click.argument("session_ids", nargs=-1)
@click.option("--sessions-file", type=click.File("r"), help="File of session ids, one per line ('-' for stdin); "
              "'#' comments and webhook JSON lines ({\"session_id\": ...}) are accepted.")
@duckdb_option
@click.option("--base-url", help="API base URL (default: SOURCES__BANKCONNECT__BASE_URL or the production API).")
@click.option("--workers", type=click.IntRange(1, 64), help="Pin the API requests in flight to N (default: "
              f"adaptive, from {DEFAULT_WORKERS} up to SOURCES__BANKCONNECT__MAX_WORKERS={DEFAULT_MAX_WORKERS} while "
              "the API answers cleanly and faster; halved at once on 429/503/timeouts).")
@click.option("--processes", type=click.IntRange(0, 64), help="Worker processes that parse and flatten the "
              "fetched sessions; 0 = none (default: the CPUs, at most 4, for 100 sessions or more).")
@click.option("--destination", help="A dlt destination instead of DuckDB, e.g. postgres or filesystem.")
@pii_option
@raw_option
@click.option("--purge-deleted", is_flag=True, help="Delete every row of sessions the API reports as "
              "SESSION_DELETED (default: keep them, marked deleted in bankconnect.sessions).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (for schedulers).")
@click.option("--from-queue", is_flag=True, help="Also load the sessions `bankconnect serve` queued "
              "(the default when no session id is given).")
@wait_option
def load(session_ids: tuple, sessions_file: Optional[Any], duckdb_path: str, base_url: Optional[str],
         workers: Optional[int], processes: Optional[int], destination: Optional[str], pii: Optional[str],
         keep_raw: Optional[bool], purge_deleted: bool, as_json: bool, from_queue: bool, wait: float) -> None:
    """Load sessions, plus every session an earlier run left not ready.

    Without session ids (or with --from-queue) it also loads every session a webhook queued
    (bankconnect serve), once however often notified.

    Example: bankconnect load 136b1aa3-4610-4d0a-89f3-03078a2fce92 --duckdb bank.duckdb
    """
    from .duckdb_file import warn_if_collides
    from .load import run_load
    from .runs import run_queued_load

    warn_if_collides(duckdb_path, destination)
    ids = list(session_ids) + (read_session_ids(sessions_file) if sessions_file else [])
    progress = _progress() if sys.stdout.isatty() and not as_json else None
    summary = _locked("load", duckdb_path, destination, wait, lambda target: run_queued_load(
        run_load, ids, from_queue=from_queue or not ids, target=target, duckdb_path=duckdb_path, base_url=base_url,
        workers=workers, processes=processes, destination=destination, on_session=progress, pii=pii,
        keep_raw=keep_raw, purge_deleted=purge_deleted))
    if progress is not None:
        click.echo("", err=True)
    _print_summary(summary, as_json)


@cli.command()
@click.argument("session_ids", nargs=-1)
@duckdb_option
@pii_option
@raw_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@wait_option
def rebuild(session_ids: tuple, duckdb_path: str, pii: Optional[str], keep_raw: Optional[bool], as_json: bool,
            wait: float) -> None:
    """Rebuild the tables of sessions from their stored documents (raw_payloads), without the API.

    Use after an upgrade that reads documents better, or to apply another --pii mode.
    Default: every session with stored documents.

    Example: bankconnect rebuild --duckdb bank.duckdb --pii mask
    """
    from .rebuild import run_rebuild

    _print_summary(_locked("rebuild", duckdb_path, None, wait,
                           lambda _: run_rebuild(duckdb_path, session_ids, pii=pii, keep_raw=keep_raw)), as_json)


def _print_summary(summary: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(format_summary(summary))


@cli.command()
@duckdb_option
@click.option("--destination", help="Build where a dlt destination loaded the data instead of DuckDB: postgres "
              "(credentials from DESTINATION__POSTGRES__CREDENTIALS).")
@click.option("--full-refresh", is_flag=True,
              help="Rebuild every model from scratch, not only the sessions changed since the last build.")
@wait_option
def models(duckdb_path: str, destination: Optional[str], full_refresh: bool, wait: float) -> None:
    """(Re)build the SQL models in schema `analytics` and run the data-quality checks.

    Only the sessions whose data changed since the last build are rebuilt (all of them on the first
    build, after a model's SQL changed, or with --full-refresh).

    Failing data-quality checks are reported, not errors; a model's own grain or not-null test
    failing is (exit 1, previous build kept).

    Example: bankconnect models --duckdb bank.duckdb  (or: bankconnect models --destination postgres)
    """
    from .models import ModelError, NoDataError, build_models
    from sources.bankconnect.errors import BankConnectError, ConfigError

    def run():
        try:
            if destination not in (None, "duckdb"):
                from .warehouse import build_models_on

                return build_models_on(destination, full_refresh=full_refresh)
            return build_models(duckdb_path, full_refresh=full_refresh)
        except NoDataError as exc:
            raise ConfigError(str(exc)) from None
        except ModelError as exc:
            raise BankConnectError(" ".join(str(exc).split())[:500]) from None

    click.echo(_locked("models", duckdb_path, destination, wait, lambda _: run()).summary())


@cli.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Export folder.")
@duckdb_option
@click.option("--tables", help="Comma-separated tables to export (default all), e.g. transactions,analytics.account_monthly.")
@wait_option
def export(out_dir: str, duckdb_path: str, tables: Optional[str], wait: float) -> None:
    """Write every raw table and model as Parquet (zstd) with a manifest.json.

    Large tables are hive-partitioned by month; a re-export replaces the folder whole.

    Example: bankconnect export --out ./warehouse --duckdb bank.duckdb
    """
    from .export import export_parquet

    names = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    result = _locked("export", duckdb_path, None, wait, lambda _: export_parquet(duckdb_path, out_dir, names))
    click.echo(f"Exported {len(result.tables)} tables ({result.row_count:,} rows) to {result.out_dir} "
               f"in {result.seconds:.1f} s; see manifest.json")


@cli.command()
@click.argument("sql")
@duckdb_option
@click.option("--limit", default=40, show_default=True, help="Rows to show.")
def query(sql: str, duckdb_path: str, limit: int) -> None:
    """Run a SQL query on the database (read-only) and print the result.

    Example: bankconnect query "select * from analytics.account_monthly limit 5"
    """
    import duckdb

    from sources.bankconnect.errors import ConfigError

    from .duckdb_file import connect

    def run() -> str:
        con = connect(duckdb_path, read_only=True)
        try:
            return str(con.sql(sql).limit(limit))
        except duckdb.Error as exc:
            raise ConfigError(" ".join(str(exc).split())) from None
        finally:
            con.close()

    click.echo(_run(run))


@cli.command()
@duckdb_option
@click.option("--sessions", default=40, show_default=True, type=click.IntRange(1, 2000), help="Simulated sessions to load.")
@click.option("--seed", default=7, show_default=True, help="Simulator seed (same seed, same data).")
def demo(duckdb_path: str, sessions: int, seed: int) -> None:
    """The main job end to end on the local simulator: load, retry the not-ready, models, summary.

    Starts the simulator on a free 127.0.0.1 port (stopped at the end), loads into the DuckDB file,
    builds the models and prints a summary with queries to try.

    Example: bankconnect demo --duckdb demo.duckdb
    """
    from .demo import format_demo, run_demo

    # like any other run: one at a time per database, recorded for `bankconnect status`
    result = _locked("demo", duckdb_path, None, 0.0, lambda _: run_demo(duckdb_path, sessions=sessions, seed=seed,
                                                                         echo=click.echo))
    click.echo(format_demo(result))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (beyond loopback "
              "only with SOURCES__BANKCONNECT__WEBHOOK_SECRET set).")
@click.option("--port", default=8686, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@duckdb_option
@click.option("--destination", help="Queue for loads into a dlt destination instead of DuckDB (as for load).")
@pii_option
@click.option("--load-every", metavar="INTERVAL", help="Also run `bankconnect load` every INTERVAL (e.g. 60, 60s, "
              "5m; skipped while another run holds the database).")
def serve(host: str, port: int, duckdb_path: str, destination: Optional[str], pii: Optional[str],
          load_every: Optional[str]) -> None:
    """Receive FinBox webhooks: POST /webhooks/bankconnect stores each notification, GET /healthz.

    A notification is answered 2xx once on disk; ENRICHMENT_NOTIFICATION queues its session for the
    next `bankconnect load`. The secret (SOURCES__BANKCONNECT__WEBHOOK_SECRET) must arrive in header
    x-secret-key (SOURCES__BANKCONNECT__WEBHOOK_SECRET_HEADER). Never holds the database open.

    Example: bankconnect serve --host 0.0.0.0 --port 8686 --duckdb bank.duckdb --load-every 60
    """
    from .runlock import run_target
    from .serve import parse_interval, serve as run_server

    every = _run(lambda: parse_interval(load_every)) if load_every else None
    target = _run(lambda: run_target(duckdb_path, destination))
    command = [sys.executable, "-m", "pipelines.cli", "load", "--json", "--duckdb", duckdb_path]
    command += (["--destination", destination] if destination else []) + (["--pii", pii] if pii else [])
    _run(lambda: run_server(target, host, port, command, every))


@cli.command()
@duckdb_option
@click.option("--destination", help="Report the webhook queue of a dlt destination's target instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (for monitoring).")
def status(duckdb_path: str, destination: Optional[str], as_json: bool) -> None:
    """Sessions by status, the webhook queue, pending sessions and their age, the last run.

    Opens the database read-only for a moment; when a run is writing it says so and still reports
    the queue.

    Example: bankconnect status --duckdb bank.duckdb --json
    """
    from .runlock import run_target
    from .status import collect_status, format_status

    report = _run(lambda: collect_status(duckdb_path, run_target(duckdb_path, destination), destination))
    click.echo(json.dumps(report, indent=2, default=str) if as_json else format_status(report))


@cli.command()
@click.argument("session_ids", nargs=-1)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the pages.")
@duckdb_option
@click.option("--open", "open_index", is_flag=True, help="Open index.html in the default browser.")
def report(session_ids: tuple, out_dir: str, duckdb_path: str, open_index: bool) -> None:
    """Write one HTML page per session (default: every completed session) and an index.html.

    Pages work offline (the chart library is written once beside them as report.js) and show the
    data as loaded: balances, monthly flows, spend, bounces, fraud and data-quality flags.

    Example: bankconnect report --out ./report --duckdb bank.duckdb --open
    """
    from .report import write_report

    result = _run(lambda: write_report(duckdb_path, out_dir, session_ids))
    click.echo(f"Wrote {len(result.pages)} session page(s) in {result.seconds:.2f} s: {result.index}")
    if open_index:
        import webbrowser

        webbrowser.open(result.index.resolve().as_uri())


def read_session_ids(lines: Iterable[str]) -> List[str]:
    """Session ids from lines: plain ids, blank lines and '#' comments skipped, webhook JSON accepted."""
    ids = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("{"):
            try:
                text = str(json.loads(text)["session_id"])
            except (ValueError, KeyError, TypeError):
                raise click.UsageError(f"a JSON line without session_id in --sessions-file: {text[:60]}")
        ids.append(text)
    return ids


def format_summary(summary: Any) -> str:
    """A short human summary of a LoadSummary."""
    total = sum(summary.sessions.values())
    lines = [f"Loaded {total} session(s) into {summary.database} in {summary.seconds:.1f} s"]
    if summary.sessions:
        lines.append("  sessions: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.sessions.items())))
    if summary.rows:
        lines.append("  rows:     " + ", ".join(f"{k} {v:,}" for k, v in summary.rows.items()))
    fetching = summary.fetching
    if fetching and fetching.get("concurrency_reached"):
        lines.append(f"  fetching: up to {fetching['concurrency_reached']} requests in flight, "
                     f"{fetching['throttled']} throttled (429/503), {fetching['timeouts']} timed out")
    if summary.problems:
        lines.append("  not loaded now (recorded in bankconnect.sessions):")
        for p in summary.problems[:20]:
            lines.append(f"    {p['session_id']}  {p['status']}  {p['error_code'] or ''} {p['error_message'] or ''}".rstrip())
        if len(summary.problems) > 20:
            lines.append(f"    ... and {len(summary.problems) - 20} more (see --json)")
    return "\n".join(lines)


def _progress() -> Callable[[Any], None]:
    counts: dict = {}

    def show(outcome: Any) -> None:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        done = sum(counts.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        click.echo(f"\r  {done} session(s) fetched ({detail})", nl=False, err=True)

    return show


def _locked(command: str, duckdb_path: str, destination: Optional[str], wait: float,
            action: Callable[[Any], Any]) -> Any:
    """_run(action(target)) holding the target's run lock (pipelines.runs.locked_run)."""
    from .runlock import run_target
    from .runs import locked_run

    def run() -> Any:
        target = run_target(duckdb_path, destination)
        return locked_run(command, target, wait, lambda: action(target))

    return _run(run)


def _run(action: Callable[[], Any]) -> Any:
    """Run an action; our errors become one line on stderr and an exit code, never a traceback."""
    from sources.bankconnect.errors import AuthError, BankConnectError, ConfigError

    from .runlock import RunLockBusy

    try:
        return action()
    except RunLockBusy as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BUSY)
    except AuthError as exc:
        _fail(str(exc), EXIT_AUTH)
    except ConfigError as exc:
        _fail(str(exc), EXIT_CONFIG)
    except BankConnectError as exc:
        _fail(str(exc), EXIT_LOAD_FAILED)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def main() -> None:
    """Console script entry point."""
    cli(prog_name="bankconnect")


if __name__ == "__main__":
    main()
