-- one row per account per month per API monthly_analysis metric
-- metric_value: the API's value (amounts in INR, booleans 1/0)
-- metric_value_text: the API's value when it is not a number
with

source as (
    select * from bankconnect.monthly_analysis
),

final as (
    select
        session_id,
        account_id,
        cast(month as date) as month,
        metric,
        value as metric_value,
        value_text as metric_value_text
    from source
)

select * from final
