-- one row per account over its whole covered range
-- grain: session_id, account_id
-- not_null: session_id, account_id, month_count, first_month, last_month
-- month_count: months of the account
-- covered_month_count: months with at least one covered day
-- full_month_count: months covered from the 1st to the last day
-- days_covered: covered days over the whole range
-- last_closing_balance: closing balance of the last month (INR, DECIMAL(18,2))
-- avg_monthly_balance: average of the covered months' avg_eod_balance (INR, DECIMAL(18,2))
-- avg_monthly_credit_amount: average monthly credits (INR, DECIMAL(18,2))
-- avg_monthly_debit_amount: average monthly debits (INR, DECIMAL(18,2))
-- credit_amount: sum of credits over the whole range (INR, DECIMAL(18,2))
-- debit_amount: sum of debits over the whole range (INR, DECIMAL(18,2))
-- salary_month_count: months with a salary
-- salary_amount: sum of salary over the whole range (INR, DECIMAL(18,2))
-- salary_regularity: share of covered months with a salary (0-1)
-- emi_amount: sum of EMIs over the whole range (INR, DECIMAL(18,2))
-- negative_eod_days: days that ended below zero over the whole range
with

account_monthly as (
    select * from analytics.account_monthly
),

account_ranges as (
    select * from analytics.int_account_ranges
),

account_details as (
    select * from analytics.stg_account_details
),

accounts as (
    select * from analytics.stg_accounts
),

monthly_totals as (
    -- averages are over months with at least one covered day
    select
        session_id,
        account_id,
        count(*) as month_count,
        count(*) filter (where days_covered > 0) as covered_month_count,
        count(*) filter (where days_covered > 0 and not is_partial_month) as full_month_count,
        min(month) as first_month,
        max(month) as last_month,
        sum(days_covered) as days_covered,
        avg(avg_eod_balance) filter (where days_covered > 0) as avg_monthly_balance,
        avg(credit_amount) filter (where days_covered > 0) as avg_monthly_credit_amount,
        avg(debit_amount) filter (where days_covered > 0) as avg_monthly_debit_amount,
        sum(credit_count) as credit_count,
        sum(credit_amount) as credit_amount,
        sum(debit_count) as debit_count,
        sum(debit_amount) as debit_amount,
        count(*) filter (where salary_count > 0) as salary_month_count,
        sum(salary_amount) as salary_amount,
        sum(emi_amount) as emi_amount,
        sum(inward_bounce_count) as inward_bounce_count,
        sum(outward_cheque_bounce_count) as outward_cheque_bounce_count,
        sum(bounce_charge_count) as bounce_charge_count,
        sum(negative_eod_days) as negative_eod_days
    from account_monthly
    group by session_id, account_id
),

last_months as (
    select session_id, account_id, month, closing_balance
    from account_monthly
),

final as (
    select
        monthly_totals.session_id,
        monthly_totals.account_id,
        coalesce(account_details.bank_name, accounts.bank_name) as bank_name,
        account_details.account_category,
        accounts.account_status,
        account_ranges.first_covered_date,
        account_ranges.last_covered_date,
        monthly_totals.first_month,
        monthly_totals.last_month,
        monthly_totals.month_count,
        monthly_totals.covered_month_count,
        monthly_totals.full_month_count,
        cast(monthly_totals.days_covered as integer) as days_covered,
        last_months.closing_balance as last_closing_balance,
        cast(monthly_totals.avg_monthly_balance as decimal(18, 2)) as avg_monthly_balance,
        cast(monthly_totals.avg_monthly_credit_amount as decimal(18, 2)) as avg_monthly_credit_amount,
        cast(monthly_totals.avg_monthly_debit_amount as decimal(18, 2)) as avg_monthly_debit_amount,
        cast(monthly_totals.credit_count as integer) as credit_count,
        cast(monthly_totals.credit_amount as decimal(18, 2)) as credit_amount,
        cast(monthly_totals.debit_count as integer) as debit_count,
        cast(monthly_totals.debit_amount as decimal(18, 2)) as debit_amount,
        monthly_totals.salary_month_count,
        cast(monthly_totals.salary_amount as decimal(18, 2)) as salary_amount,
        -- salary regularity: share of covered months with a salary
        cast(
            1.0 * monthly_totals.salary_month_count / nullif(monthly_totals.covered_month_count, 0)
            as decimal(10, 4)
        ) as salary_regularity,
        cast(monthly_totals.emi_amount as decimal(18, 2)) as emi_amount,
        cast(monthly_totals.inward_bounce_count as integer) as inward_bounce_count,
        cast(monthly_totals.outward_cheque_bounce_count as integer) as outward_cheque_bounce_count,
        cast(monthly_totals.bounce_charge_count as integer) as bounce_charge_count,
        cast(monthly_totals.negative_eod_days as integer) as negative_eod_days
    from monthly_totals
    inner join account_ranges
        on monthly_totals.session_id = account_ranges.session_id
        and monthly_totals.account_id = account_ranges.account_id
    inner join last_months
        on monthly_totals.session_id = last_months.session_id
        and monthly_totals.account_id = last_months.account_id
        and monthly_totals.last_month = last_months.month
    left join account_details
        on monthly_totals.session_id = account_details.session_id
        and monthly_totals.account_id = account_details.account_id
    left join accounts
        on monthly_totals.session_id = accounts.session_id
        and monthly_totals.account_id = accounts.account_id
)

select * from final
