-- one row per run of consecutive covered days that have no end-of-day balance row from the API
-- grain: session_id, account_id, gap_from_date
-- gap_from_date: first day of the run without an eod row
-- gap_to_date: last day of the run without an eod row
-- gap_day_count: days in the run
-- days_filled_from_transactions: days of the run whose balance came from a transaction
with

daily_balances as (
    select * from analytics.int_daily_balances
),

missing_days as (
    select
        session_id,
        account_id,
        balance_date,
        balance_source
    from daily_balances
    where not has_eod_row
),

numbered as (
    -- consecutive missing days share the same date minus their position (gaps and islands)
    select
        *,
        balance_date - cast(
            row_number() over (partition by session_id, account_id order by balance_date) as integer
        ) as run_key
    from missing_days
),

final as (
    select
        session_id,
        account_id,
        min(balance_date) as gap_from_date,
        max(balance_date) as gap_to_date,
        count(*) as gap_day_count,
        count(*) filter (where balance_source = 'transaction') as days_filled_from_transactions
    from numbered
    group by session_id, account_id, run_key
)

select * from final
