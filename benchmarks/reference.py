"""The reference floor: DuckDB alone reads the insights JSON files into typed tables with SQL.

`python -m benchmarks.reference --files-list LIST --db PATH [--tables 2|4]` (LIST: one insights file
per line). Builds `transactions` (one row per transaction, statement order, DECIMAL(18,2) money, DATE
days) and `eod_balances` (one row per day with a balance; month keys like `Aug-25` are dynamic, read
with the JSON functions); with `--tables 4` also `monthly_analysis` (one row per account, month and
metric) and `predictors` (one row per account and predictor, the number and the text), the four
largest tables `bankconnect load` writes. Prints {"seconds", "rows": {...}} as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

TXN = ("STRUCT(hash VARCHAR, date VARCHAR, transaction_type VARCHAR, amount DECIMAL(18,2), "
       "balance DECIMAL(18,2), transaction_note VARCHAR, chq_num VARCHAR, category VARCHAR, "
       "metadata STRUCT(transaction_channel VARCHAR, description VARCHAR, merchant_category VARCHAR, "
       "unclean_merchant VARCHAR))")
ACCOUNTS = f"STRUCT(account_id VARCHAR, data STRUCT(transactions {TXN}[], eod_balances JSON))[]"
ACCOUNTS_4 = (f"STRUCT(account_id VARCHAR, data STRUCT(transactions {TXN}[], eod_balances JSON, "
              f"monthly_analysis MAP(VARCHAR, MAP(VARCHAR, VARCHAR)), predictors MAP(VARCHAR, VARCHAR)))[]")

SQL = """
create table raw as
select session_id, accounts
from read_json($files, format = 'auto', maximum_object_size = 268435456,
               columns = {{session_id: 'VARCHAR', accounts: '{accounts}'}});

create table transactions as
with acc as (
    select r.session_id, a.account_id, a.data.transactions as txns
    from raw r, unnest(r.accounts) as u(a)
), t as (
    select session_id, account_id, generate_subscripts(txns, 1) - 1 as seq, unnest(txns) as t from acc
)
select session_id, account_id, seq::INTEGER as seq, t.hash,
       cast(strptime(t.date, '%Y-%m-%d %H:%M:%S') as DATE) as date,
       t.transaction_type, t.amount, t.balance, t.transaction_note, t.chq_num, t.category,
       t.metadata.transaction_channel, t.metadata.description, t.metadata.merchant_category,
       t.metadata.unclean_merchant
from t;

create table eod_balances as
with acc as (
    select r.session_id, a.account_id, a.data.eod_balances as eod
    from raw r, unnest(r.accounts) as u(a)
), months as (
    select session_id, account_id, eod, unnest(json_keys(eod)) as label from acc
), lists as (
    select session_id, account_id,
           cast(strptime(label, '%b-%y') as DATE) as month,
           cast(json_extract(eod, '$."' || label || '"') as DOUBLE[]) as daily
    from months
    where label not in ('Months_order', 'start_date', 'starting_balance')
), days as (
    select session_id, account_id, month, generate_subscripts(daily, 1) as day, unnest(daily) as balance
    from lists
)
select session_id, account_id, cast(month + (day - 1) * interval 1 day as DATE) as date,
       cast(balance as DECIMAL(18,2)) as balance
from days
where balance is not null and day <= day(last_day(month));

{more}
drop table raw;
"""

# monthly_analysis: {metric: {"Aug-2025": value}}; predictors: {name: value} (month_N labels included)
MORE_TABLES = """
create table monthly_analysis as
with acc as (
    select r.session_id, a.account_id, a.data.monthly_analysis as ma
    from raw r, unnest(r.accounts) as u(a)
), metrics as (
    select session_id, account_id, unnest(map_entries(ma)) as m from acc
), months as (
    select session_id, account_id, m.key as metric, unnest(map_entries(m.value)) as v from metrics
)
select session_id, account_id, cast(try_strptime(v.key, '%b-%Y') as DATE) as month, metric,
       try_cast(v.value as DOUBLE) as value
from months;

create table predictors as
with acc as (
    select r.session_id, a.account_id, a.data.predictors as p
    from raw r, unnest(r.accounts) as u(a)
), entries as (
    select session_id, account_id, unnest(map_entries(p)) as e from acc
)
select session_id, account_id, e.key as name, try_cast(e.value as DOUBLE) as value, e.value as value_text
from entries;
"""


def run(files: list, db: str, tables: int = 2) -> dict:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(db)
    sql = SQL.format(accounts=ACCOUNTS_4 if tables == 4 else ACCOUNTS, more=MORE_TABLES if tables == 4 else "")
    names = ("transactions", "eod_balances") + (("monthly_analysis", "predictors") if tables == 4 else ())
    try:
        con.execute("set enable_progress_bar = false")
        for statement in [s for s in sql.split(";") if s.strip()]:
            con.execute(statement, {"files": files} if "$files" in statement else None)
        rows = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in names}
        con.execute("checkpoint")
    finally:
        con.close()
    return {"seconds": round(time.perf_counter() - started, 3), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files-list", required=True, type=Path)
    parser.add_argument("--db", required=True)
    parser.add_argument("--tables", type=int, choices=(2, 4), default=2)
    args = parser.parse_args()
    files = [line.strip() for line in args.files_list.read_text().splitlines() if line.strip()]
    print(json.dumps(run(files, args.db, args.tables)))


if __name__ == "__main__":
    main()
