"""The `bankconnect` CLI as a user runs it: exit codes, one-line errors, JSON summary, help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import cli
from tests.apiserver import API_KEY, fixture
from tests.conftest import SEED_ID

README = Path(__file__).resolve().parent.parent / "README.md"


def run_cli(*args, env_extra=None, input=None):
    """Run the real console entry point in a subprocess (what a scheduler sees)."""
    import os

    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True,
                          env=env, input=input, timeout=120)


def test_load_json_summary_and_exit_zero_with_recorded_problems(api, db_path):
    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    result = run_cli("load", SEED_ID, "missing", "--duckdb", db_path, "--base-url", api.base_url, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sessions"] == {"completed": 1, "not_found": 1}
    assert summary["rows"]["transactions"] == 2
    assert summary["problems"] == [{"session_id": "missing", "status": "not_found",
                                    "error_code": "SESSION_NOT_FOUND",
                                    "error_message": "The provided session ID is invalid"}]
    assert API_KEY not in result.stdout + result.stderr


def test_bad_credentials_exit_nonzero_with_one_line(api, db_path):
    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    result = run_cli("load", SEED_ID, "--duckdb", db_path, "--base-url", api.base_url,
                     env_extra={"SOURCES__BANKCONNECT__API_KEY": "wrong-key"})
    assert result.returncode == 3
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: the API refused the credentials (ACCESS_DENIED")
    assert "wrong-key" not in result.stderr


@pytest.mark.parametrize("args, env, message", [
    (["load", "../etc/passwd"], {}, "invalid session id"),
    (["load", "abcd", "--base-url", "http://example.com/api"], {}, "refusing plain http"),
    (["load", "abcd"], {"SOURCES__BANKCONNECT__API_KEY": ""}, "SOURCES__BANKCONNECT__API_KEY"),
], ids=["bad-id", "plain-http", "missing-key"])
def test_config_errors_are_one_line_exit_2(db_path, args, env, message):
    result = run_cli(*args, "--duckdb", db_path, env_extra=env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_sessions_file_from_stdin_with_comments_and_webhooks(api, db_path):
    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    stdin = "# nightly batch\n\nabcd\n" + json.dumps(
        {"event_name": "ENRICHMENT_NOTIFICATION", "session_id": "other", "insights_available": True}) + "\n"
    result = run_cli("load", "--sessions-file", "-", "--duckdb", db_path, "--base-url", api.base_url,
                     "--json", input=stdin)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sessions"] == {"completed": 1, "not_found": 1}


def test_human_summary(api, db_path):
    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    result = CliRunner().invoke(cli, ["load", SEED_ID, "--duckdb", db_path, "--base-url", api.base_url])
    assert result.exit_code == 0, result.output
    assert re.search(r"Loaded 1 session\(s\) into .*bank\.duckdb in \d+\.\d s", result.output)
    assert "sessions: completed 1" in result.output and "transactions 2" in result.output


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    readme = README.read_text()
    runner = CliRunner()
    names = cli.list_commands(None)
    assert "simulate" in names and "load" in names
    for name in names:
        command = cli.get_command(None, name)
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, name
        assert f"bankconnect {name}" in readme, f"README does not mention 'bankconnect {name}'"
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in result.output, f"{name} {opt} missing from help"


def test_bankconnect_load_does_not_import_the_simulator():
    code = ("import sys; from pipelines.cli import cli; from click.testing import CliRunner; "
            "CliRunner().invoke(cli, ['load', '--help']); print(sorted(m for m in sys.modules if m.startswith('simulator')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout == "[]\n"


def test_readme_lists_every_raw_table_with_its_columns():
    from sources.bankconnect.tables import TABLES

    readme = README.read_text()
    for table in TABLES.values():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{table.name}` |")), None)
        assert row is not None, f"README has no row for table {table.name}"
        for column, _ in table.columns:
            assert column in row, f"README row of {table.name} misses column {column}"
