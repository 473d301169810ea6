"""The .sql model files follow the house style and stay portable to PostgreSQL."""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import TokenType

from pipelines.models import LAYERS, discover_models, sql_dir
from tests import postgres

MODELS = discover_models()
FILES = sorted(MODELS.values(), key=lambda m: (list(LAYERS).index(m.layer), m.name))
PREFIX = {"staging": "stg_", "intermediate": "int_", "checks": "dq_"}
# the only place a model names another model or a raw table: an import CTE
IMPORT = re.compile(r"^\s+select \* from (analytics|bankconnect)\.\w+$")

by_name = pytest.mark.parametrize("model", FILES, ids=[m.name for m in FILES])


@by_name
def test_first_line_states_the_grain(model):
    assert model.path.read_text().startswith("-- one row per ")


@by_name
def test_ends_with_select_star_from_final(model):
    assert model.path.read_text().rstrip().splitlines()[-1] == "select * from final"


@by_name
def test_name_matches_its_layer(model):
    prefix = PREFIX.get(model.layer)
    if prefix:
        assert model.name.startswith(prefix)
    else:
        assert not model.name.startswith(tuple(PREFIX.values()))


@by_name
def test_references_only_through_import_ctes(model):
    for line in model.path.read_text().splitlines():
        if "analytics." in line or "bankconnect." in line:
            assert IMPORT.match(line), line
    # staging reads raw tables only; every other layer reads models only
    assert bool(model.raw_tables) == (model.layer == "staging")
    assert bool(model.depends_on) == (model.layer != "staging")


@by_name
def test_keywords_and_functions_are_lowercase(model):
    tokens = DuckDB().tokenize(model.path.read_text())
    for token, following in zip(tokens, tokens[1:] + tokens[:1]):
        is_keyword = token.token_type not in (TokenType.VAR, TokenType.IDENTIFIER, TokenType.STRING)
        is_function = token.token_type == TokenType.VAR and following.token_type == TokenType.L_PAREN
        if (is_keyword or is_function) and token.text.isalpha():
            assert token.text == token.text.lower(), token.text


@by_name
def test_tables_declare_their_grain(model):
    if model.kind == "table":
        assert model.grain, "a table model needs a `-- grain:` line"


@by_name
def test_transpiles_to_postgres(model):
    (sql,) = sqlglot.transpile(model.sql, read="duckdb", write="postgres")
    assert not re.search(r"\b(QUALIFY|LIST_|MEDIAN|STRFTIME)\b", sql)


def test_every_sql_file_is_a_model():
    assert sorted(p.stem for p in sql_dir().rglob("*.sql")) == sorted(MODELS)


# --- optional: the same models on a real PostgreSQL -----------------------------------------------

PG_TYPES = {"VARCHAR": "text", "DATE": "date", "BIGINT": "bigint", "DOUBLE": "double precision",
            "BOOLEAN": "boolean", "TIMESTAMP WITH TIME ZONE": "timestamptz", "DECIMAL(18,2)": "numeric(18,2)"}


@postgres.needs_postgres
@pytest.mark.parametrize("tables", ["clean_tables", "broken_tables", "seed_tables"])
def test_models_give_the_same_rows_on_postgres(tables):
    """Copy the raw rows to PostgreSQL, build the transpiled models there, compare every table."""
    import tests.test_models as fixtures
    from pipelines.models import _build_order

    duck = fixtures.build(getattr(fixtures, tables)()).con
    pg = postgres.connect()
    cur = pg.cursor()
    # generate_series' default 1000-row estimate makes tiny queries look costly enough to JIT (seconds)
    cur.execute("set jit = off")
    cur.execute("drop schema if exists bankconnect cascade; drop schema if exists analytics cascade; "
                "create schema bankconnect; create schema analytics")
    for (table,) in duck.execute(
            "select table_name from information_schema.tables where table_schema = 'bankconnect'").fetchall():
        columns = duck.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'bankconnect' "
            "and table_name = ? order by ordinal_position", [table]).fetchall()
        cur.execute(f"create table bankconnect.{table} ({', '.join(f'{c} {PG_TYPES[t]}' for c, t in columns)})")
        data = duck.execute(f"select * from bankconnect.{table}").fetchall()
        if data:
            cur.executemany(f"insert into bankconnect.{table} values ({', '.join(['%s'] * len(columns))})", data)
    order = _build_order(MODELS, None)
    for name in order:
        (sql,) = sqlglot.transpile(MODELS[name].sql, read="duckdb", write="postgres")
        cur.execute(f"create {MODELS[name].kind} analytics.{name} as {sql}")
    for name in (n for n in order if MODELS[n].kind == "table"):
        columns = ", ".join(r[0] for r in duck.execute(
            "select column_name from information_schema.columns where table_schema = 'analytics' "
            "and table_name = ? order by ordinal_position", [name]).fetchall())
        cur.execute(f"select {columns} from analytics.{name}")
        # money is Decimal and days are date on both sides, so repr() compares exactly
        assert sorted(map(repr, cur.fetchall())) == sorted(
            map(repr, duck.execute(f"select {columns} from analytics.{name}").fetchall())), name
    pg.close()
