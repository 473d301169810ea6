-- one row per session per data-quality check that found problems in it (fraud flags count as a check)
-- grain: session_id, check_name
-- not_null: session_id, check_name, problem_count
-- check_name: the data-quality check (dq_ model without its prefix)
-- problem_count: rows of that check for the session
with

fraud as (
    select * from analytics.stg_fraud
),

dq_running_balance as (
    select * from analytics.dq_running_balance
),

dq_month_reconciliation as (
    select * from analytics.dq_month_reconciliation
),

dq_vs_api_monthly as (
    select * from analytics.dq_vs_api_monthly
),

dq_vs_predictors as (
    select * from analytics.dq_vs_predictors
),

dq_duplicate_hashes as (
    select * from analytics.dq_duplicate_hashes
),

dq_missing_data as (
    select * from analytics.dq_missing_data
),

dq_eod_gaps as (
    select * from analytics.dq_eod_gaps
),

final as (
    select session_id, 'running_balance' as check_name, count(*) as problem_count
    from dq_running_balance group by session_id
    union all
    select session_id, 'month_reconciliation', count(*) from dq_month_reconciliation group by session_id
    union all
    select session_id, 'vs_api_monthly', count(*) from dq_vs_api_monthly group by session_id
    union all
    select session_id, 'vs_predictors', count(*) from dq_vs_predictors group by session_id
    union all
    select session_id, 'duplicate_hashes', count(*) from dq_duplicate_hashes group by session_id
    union all
    select session_id, 'missing_data', count(*) from dq_missing_data group by session_id
    union all
    select session_id, 'eod_gaps', count(*) from dq_eod_gaps group by session_id
    union all
    select session_id, 'fraud_flags', count(*) from fraud group by session_id
)

select * from final
