-- one row per account month metric where the API's monthly_analysis disagrees with account_monthly
-- grain: session_id, account_id, month, metric
-- metric: the API's monthly_analysis metric name
-- our_value: our figure from account_monthly (amounts in INR)
-- api_value: the API's figure
-- difference: our_value minus api_value
-- tolerance: allowed difference: 0 for sums, counts and balances, 0.01 for averages
with

account_monthly as (
    select * from analytics.account_monthly
),

monthly_analysis as (
    select * from analytics.stg_monthly_analysis
),

ours as (
    -- our figure under the API's metric name; tolerance 0 for sums, counts and balances, 0.01 for averages
    select session_id, account_id, month, 'opening_balance' as metric,
        opening_balance as our_value, cast(0 as decimal(18, 2)) as tolerance from account_monthly
    union all
    select session_id, account_id, month, 'closing_balance', closing_balance, 0 from account_monthly
    union all
    select session_id, account_id, month, 'avg_bal', avg_eod_balance, 0.01 from account_monthly
    union all
    select session_id, account_id, month, 'min_eod_balance', min_eod_balance, 0 from account_monthly
    union all
    select session_id, account_id, month, 'max_eod_balance', max_eod_balance, 0 from account_monthly
    union all
    select session_id, account_id, month, 'amt_credit', credit_amount, 0 from account_monthly
    union all
    select session_id, account_id, month, 'amt_debit', debit_amount, 0 from account_monthly
    union all
    select session_id, account_id, month, 'cnt_credit', credit_count, 0 from account_monthly
    union all
    select session_id, account_id, month, 'cnt_debit', debit_count, 0 from account_monthly
    union all
    select session_id, account_id, month, 'total_amount_of_salary', salary_amount, 0 from account_monthly
    union all
    select session_id, account_id, month, 'number_of_salary_transactions', salary_count, 0 from account_monthly
),

api as (
    select
        session_id,
        account_id,
        month,
        metric,
        cast(metric_value as decimal(18, 2)) as api_value
    from monthly_analysis
    where metric_value is not null
        and metric in (
            'opening_balance', 'closing_balance', 'avg_bal', 'min_eod_balance', 'max_eod_balance',
            'amt_credit', 'amt_debit', 'cnt_credit', 'cnt_debit',
            'total_amount_of_salary', 'number_of_salary_transactions'
        )
),

compared as (
    select
        api.session_id,
        api.account_id,
        api.month,
        api.metric,
        cast(ours.our_value as decimal(18, 2)) as our_value,
        api.api_value,
        cast(ours.our_value - api.api_value as decimal(18, 2)) as difference,
        cast(ours.tolerance as decimal(18, 2)) as tolerance
    from api
    left join ours
        on api.session_id = ours.session_id
        and api.account_id = ours.account_id
        and api.month = ours.month
        and api.metric = ours.metric
),

final as (
    -- a month the API reports and we do not has no figure of ours: a problem too
    select *
    from compared
    where our_value is null
        or abs(difference) > coalesce(tolerance, 0)
)

select * from final
