"""Shared test fixtures: a local API on 127.0.0.1, credentials in the environment, temp databases."""

from __future__ import annotations

import duckdb
import pytest

from pipelines import duckdb_file
from tests.apiserver import API_KEY, DOCS_ID, SEED_ID, SERVER_HASH, ApiServer  # noqa: F401 (re-exported)



@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Credentials for the local API, fast retries, and no ~/.dlt or ./.dlt from the developer."""
    monkeypatch.setenv("SOURCES__BANKCONNECT__API_KEY", API_KEY)
    monkeypatch.setenv("SOURCES__BANKCONNECT__SERVER_HASH", SERVER_HASH)
    monkeypatch.setenv("SOURCES__BANKCONNECT__BACKOFF_FACTOR", "0")
    monkeypatch.setenv("SOURCES__BANKCONNECT__MAX_ATTEMPTS", "3")
    monkeypatch.delenv("SOURCES__BANKCONNECT__BASE_URL", raising=False)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt-data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def api():
    server = ApiServer().start()
    yield server
    server.stop()


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "bank.duckdb")


def query(db_path: str, sql: str, *params):
    """Rows of a query against a database file (opened read-only, closed at once)."""
    con = duckdb.connect(db_path, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def table_counts(db_path: str) -> dict:
    """Row count of every table in schema bankconnect (dlt's own tables left out)."""
    con = duckdb.connect(db_path, read_only=True)
    try:
        return duckdb_file.table_counts(con)
    finally:
        con.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """A demo database built once per test run: 6 simulated sessions loaded, modelled and reported
    (`bankconnect demo`; the report lands in bank-report/ beside the file)."""
    import os

    from pipelines.demo import run_demo

    path = tmp_path_factory.mktemp("demo") / "bank.duckdb"
    saved = dict(os.environ)
    try:
        os.environ["DLT_DATA_DIR"] = str(path.parent / "dlt-data")
        run_demo(str(path), sessions=6, seed=7, echo=lambda line: None)
    finally:  # run_demo sets throwaway credentials in the environment
        os.environ.clear()
        os.environ.update(saved)
    return str(path)
