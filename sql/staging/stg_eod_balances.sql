-- one row per account per day that has an end-of-day balance
with

source as (
    select * from bankconnect.eod_balances
),

final as (
    select
        session_id,
        account_id,
        cast(date as date) as balance_date,
        cast(date_trunc('month', date) as date) as balance_month,
        cast(balance as decimal(18, 2)) as eod_balance
    from source
)

select * from final
