-- one row per account per predictor month index (0 = latest month) per metric family
-- metric_value: the API's value (amounts in INR, booleans 1/0)
-- metric_value_text: the API's value when it is not a number
with

source as (
    select * from bankconnect.predictors_monthly
),

final as (
    select
        session_id,
        account_id,
        month_index,
        metric,
        cast(month as date) as month,
        value as metric_value,
        value_text as metric_value_text
    from source
)

select * from final
