-- one row per account of a session (session_status)
with

source as (
    select * from bankconnect.accounts
),

final as (
    select
        session_id,
        account_id,
        lower(trim(bank_name)) as bank_name,
        account_number,
        lower(trim(account_status)) as account_status,
        error_code,
        error_message,
        created_at,
        last_updated_at
    from source
)

select * from final
