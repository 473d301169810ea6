-- one row per date range the API reports as not covered by the account's statements
-- grain: session_id, account_id, seq
-- missing_day_count: days in the missing range
with

missing_data as (
    select * from analytics.stg_missing_data
),

final as (
    select
        session_id,
        account_id,
        seq,
        missing_from_date,
        missing_to_date,
        cast(missing_to_date - missing_from_date + 1 as integer) as missing_day_count
    from missing_data
)

select * from final
