-- one row per fraud flag on an account
with

source as (
    select * from bankconnect.fraud
),

final as (
    select
        session_id,
        account_id,
        seq,
        statement_id,
        lower(trim(fraud_type)) as fraud_type,
        lower(trim(fraud_category)) as fraud_category,
        transaction_hash
    from source
)

select * from final
