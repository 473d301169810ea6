-- one row per account per month per transaction category per transaction channel
-- grain: session_id, account_id, month, category, transaction_channel
-- not_null: session_id, account_id, month, category, transaction_channel
-- month: month of the transactions, DATE on the 1st
-- category: FinBox category ('unknown' when none)
-- transaction_channel: FinBox channel ('unknown' when none)
-- transaction_count: transactions of the category and channel in the month
-- credit_count: credits of the category and channel in the month
-- credit_amount: sum of those credits (INR, DECIMAL(18,2))
-- debit_count: debits of the category and channel in the month
-- debit_amount: sum of those debits (INR, DECIMAL(18,2))
with

transactions as (
    select * from analytics.stg_transactions
),

labelled as (
    select
        session_id,
        account_id,
        transaction_month as month,
        coalesce(category, 'unknown') as category,
        coalesce(transaction_channel, 'unknown') as transaction_channel,
        is_credit,
        amount
    from transactions
),

final as (
    select
        session_id,
        account_id,
        month,
        category,
        transaction_channel,
        count(*) as transaction_count,
        count(*) filter (where is_credit) as credit_count,
        cast(coalesce(sum(amount) filter (where is_credit), 0) as decimal(18, 2)) as credit_amount,
        count(*) filter (where not is_credit) as debit_count,
        cast(coalesce(sum(amount) filter (where not is_credit), 0) as decimal(18, 2)) as debit_amount
    from labelled
    group by session_id, account_id, month, category, transaction_channel
)

select * from final
