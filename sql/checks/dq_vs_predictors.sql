-- one row per account predictor month metric where the API's predictors disagree with account_monthly
-- grain: session_id, account_id, month_index, metric
-- metric: the predictor family
-- our_value: our figure from account_monthly (amounts in INR)
-- api_value: the API's figure
-- difference: our_value minus api_value
-- tolerance: allowed difference: 0 for sums, counts and balances, 0.01 for averages
with

account_monthly as (
    select * from analytics.account_monthly
),

predictors_monthly as (
    select * from analytics.stg_predictors_monthly
),

ours as (
    -- the predictor families that map one-to-one onto account_monthly; tolerance 0.01 for averages
    select session_id, account_id, month, 'expense' as metric,
        debit_amount as our_value, cast(0 as decimal(18, 2)) as tolerance from account_monthly
    union all
    select session_id, account_id, month, 'debits', debit_amount, 0 from account_monthly
    union all
    select session_id, account_id, month, 'credits', credit_amount, 0 from account_monthly
    union all
    select session_id, account_id, month, 'cnt_debit_transaction', debit_count, 0 from account_monthly
    union all
    select session_id, account_id, month, 'cnt_credit_transaction', credit_count, 0 from account_monthly
    union all
    select session_id, account_id, month, 'number_of_transactions', transaction_count, 0 from account_monthly
    union all
    select session_id, account_id, month, 'avg_balance', avg_eod_balance, 0.01 from account_monthly
    union all
    select session_id, account_id, month, 'bal_last', closing_balance, 0 from account_monthly
    union all
    select session_id, account_id, month, 'total_salary', salary_amount, 0 from account_monthly
    union all
    select session_id, account_id, month, 'cnt_salary', salary_count, 0 from account_monthly
),

api as (
    select
        session_id,
        account_id,
        month_index,
        month,
        metric,
        cast(metric_value as decimal(18, 2)) as api_value
    from predictors_monthly
    where metric_value is not null
        and month is not null
        and metric in (
            'expense', 'debits', 'credits', 'cnt_debit_transaction', 'cnt_credit_transaction',
            'number_of_transactions', 'avg_balance', 'bal_last', 'total_salary', 'cnt_salary'
        )
),

compared as (
    select
        api.session_id,
        api.account_id,
        api.month_index,
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
    select *
    from compared
    where our_value is null
        or abs(difference) > coalesce(tolerance, 0)
)

select * from final
