-- one row per account month metric where the API's monthly_analysis disagrees with account_monthly
-- grain: session_id, account_id, month, metric
-- metric: the API's monthly_analysis metric name
-- our_value: our figure from account_monthly (amounts in INR)
-- api_value: the API's figure
-- difference: our_value minus api_value
-- tolerance: allowed difference: 0 for sums, counts and balances, 0.01 for averages
with

comparison as (
    select * from analytics.int_metric_comparison
),

final as (
    select
        session_id,
        account_id,
        month,
        metric,
        our_value,
        api_value,
        difference,
        tolerance
    from comparison
    where api_source = 'monthly_analysis'
        and is_mismatch
)

select * from final
