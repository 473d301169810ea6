-- one row per transaction hash that appears more than once in an account's transactions
-- grain: session_id, account_id, transaction_hash
-- occurrence_count: times the hash appears
-- first_seq: statement position of the first occurrence
-- last_seq: statement position of the last occurrence
-- first_transaction_date: date of the first occurrence
-- last_transaction_date: date of the last occurrence
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
