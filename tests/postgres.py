"""The optional PostgreSQL the tests may use: BANKCONNECT_TEST_POSTGRES_DSN (`.ci/run` starts one).

Unset: the PostgreSQL tests skip. Set but unusable (a bad DSN, no server): they fail, with the
password masked, because whoever set it asked for them to run.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

import pytest

DSN = os.environ.get("BANKCONNECT_TEST_POSTGRES_DSN")
needs_postgres = pytest.mark.skipif(
    not DSN, reason="BANKCONNECT_TEST_POSTGRES_DSN is not set: no PostgreSQL to test against "
                    "(.ci/run installs and starts one on 127.0.0.1)")
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def hide_password(text: str) -> str:
    """`postgresql://user:secret@host` -> `postgresql://user:***@host`, wherever it appears in text."""
    text = _PASSWORD.sub(r"\1***@", text)
    password = _password(DSN)
    return text.replace(password, "***") if password else text


def _password(dsn: str | None) -> str | None:
    try:
        return urlsplit(dsn or "").password
    except ValueError:
        return None


def with_database(dsn: str, database: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/" + database))


def connect(dsn: str | None = None):
    """A psycopg2 connection (autocommit) to dsn or the configured DSN; fails the test with a readable reason."""
    import psycopg2

    dsn = dsn or DSN
    try:
        con = psycopg2.connect(dsn, connect_timeout=5)
    except psycopg2.Error as exc:
        pytest.fail(f"BANKCONNECT_TEST_POSTGRES_DSN={hide_password(dsn)!r} is set but unusable: "
                    f"{hide_password(' '.join(str(exc).split()))}", pytrace=False)
    con.autocommit = True
    return con
