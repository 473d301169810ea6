-- one row per salary credit (session, account, position in salary_transactions)
-- transaction_hash: FinBox transaction hash (raw hash)
-- transaction_date: date of the salary credit
-- transaction_month: month of the salary credit, DATE on the 1st
with

source as (
    select * from bankconnect.salary_transactions
),

final as (
    select
        session_id,
        account_id,
        seq,
        hash as transaction_hash,
        cast(date as date) as transaction_date,
        cast(date_trunc('month', date) as date) as transaction_month,
        -- the month the salary pays for (API `salary_month`, e.g. 'Nov-2023' credited in December)
        cast(salary_month as date) as salary_month,
        cast(amount as decimal(18, 2)) as amount,
        cast(balance as decimal(18, 2)) as balance,
        employer_name,
        lower(trim(transaction_channel)) as transaction_channel,
        transaction_note
    from source
)

select * from final
