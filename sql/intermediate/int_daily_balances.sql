-- one row per account per covered day: the end-of-day balance, gaps filled from the previous day
-- grain: session_id, account_id, balance_date
-- not_null: session_id, account_id, balance_date, balance_month, balance_source
-- balance_date: the day
-- balance_month: month of balance_date, DATE on the 1st
-- eod_balance: end-of-day balance: the API's, else after the day's last transaction, else carried forward (INR, DECIMAL(18,2))
-- balance_source: where eod_balance comes from: eod, transaction, carried_forward, initial or unknown
-- has_eod_row: the API sent an end-of-day balance for the day
with

account_ranges as (
    select * from analytics.int_account_ranges
),

eod_balances as (
    select * from analytics.stg_eod_balances
),

transactions as (
    select * from analytics.stg_transactions
),

days as (
    select
        account_ranges.session_id,
        account_ranges.account_id,
        cast(day_series.day_start as date) as balance_date,
        account_ranges.initial_balance
    from account_ranges
    cross join lateral generate_series(
        account_ranges.first_covered_date, account_ranges.last_covered_date, interval '1 day'
    ) as day_series (day_start)
),

transactions_from_day_end as (
    select
        *,
        row_number() over (
            partition by session_id, account_id, transaction_date order by seq desc
        ) as position_from_day_end
    from transactions
),

day_end_transactions as (
    select session_id, account_id, transaction_date, balance
    from transactions_from_day_end
    where position_from_day_end = 1
),

known_balances as (
    -- the API's end-of-day balance wins; else the balance after the day's last transaction
    select
        days.*,
        eod_balances.eod_balance as reported_eod_balance,
        day_end_transactions.balance as day_end_transaction_balance,
        coalesce(eod_balances.eod_balance, day_end_transactions.balance) as known_balance
    from days
    left join eod_balances
        on days.session_id = eod_balances.session_id
        and days.account_id = eod_balances.account_id
        and days.balance_date = eod_balances.balance_date
    left join day_end_transactions
        on days.session_id = day_end_transactions.session_id
        and days.account_id = day_end_transactions.account_id
        and days.balance_date = day_end_transactions.transaction_date
),

balance_groups as (
    -- each known balance opens a group that the following unknown days join (carry forward)
    select
        *,
        count(known_balance) over (
            partition by session_id, account_id order by balance_date
            rows between unbounded preceding and current row
        ) as balance_group
    from known_balances
),

final as (
    select
        session_id,
        account_id,
        balance_date,
        cast(date_trunc('month', balance_date) as date) as balance_month,
        -- days before the first known balance hold the balance before the first transaction
        cast(
            coalesce(
                max(known_balance) over (partition by session_id, account_id, balance_group),
                initial_balance
            ) as decimal(18, 2)
        ) as eod_balance,
        case
            when reported_eod_balance is not null then 'eod'
            when day_end_transaction_balance is not null then 'transaction'
            when balance_group > 0 then 'carried_forward'
            when initial_balance is not null then 'initial'
            -- an account with neither transactions nor eod balances
            else 'unknown'
        end as balance_source,
        reported_eod_balance is not null as has_eod_row
    from balance_groups
)

select * from final
