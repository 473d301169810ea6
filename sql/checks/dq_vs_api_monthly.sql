-- one row per account month metric where the API's monthly_analysis disagrees with account_monthly
-- grain: session_id, account_id, month, metric
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
