"""Row counts and content checksums of every table, for comparing two databases loaded from the same data."""

from __future__ import annotations

from typing import Dict, Tuple

import duckdb

from pipelines.duckdb_file import table_names

# Columns that differ between two loads of the same documents: dlt's load and row ids, and when
# this run saw or loaded a session.
RUN_DEPENDENT = {
    "*": {"_dlt_load_id", "_dlt_id"},
    "sessions": {"first_seen_at", "last_checked_at", "data_loaded_at", "data_load_id"},
    "raw_payloads": {"fetched_at"},
}


def table_checksums(db_path: str) -> Dict[str, Tuple[int, str]]:
    """{table: (row count, md5 over the sorted md5s of its rows)} for every table in `bankconnect`.

    Order-independent, so two loads that fetched sessions in a different order compare equal;
    a duplicated or missing row changes the count and the checksum, a changed value the checksum.
    """
    con = duckdb.connect(db_path, read_only=True)
    try:
        tables = table_names(con)
        out = {}
        for table in tables:
            skip = RUN_DEPENDENT["*"] | RUN_DEPENDENT.get(table, set())
            columns = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'bankconnect' "
                "and table_name = ? order by ordinal_position", [table]).fetchall() if r[0] not in skip]
            row = ", ".join(f'"{c}"' for c in columns)
            out[table] = con.execute(
                f"select count(*), md5(coalesce(string_agg(h, ',' order by h), '')) "
                f'from (select md5(cast(row({row}) as varchar)) as h from bankconnect."{table}")').fetchone()
        return out
    finally:
        con.close()
