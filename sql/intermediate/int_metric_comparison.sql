-- one row per API figure (monthly_analysis or predictors) that account_monthly also computes, ours beside it
-- grain: api_source, session_id, account_id, month_index, month, metric
-- not_null: api_source, session_id, account_id, month, metric, api_value, is_mismatch
with

account_monthly as (
    select * from analytics.account_monthly
),

monthly_analysis as (
    select * from analytics.stg_monthly_analysis
),

predictors_monthly as (
    select * from analytics.stg_predictors_monthly
),

metric_map as (
    -- the API metrics that map one-to-one onto an account_monthly column; tolerance 0.01 for averages
    select api_source, metric, our_column, cast(tolerance as decimal(18, 2)) as tolerance
    from (values
        ('monthly_analysis', 'opening_balance', 'opening_balance', 0),
        ('monthly_analysis', 'closing_balance', 'closing_balance', 0),
        ('monthly_analysis', 'avg_bal', 'avg_eod_balance', 0.01),
        ('monthly_analysis', 'min_eod_balance', 'min_eod_balance', 0),
        ('monthly_analysis', 'max_eod_balance', 'max_eod_balance', 0),
        ('monthly_analysis', 'amt_credit', 'credit_amount', 0),
        ('monthly_analysis', 'amt_debit', 'debit_amount', 0),
        ('monthly_analysis', 'cnt_credit', 'credit_count', 0),
        ('monthly_analysis', 'cnt_debit', 'debit_count', 0),
        ('monthly_analysis', 'total_amount_of_salary', 'salary_amount', 0),
        ('monthly_analysis', 'number_of_salary_transactions', 'salary_count', 0),
        ('predictors', 'expense', 'debit_amount', 0),
        ('predictors', 'debits', 'debit_amount', 0),
        ('predictors', 'credits', 'credit_amount', 0),
        ('predictors', 'cnt_debit_transaction', 'debit_count', 0),
        ('predictors', 'cnt_credit_transaction', 'credit_count', 0),
        ('predictors', 'number_of_transactions', 'transaction_count', 0),
        ('predictors', 'avg_balance', 'avg_eod_balance', 0.01),
        ('predictors', 'bal_last', 'closing_balance', 0),
        ('predictors', 'total_salary', 'salary_amount', 0),
        ('predictors', 'cnt_salary', 'salary_count', 0)
    ) as mapping (api_source, metric, our_column, tolerance)
),

ours as (
    -- account_monthly's compared columns, one row per column
    select
        account_monthly.session_id,
        account_monthly.account_id,
        account_monthly.month,
        columns.our_column,
        columns.our_value
    from account_monthly
    cross join lateral (values
        ('opening_balance', cast(account_monthly.opening_balance as decimal(18, 2))),
        ('closing_balance', account_monthly.closing_balance),
        ('avg_eod_balance', account_monthly.avg_eod_balance),
        ('min_eod_balance', account_monthly.min_eod_balance),
        ('max_eod_balance', account_monthly.max_eod_balance),
        ('credit_amount', account_monthly.credit_amount),
        ('debit_amount', account_monthly.debit_amount),
        ('credit_count', account_monthly.credit_count),
        ('debit_count', account_monthly.debit_count),
        ('transaction_count', account_monthly.transaction_count),
        ('salary_amount', account_monthly.salary_amount),
        ('salary_count', account_monthly.salary_count)
    ) as columns (our_column, our_value)
),

api_figures as (
    select
        'monthly_analysis' as api_source,
        session_id,
        account_id,
        cast(null as bigint) as month_index,
        month,
        metric,
        metric_value
    from monthly_analysis
    union all
    select 'predictors', session_id, account_id, month_index, month, metric, metric_value
    from predictors_monthly
    where month is not null
),

api as (
    select
        api_figures.api_source,
        api_figures.session_id,
        api_figures.account_id,
        api_figures.month_index,
        api_figures.month,
        api_figures.metric,
        metric_map.our_column,
        metric_map.tolerance,
        cast(api_figures.metric_value as decimal(18, 2)) as api_value
    from api_figures
    inner join metric_map
        on api_figures.api_source = metric_map.api_source
        and api_figures.metric = metric_map.metric
    where api_figures.metric_value is not null
),

compared as (
    select
        api.api_source,
        api.session_id,
        api.account_id,
        api.month_index,
        api.month,
        api.metric,
        cast(ours.our_value as decimal(18, 2)) as our_value,
        api.api_value,
        cast(ours.our_value - api.api_value as decimal(18, 2)) as difference,
        -- no tolerance where we have no such month at all
        case when ours.session_id is not null then api.tolerance end as tolerance
    from api
    left join ours
        on api.session_id = ours.session_id
        and api.account_id = ours.account_id
        and api.month = ours.month
        and api.our_column = ours.our_column
),

final as (
    -- a month the API reports and we do not has no figure of ours: a mismatch too
    select
        *,
        coalesce(our_value is null or abs(difference) > coalesce(tolerance, 0), true) as is_mismatch
    from compared
)

select * from final
