-- one row per account predictor month metric where the API's predictors disagree with account_monthly
-- grain: session_id, account_id, month_index, metric
with

comparison as (
    select * from analytics.int_metric_comparison
),

final as (
    select
        session_id,
        account_id,
        month_index,
        month,
        metric,
        our_value,
        api_value,
        difference,
        tolerance
    from comparison
    where api_source = 'predictors'
        and is_mismatch
)

select * from final
