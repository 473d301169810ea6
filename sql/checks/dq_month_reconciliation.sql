-- one row per account month whose opening balance + credits - debits is not its closing balance
-- grain: session_id, account_id, month
-- expected_closing_balance: opening_balance + credit_amount - debit_amount (INR, DECIMAL(18,2))
-- difference_amount: closing_balance minus expected_closing_balance (INR, DECIMAL(18,2))
with

account_monthly as (
    select * from analytics.account_monthly
),

final as (
    select
        session_id,
        account_id,
        month,
        opening_balance,
        credit_amount,
        debit_amount,
        cast(opening_balance + credit_amount - debit_amount as decimal(18, 2)) as expected_closing_balance,
        closing_balance,
        cast(closing_balance - (opening_balance + credit_amount - debit_amount) as decimal(18, 2)) as difference_amount
    from account_monthly
    where closing_balance <> opening_balance + credit_amount - debit_amount
)

select * from final
