-- one row per account (insights account_details)
-- holder_name: account holder name as loaded (after --pii)
-- bank_name: bank short name
-- od_limit_amount: overdraft limit (INR, DECIMAL(18,2))
-- credit_limit_amount: credit limit (INR, DECIMAL(18,2))
with

source as (
    select * from bankconnect.account_details
),

final as (
    select
        session_id,
        account_id,
        name as holder_name,
        lower(trim(account_category)) as account_category,
        account_number,
        lower(trim(bank)) as bank_name,
        ifsc,
        lower(trim(currency_code)) as currency_code,
        cast(od_limit as decimal(18, 2)) as od_limit_amount,
        cast(credit_limit as decimal(18, 2)) as credit_limit_amount,
        cast(account_from_date as date) as account_from_date,
        cast(account_to_date as date) as account_to_date,
        cast(transaction_from_date as date) as transaction_from_date,
        cast(transaction_to_date as date) as transaction_to_date
    from source
)

select * from final
