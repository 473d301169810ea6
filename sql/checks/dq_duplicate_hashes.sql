-- one row per transaction hash that appears more than once in an account's transactions
-- grain: session_id, account_id, transaction_hash
with

transactions as (
    select * from analytics.stg_transactions
),

final as (
    select
        session_id,
        account_id,
        transaction_hash,
        count(*) as occurrence_count,
        min(seq) as first_seq,
        max(seq) as last_seq,
        min(transaction_date) as first_transaction_date,
        max(transaction_date) as last_transaction_date
    from transactions
    where transaction_hash is not null
    group by session_id, account_id, transaction_hash
    having count(*) > 1
)

select * from final
