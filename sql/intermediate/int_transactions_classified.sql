-- one row per transaction, with the flags the monthly metrics count
-- grain: session_id, account_id, seq
-- not_null: session_id, account_id, seq, transaction_date, amount, is_credit
-- is_cash_deposit: a cash deposit (credit, cash channel)
-- is_cash_withdrawal: a cash withdrawal (debit, cash channel)
-- is_emi: an EMI: debit with channel auto_debit_payment
-- is_inward_cheque_bounce: the holder's cheque returned unpaid (channel inward_cheque_bounce)
-- is_auto_debit_bounce: the holder's auto-debit mandate returned unpaid (channel auto_debit_payment_bounce)
-- is_outward_cheque_bounce: a cheque the holder deposited came back (channel outward_cheque_bounce)
-- is_bounce_charge: a bounce charge (description chq_bounce_charge or ach_bounce_charge)
-- is_penalty_charge: a penal charge (description penalty_charge)
-- is_self_transfer: a transfer between the holder's own accounts (channel or description self_transfer)
-- is_refund: a refund credit
-- is_loan_credit: a loan disbursal credit (description lender_transaction)
-- is_eligible_credit: a credit counted as income: not self transfer, refund, inward bounce or loan
with

transactions as (
    select * from analytics.stg_transactions
),

flagged as (
    select
        *,
        coalesce(transaction_channel = 'cash_deposit' and is_credit, false) as is_cash_deposit,
        -- the API spells the channel 'cash_withdrawl'
        coalesce(transaction_channel = 'cash_withdrawl' and not is_credit, false) as is_cash_withdrawal,
        coalesce(transaction_channel = 'auto_debit_payment' and not is_credit, false) as is_emi,
        -- inward bounces are the holder's own cheques and auto-debit mandates returned unpaid
        coalesce(transaction_channel = 'inward_cheque_bounce', false) as is_inward_cheque_bounce,
        coalesce(transaction_channel = 'auto_debit_payment_bounce', false) as is_auto_debit_bounce,
        -- outward bounces are cheques the holder deposited that came back
        coalesce(transaction_channel = 'outward_cheque_bounce', false) as is_outward_cheque_bounce,
        coalesce(description in ('chq_bounce_charge', 'ach_bounce_charge'), false) as is_bounce_charge,
        coalesce(description = 'penalty_charge', false) as is_penalty_charge,
        -- the samples tag a self transfer by channel or, on a upi transfer, by description
        coalesce(transaction_channel = 'self_transfer' or description = 'self_transfer', false) as is_self_transfer,
        coalesce(transaction_channel = 'refund', false) as is_refund,
        coalesce(description = 'lender_transaction' and is_credit, false) as is_loan_credit
    from transactions
),

final as (
    select
        *,
        -- credits that are income: not the holder's own money coming back, not borrowed money
        is_credit
        and not is_self_transfer
        and not is_refund
        and not is_inward_cheque_bounce
        and not is_auto_debit_bounce
        and not is_loan_credit as is_eligible_credit
    from flagged
)

select * from final
