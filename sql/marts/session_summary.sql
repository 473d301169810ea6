-- one row per session that was requested or holds data
-- grain: session_id
-- not_null: session_id, account_count, month_count
-- account_count: accounts in the session
-- month_count: account-months in the session
-- first_month: first month of any account, DATE on the 1st
-- last_month: last month of any account, DATE on the 1st
-- running_balance_problem_count: rows in dq_running_balance
-- month_reconciliation_problem_count: rows in dq_month_reconciliation
-- vs_api_monthly_problem_count: rows in dq_vs_api_monthly
-- vs_predictors_problem_count: rows in dq_vs_predictors
-- duplicate_hash_count: rows in dq_duplicate_hashes
-- missing_data_range_count: rows in dq_missing_data
-- eod_gap_count: rows in dq_eod_gaps
-- fraud_flag_count: fraud flags on the session's accounts
with

sessions as (
    select * from analytics.stg_sessions
),

accounts as (
    select * from analytics.stg_accounts
),

account_monthly as (
    select * from analytics.account_monthly
),

problem_counts as (
    select * from analytics.int_session_problem_counts
),

session_ids as (
    select session_id from sessions
    union
    select session_id from accounts
    union
    select session_id from account_monthly
),

session_accounts as (
    select session_id, account_id from accounts
    union
    select session_id, account_id from account_monthly
),

account_counts as (
    select session_id, count(*) as account_count
    from session_accounts
    group by session_id
),

monthly_totals as (
    select
        session_id,
        count(distinct month) as month_count,
        min(month) as first_month,
        max(month) as last_month,
        sum(credit_count) as credit_count,
        sum(credit_amount) as credit_amount,
        sum(debit_count) as debit_count,
        sum(debit_amount) as debit_amount
    from account_monthly
    group by session_id
),

problems_by_session as (
    select
        session_id,
        sum(problem_count) filter (where check_name = 'running_balance') as running_balance_problem_count,
        sum(problem_count) filter (where check_name = 'month_reconciliation') as month_reconciliation_problem_count,
        sum(problem_count) filter (where check_name = 'vs_api_monthly') as vs_api_monthly_problem_count,
        sum(problem_count) filter (where check_name = 'vs_predictors') as vs_predictors_problem_count,
        sum(problem_count) filter (where check_name = 'duplicate_hashes') as duplicate_hash_count,
        sum(problem_count) filter (where check_name = 'missing_data') as missing_data_range_count,
        sum(problem_count) filter (where check_name = 'eod_gaps') as eod_gap_count,
        sum(problem_count) filter (where check_name = 'fraud_flags') as fraud_flag_count
    from problem_counts
    group by session_id
),

final as (
    select
        session_ids.session_id,
        sessions.session_status,
        sessions.error_code,
        sessions.has_insights,
        sessions.last_checked_at,
        cast(coalesce(account_counts.account_count, 0) as integer) as account_count,
        cast(coalesce(monthly_totals.month_count, 0) as integer) as month_count,
        monthly_totals.first_month,
        monthly_totals.last_month,
        cast(coalesce(monthly_totals.credit_count, 0) as integer) as credit_count,
        cast(coalesce(monthly_totals.credit_amount, 0) as decimal(18, 2)) as credit_amount,
        cast(coalesce(monthly_totals.debit_count, 0) as integer) as debit_count,
        cast(coalesce(monthly_totals.debit_amount, 0) as decimal(18, 2)) as debit_amount,
        cast(coalesce(p.running_balance_problem_count, 0) as integer) as running_balance_problem_count,
        cast(coalesce(p.month_reconciliation_problem_count, 0) as integer) as month_reconciliation_problem_count,
        cast(coalesce(p.vs_api_monthly_problem_count, 0) as integer) as vs_api_monthly_problem_count,
        cast(coalesce(p.vs_predictors_problem_count, 0) as integer) as vs_predictors_problem_count,
        cast(coalesce(p.duplicate_hash_count, 0) as integer) as duplicate_hash_count,
        cast(coalesce(p.missing_data_range_count, 0) as integer) as missing_data_range_count,
        cast(coalesce(p.eod_gap_count, 0) as integer) as eod_gap_count,
        cast(coalesce(p.fraud_flag_count, 0) as integer) as fraud_flag_count
    from session_ids
    left join sessions
        on session_ids.session_id = sessions.session_id
    left join account_counts
        on session_ids.session_id = account_counts.session_id
    left join monthly_totals
        on session_ids.session_id = monthly_totals.session_id
    left join problems_by_session as p
        on session_ids.session_id = p.session_id
)

select * from final
