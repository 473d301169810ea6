-- one row per date range the account's statements do not cover
-- missing_from_date: first day the statements do not cover
-- missing_to_date: last day the statements do not cover
with

source as (
    select * from bankconnect.missing_data
),

final as (
    select
        session_id,
        account_id,
        seq,
        cast(from_date as date) as missing_from_date,
        cast(to_date as date) as missing_to_date
    from source
)

select * from final
