-- one row per account per day that has an end-of-day balance
-- balance_date: the day of the balance
-- balance_month: month of balance_date, DATE on the 1st
-- eod_balance: end-of-day balance reported by the API (INR, DECIMAL(18,2))
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
