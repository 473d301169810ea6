-- one row per account per month of the month spine: opening, closing and end-of-day balance statistics
-- grain: session_id, account_id, month
-- not_null: session_id, account_id, month, negative_eod_days
-- opening_balance: balance at the start of the month: the previous month's closing (INR, DECIMAL(18,2))
-- closing_balance: balance after the month's last transaction (statement order), else carried forward (INR, DECIMAL(18,2))
-- avg_eod_balance: average end-of-day balance over the month's covered days (INR, DECIMAL(18,2))
-- min_eod_balance: lowest end-of-day balance in the month (INR, DECIMAL(18,2))
-- max_eod_balance: highest end-of-day balance in the month (INR, DECIMAL(18,2))
-- median_eod_balance: median end-of-day balance in the month (INR, DECIMAL(18,2))
-- negative_eod_days: covered days of the month that ended below zero
-- eod_balance_on_day_5: end-of-day balance on the 5th (INR, DECIMAL(18,2))
-- eod_balance_on_day_10: end-of-day balance on the 10th (INR, DECIMAL(18,2))
-- eod_balance_on_day_15: end-of-day balance on the 15th (INR, DECIMAL(18,2))
-- eod_balance_on_day_20: end-of-day balance on the 20th (INR, DECIMAL(18,2))
-- eod_balance_on_day_25: end-of-day balance on the 25th (INR, DECIMAL(18,2))
-- last_eod_balance: end-of-day balance of the month's last covered day (INR, DECIMAL(18,2))
with

account_months as (
    select * from analytics.int_account_months
),

account_ranges as (
    select * from analytics.int_account_ranges
),

daily_balances as (
    select * from analytics.int_daily_balances
),

transactions as (
    select * from analytics.stg_transactions
),

eod_statistics as (
    select
        session_id,
        account_id,
        balance_month as month,
        avg(eod_balance) as avg_eod_balance,
        min(eod_balance) as min_eod_balance,
        max(eod_balance) as max_eod_balance,
        percentile_cont(0.5) within group (order by cast(eod_balance as double)) as median_eod_balance,
        count(*) filter (where eod_balance < 0) as negative_eod_days,
        max(eod_balance) filter (where extract(day from balance_date) = 5) as eod_balance_on_day_5,
        max(eod_balance) filter (where extract(day from balance_date) = 10) as eod_balance_on_day_10,
        max(eod_balance) filter (where extract(day from balance_date) = 15) as eod_balance_on_day_15,
        max(eod_balance) filter (where extract(day from balance_date) = 20) as eod_balance_on_day_20,
        max(eod_balance) filter (where extract(day from balance_date) = 25) as eod_balance_on_day_25
    from daily_balances
    group by session_id, account_id, balance_month
),

transactions_from_month_end as (
    select
        *,
        row_number() over (
            partition by session_id, account_id, transaction_month order by seq desc
        ) as position_from_month_end
    from transactions
),

month_end_transactions as (
    select session_id, account_id, transaction_month as month, balance
    from transactions_from_month_end
    where position_from_month_end = 1
),

month_ends as (
    select
        account_months.*,
        account_ranges.has_transactions,
        account_ranges.initial_balance,
        last_day.eod_balance as last_eod_balance,
        -- the month ends on its last transaction's balance; an account without transactions on its
        -- last covered day's balance; a month with neither is carried forward below
        case
            when account_ranges.has_transactions then month_end_transactions.balance
            else last_day.eod_balance
        end as known_closing_balance
    from account_months
    inner join account_ranges
        on account_months.session_id = account_ranges.session_id
        and account_months.account_id = account_ranges.account_id
    left join month_end_transactions
        on account_months.session_id = month_end_transactions.session_id
        and account_months.account_id = month_end_transactions.account_id
        and account_months.month = month_end_transactions.month
    left join daily_balances as last_day
        on account_months.session_id = last_day.session_id
        and account_months.account_id = last_day.account_id
        and account_months.covered_to_date = last_day.balance_date
),

closing_groups as (
    select
        *,
        count(known_closing_balance) over (
            partition by session_id, account_id order by month
            rows between unbounded preceding and current row
        ) as closing_group
    from month_ends
),

closings as (
    -- months before the first known closing hold the balance before the first transaction
    select
        *,
        coalesce(
            max(known_closing_balance) over (partition by session_id, account_id, closing_group),
            initial_balance
        ) as closing_balance
    from closing_groups
),

final as (
    select
        closings.session_id,
        closings.account_id,
        closings.month,
        cast(
            coalesce(
                lag(closings.closing_balance) over (
                    partition by closings.session_id, closings.account_id order by closings.month
                ),
                closings.initial_balance
            ) as decimal(18, 2)
        ) as opening_balance,
        cast(closings.closing_balance as decimal(18, 2)) as closing_balance,
        cast(s.avg_eod_balance as decimal(18, 2)) as avg_eod_balance,
        cast(s.min_eod_balance as decimal(18, 2)) as min_eod_balance,
        cast(s.max_eod_balance as decimal(18, 2)) as max_eod_balance,
        cast(s.median_eod_balance as decimal(18, 2)) as median_eod_balance,
        coalesce(s.negative_eod_days, 0) as negative_eod_days,
        cast(s.eod_balance_on_day_5 as decimal(18, 2)) as eod_balance_on_day_5,
        cast(s.eod_balance_on_day_10 as decimal(18, 2)) as eod_balance_on_day_10,
        cast(s.eod_balance_on_day_15 as decimal(18, 2)) as eod_balance_on_day_15,
        cast(s.eod_balance_on_day_20 as decimal(18, 2)) as eod_balance_on_day_20,
        cast(s.eod_balance_on_day_25 as decimal(18, 2)) as eod_balance_on_day_25,
        cast(closings.last_eod_balance as decimal(18, 2)) as last_eod_balance
    from closings
    left join eod_statistics as s
        on closings.session_id = s.session_id
        and closings.account_id = s.account_id
        and closings.month = s.month
)

select * from final
