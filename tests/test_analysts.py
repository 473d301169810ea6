"""An analyst's first minute: the database opens in plain DuckDB, the README's queries run unchanged,
and a file named like a schema still works through our commands with a warning on load."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.duckdb_file import collides, collision_warning, connect
from pipelines.runtime import DEFAULT_DATABASE
from tests.apiserver import SEED_ID, fixture
from tests.test_cli import README, run_cli


def readme_example_queries() -> list:
    """The statements of the SQL block under '### Example queries' in the README."""
    section = README.read_text().split("### Example queries", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    return [s.strip() for s in block.split(";") if s.strip()]


def test_default_database_is_bank_duckdb():
    assert DEFAULT_DATABASE == "bank.duckdb"
    assert not collides(DEFAULT_DATABASE)


def test_readme_queries_run_unchanged_in_plain_duckdb(demo_db):
    queries = readme_example_queries()
    assert len(queries) == 4
    con = duckdb.connect(demo_db, read_only=True)
    try:
        results = [con.execute(sql).fetchall() for sql in queries]
        months = con.execute("select count(*) from analytics.account_monthly").fetchone()[0]
        transactions = con.execute("select count(*) from bankconnect.transactions").fetchone()[0]
    finally:
        con.close()
    assert len(results[0]) == months > 0
    assert results[1] == []  # the 6 demo sessions all completed
    assert len(results[2]) > 28 and all(isinstance(r[1], Decimal) for r in results[2])  # exact balances
    assert dict((r[0], r[2]) for r in results[3])["foir_basis"] == \
        "the denominator foir used: salary or eligible_credits (null when both are 0)"
    assert transactions > 0


def test_colliding_file_name_warns_on_load_and_still_works(api, tmp_path):
    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    path = str(tmp_path / "bankconnect.duckdb")
    result = run_cli("load", SEED_ID, "--duckdb", path, "--base-url", api.base_url)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == collision_warning(path)
    assert result.stderr.count("\n") == 1
    con = connect(path, read_only=True)  # through our commands: attached under another name
    try:
        assert con.execute("select count(*) from bankconnect.transactions").fetchone()[0] == 2
    finally:
        con.close()
    plain = duckdb.connect(path, read_only=True)
    try:  # what a plain client hits, and the warning names
        try:
            plain.execute("select count(*) from bankconnect.transactions")
            raise AssertionError("expected the ambiguous-reference error")
        except duckdb.BinderException as exc:
            assert "Ambiguous reference" in str(exc)
    finally:
        plain.close()


def test_collision_warning_text():
    assert collision_warning("/data/bank.duckdb") is None
    assert collides("analytics.duckdb") and collides("x/BankConnect.db")
    assert collision_warning("/data/analytics.duckdb") == (
        "warning: in analytics.duckdb, plain DuckDB clients (CLI, Python, DBeaver) find `analytics.<table>` "
        "ambiguous (DuckDB names the catalog after the file) and need ATTACH 'analytics.duckdb' AS db; USE db; "
        "first; use another file name instead, e.g. --duckdb bank.duckdb")


def test_makefile_cleans_the_new_default():
    makefile = (Path(README).parent / "Makefile").read_text()
    assert "rm -rf $(VENV) bank.duckdb bank-report" in makefile
