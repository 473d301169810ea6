-- one row per transaction (session, account, statement position)
-- transaction_hash: FinBox transaction hash (raw hash)
-- transaction_date: date of the transaction
-- transaction_month: month of the transaction, DATE on the 1st
-- cheque_number: cheque or reference number (raw chq_num)
-- is_credit: true for a credit, false for a debit
-- signed_amount: amount with its sign: credits positive, debits negative (INR, DECIMAL(18,2))
with

source as (
    select * from bankconnect.transactions
),

renamed as (
    select
        session_id,
        account_id,
        seq,
        hash as transaction_hash,
        cast(date as date) as transaction_date,
        cast(date_trunc('month', date) as date) as transaction_month,
        lower(trim(transaction_type)) as transaction_type,
        cast(amount as decimal(18, 2)) as amount,
        cast(balance as decimal(18, 2)) as balance,
        -- the samples spell the documented 'Others' as 'Other' and 'upi' as 'UPI'
        case
            when lower(trim(transaction_channel)) = 'other' then 'others'
            else lower(trim(transaction_channel))
        end as transaction_channel,
        lower(trim(description)) as description,
        category,
        lower(trim(merchant_category)) as merchant_category,
        transaction_note,
        chq_num as cheque_number,
        unclean_merchant
    from source
),

final as (
    select
        *,
        transaction_type = 'credit' as is_credit,
        -- balance moves up on a credit and down on a debit
        case when transaction_type = 'credit' then amount else -amount end as signed_amount
    from renamed
)

select * from final
