"""`bankconnect report`: one HTML page per session and an index, read from the models and raw tables.

Pages hold their data; the chart library (Plotly) and the page's renderer are one asset file beside
them (`report.js`), so the folder works offline from file:// with a restrictive CSP.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from .report_page import ASSET_NAME, headline, index_html, page_file_name, session_html

# name -> SQL returning rows of the sessions in $ids (a VARCHAR[]), grouped by session_id into each page.
_QUERIES: Dict[str, str] = {
    "accounts": """
        select s.*, d.holder_name, d.account_number
        from analytics.account_summary as s
        left join analytics.stg_account_details as d using (session_id, account_id)
        where list_contains($ids, s.session_id) order by s.account_id""",
    "monthly": "select * from analytics.account_monthly where list_contains($ids, session_id) order by account_id, month",
    "daily": """
        select session_id, account_id, balance_date, eod_balance from analytics.int_daily_balances
        where list_contains($ids, session_id) order by account_id, balance_date""",
    "events": """
        select session_id, account_id, transaction_date, amount, balance, transaction_note, unclean_merchant,
               case when is_inward_cheque_bounce then 'cheque bounce (inward)'
                    when is_auto_debit_bounce then 'auto-debit bounce'
                    when is_outward_cheque_bounce then 'cheque bounce (outward)'
                    when is_bounce_charge then 'bounce charge'
                    else 'penal charge' end as event
        from analytics.int_transactions_classified
        where list_contains($ids, session_id) and (is_inward_cheque_bounce or is_auto_debit_bounce
              or is_outward_cheque_bounce or is_bounce_charge or is_penalty_charge)
        order by account_id, transaction_date, seq""",
    "categories": """
        select * from analytics.category_monthly where list_contains($ids, session_id)
        order by account_id, month, category, transaction_channel""",
    "top_transactions": """
        select * from (
            select session_id, account_id, transaction_date, transaction_type, amount, transaction_note,
                   unclean_merchant, category, transaction_channel,
                   row_number() over (partition by session_id, account_id, is_credit order by amount desc, seq) as rank
            from analytics.stg_transactions where list_contains($ids, session_id)
        ) where rank <= 5 order by account_id, transaction_type, rank""",
    "fraud": "select * from analytics.stg_fraud where list_contains($ids, session_id) order by account_id, seq",
}
DQ_ROWS_SHOWN = 20


@dataclass
class ReportResult:
    """What `write_report` wrote: the index, one page per session, and how long it took."""

    out_dir: Path
    index: Path
    pages: Dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def write_report(duckdb_path: str, out_dir: str, session_ids: Sequence[str] = ()) -> ReportResult:
    """Write a page per session (default: every completed session), `index.html` and the asset file.

    Args:
        duckdb_path: the DuckDB file loaded by `bankconnect load` with models built.
        out_dir: folder for the pages (created; existing pages of the same sessions are replaced).
        session_ids: the sessions to draw; none means every completed session.

    Raises:
        ConfigError: no database, models not built, or a named session the database does not hold.
    """
    from .duckdb_file import connect

    started = time.perf_counter()
    con = connect(duckdb_path, read_only=True)
    try:
        sessions = _sessions(con, list(session_ids))
        ids = [s["session_id"] for s in sessions]
        data = {name: _grouped(_rows(con, sql, ids)) for name, sql in _QUERIES.items()}
        data["dq"] = _dq_rows(con, ids)
    finally:
        con.close()
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    _write_asset(out / ASSET_NAME)
    result = ReportResult(out_dir=out, index=out / "index.html")
    database = Path(duckdb_path).name
    listed = []
    for session in sessions:
        sid = session["session_id"]
        mine = {name: rows.get(sid, []) for name, rows in data.items()}
        page = out / page_file_name(sid)
        page.write_text(session_html(session, mine, database), encoding="utf-8")
        result.pages[sid] = page
        listed.append({"session_id": sid, "page": page.name, "headline": headline(session, mine["accounts"])})
    result.index.write_text(index_html(listed, database), encoding="utf-8")
    result.seconds = time.perf_counter() - started
    return result


def write_demo_report(duckdb_path: str) -> ReportResult:
    """The report of every completed session of a database, in `<name>-report/` beside the file."""
    db = Path(duckdb_path)
    return write_report(str(db), str(db.with_name(f"{db.stem}-report")))


def _sessions(con: Any, wanted: List[str]) -> List[Dict[str, Any]]:
    from sources.bankconnect.errors import ConfigError

    try:
        rows = _rows(con, "select * from analytics.session_summary order by session_id", None)
    except Exception as exc:  # duckdb.CatalogException: the models were never built
        raise ConfigError(f"no models in the database: run bankconnect models first ({_one_line(exc)})") from None
    if not wanted:
        return [r for r in rows if r["session_status"] == "completed"]
    by_id = {r["session_id"]: r for r in rows}
    unknown = [s for s in wanted if s not in by_id]
    if unknown:
        raise ConfigError(f"session {unknown[0]} is not in the database (load it first)")
    return [by_id[s] for s in dict.fromkeys(wanted)]


def _dq_rows(con: Any, ids: List[str]) -> Dict[str, List[Dict[str, Any]]]:
    """Per session: {check name: its first rows of the session}, for every dq_ model present."""
    checks = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'analytics' "
        "and table_name like 'dq\\_%' escape '\\' order by 1").fetchall()]
    found: Dict[str, Dict[str, List[Dict[str, Any]]]] = defaultdict(dict)
    for check in checks:
        sql = (f'select * from (select *, row_number() over (partition by session_id) as shown_rank '
               f'from analytics."{check}" where list_contains($ids, session_id)) where shown_rank <= {DQ_ROWS_SHOWN}')
        for session_id, rows in _grouped(_rows(con, sql, ids)).items():
            found[session_id][check] = [{k: v for k, v in r.items() if k != "shown_rank"} for r in rows]
    return {sid: [{"check": c, "rows": rows} for c, rows in checks_.items()] for sid, checks_ in found.items()}


def _rows(con: Any, sql: str, ids: Optional[List[str]]) -> List[Dict[str, Any]]:
    cursor = con.execute(sql, {"ids": ids} if ids is not None else None)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _grouped(rows: Iterable[Dict[str, Any]]) -> Dict[str, List[Dict[str, Any]]]:
    out: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["session_id"]].append(row)
    return out


def _write_asset(path: Path) -> None:
    """Plotly's bundle (from the `plotly` package) followed by the page renderer, written once per folder."""
    bundle = resources.files("plotly") / "package_data" / "plotly.min.js"
    renderer = resources.files("pipelines") / "report.js"
    content = bundle.read_bytes() + b"\n;\n" + renderer.read_bytes()
    if not path.exists() or path.stat().st_size != len(content) or path.read_bytes() != content:
        path.write_bytes(content)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
