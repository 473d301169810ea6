"""`bankconnect demo`: the main job end to end on the embedded default, against the local simulator."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from .report import write_demo_report
from .runtime import DEFAULT_DATABASE

DEMO_SESSIONS = 40
DEMO_SEED = 7
EXAMPLE_QUERIES = [
    ("Monthly cash flow and balances of one account",
     "select month, credit_amount, debit_amount, net_flow, opening_balance, closing_balance,\n"
     "       avg_eod_balance, negative_eod_days\n"
     "from analytics.account_monthly\n"
     "where account_id = (select min(account_id) from analytics.account_monthly)\n"
     "order by month"),
    ("Accounts an underwriter would look at twice",
     "select session_id, account_id, month_count, avg_monthly_balance, salary_regularity,\n"
     "       inward_bounce_count, bounce_charge_count, negative_eod_days\n"
     "from analytics.account_summary\n"
     "order by inward_bounce_count + bounce_charge_count desc, avg_monthly_balance\n"
     "limit 10"),
    ("Where the bank data does not add up",
     "select 'running balance' as check_name, count(*) as problems from analytics.dq_running_balance\n"
     "union all select 'month reconciliation', count(*) from analytics.dq_month_reconciliation\n"
     "union all select 'vs API monthly figures', count(*) from analytics.dq_vs_api_monthly"),
]


@dataclass
class DemoResult:
    """What the demo did, for the summary."""

    database: str
    runs: List = field(default_factory=list)
    models: object = None
    headline: Dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0
    report: object = None


def run_demo(duckdb_path: str = DEFAULT_DATABASE, sessions: int = DEMO_SESSIONS, seed: int = DEMO_SEED,
             echo: Callable[[str], None] = print) -> DemoResult:
    """Start the simulator on a free loopback port, load its sessions twice (the second run picks
    up the sessions that were still processing), build the models, and summarise.

    Args:
        duckdb_path: the database to write (default ./bank.duckdb).
        sessions: simulated sessions to load.
        seed: simulator seed (same seed, same data).
        echo: where progress lines go.
    """
    from simulator import Simulator, build_catalog

    from .load import Credentials, run_load
    from .models import build_models

    started = time.perf_counter()
    # Throwaway credentials shared by the simulator and the loader of this process only.
    credentials = Credentials(f"demo-{secrets.token_hex(8)}", f"demo-{secrets.token_hex(8)}")
    catalog = build_catalog(n_sessions=sessions, seed=seed)
    result = DemoResult(database=duckdb_path)
    with Simulator(catalog, api_key=credentials.api_key, server_hash=credentials.server_hash) as sim:
        base_url = sim.base_url + "/bank-connect/v1"
        echo(f"Simulator serving {sessions} sessions at {base_url}")
        first = run_load(catalog.session_ids(), duckdb_path=duckdb_path, base_url=base_url, credentials=credentials)
        result.runs.append(first)
        echo(f"Run 1: {_counts(first.sessions)} in {first.seconds:.1f} s")
        second = run_load([], duckdb_path=duckdb_path, base_url=base_url, credentials=credentials)
        result.runs.append(second)
        echo(f"Run 2 (nothing named; picks up the not-ready ones): {_counts(second.sessions) or 'nothing to do'}"
             f" in {second.seconds:.1f} s")
    result.models = build_models(duckdb_path)
    result.database = first.database
    result.headline = headline(first.database)
    result.report = write_demo_report(first.database)  # pages beside the database (pipelines/report.py)
    result.seconds = time.perf_counter() - started
    return result


def headline(duckdb_path: str) -> Dict[str, object]:
    """A few numbers a new user can check against the tables."""
    from .duckdb_file import connect, table_counts

    con = connect(duckdb_path, read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()  # noqa: E731
        statuses = dict(con.execute("select status, count(*) from bankconnect.sessions group by 1 order by 1").fetchall())
        accounts, months, first_month, last_month = one(
            "select count(distinct session_id || '/' || account_id), count(*), min(month), max(month) "
            "from analytics.account_monthly")
        credits, debits = one("select sum(credit_amount), sum(debit_amount) from analytics.account_monthly")
        negative = one("select count(distinct session_id || '/' || account_id) from analytics.account_monthly "
                       "where negative_eod_days > 0")[0]
        rows = table_counts(con)
        return {"sessions": statuses, "accounts": accounts, "account_months": months,
                "first_month": first_month, "last_month": last_month, "credits": credits, "debits": debits,
                "accounts_with_negative_days": negative, "rows": rows}
    finally:
        con.close()


def format_demo(result: DemoResult) -> str:
    """The summary printed at the end of the demo."""
    h = result.headline
    lines = [
        "",
        f"Done in {result.seconds:.1f} s. Database: {result.database}",
        f"  sessions:  {_counts(h['sessions'])}",
        f"  accounts:  {h['accounts']} covering {h['account_months']} account-months "
        f"({h['first_month']:%b %Y} to {h['last_month']:%b %Y})",
        f"  money:     credits {h['credits']:,.2f} INR, debits {h['debits']:,.2f} INR",
        f"  risk:      {h['accounts_with_negative_days']} account(s) with negative end-of-day balances",
        "  rows:      " + ", ".join(f"{t} {n:,}" for t, n in sorted(h["rows"].items(), key=lambda kv: -kv[1])[:8]),
        f"  models:    {_models_line(result.models)}",
        "",
        "Try these (bankconnect query \"<sql>\", or any DuckDB client on the file):",
    ]
    for title, sql in EXAMPLE_QUERIES:
        lines += ["", f"-- {title}", sql + ";"]
    if result.report is not None:
        lines += ["", f"Report, one page per session (open in a browser): {result.report.index}"]
    return "\n".join(lines)


def _models_line(models: Optional[object]) -> str:
    built = getattr(models, "models", None) or []
    checks = getattr(models, "dq", None) or {}
    found = {name: n for name, n in (checks.items() if isinstance(checks, dict) else []) if n}
    detail = ", ".join(f"{name} {n}" for name, n in found.items()) if found else "none"
    return f"{len(built)} built in schema analytics; data-quality problem rows: {detail}"


def _counts(counts: Dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
