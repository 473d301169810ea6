-- one row per transaction whose balance is not the previous balance plus or minus its amount (statement order)
-- grain: session_id, account_id, seq
-- previous_balance: balance of the previous transaction in statement order (INR, DECIMAL(18,2))
-- expected_balance: previous_balance plus or minus amount (INR, DECIMAL(18,2))
-- difference_amount: balance minus expected_balance (INR, DECIMAL(18,2))
with

transactions as (
    select * from analytics.stg_transactions
),

with_previous as (
    select
        *,
        lag(balance) over (partition by session_id, account_id order by seq) as previous_balance
    from transactions
),

final as (
    select
        session_id,
        account_id,
        seq,
        transaction_hash,
        transaction_date,
        transaction_type,
        amount,
        previous_balance,
        cast(previous_balance + signed_amount as decimal(18, 2)) as expected_balance,
        balance,
        cast(balance - (previous_balance + signed_amount) as decimal(18, 2)) as difference_amount
    from with_previous
    where balance <> previous_balance + signed_amount
)

select * from final
