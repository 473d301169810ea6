-- one row per account per month listed in account_details months[] / uploaded_months[]
with

source as (
    select * from bankconnect.account_months
),

final as (
    select
        session_id,
        account_id,
        cast(month as date) as month,
        coalesce(is_listed, false) as is_listed,
        coalesce(is_uploaded, false) as is_uploaded
    from source
)

select * from final
