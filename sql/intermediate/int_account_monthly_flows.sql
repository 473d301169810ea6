-- one row per account per month of the month spine: transaction counts and amounts by kind
-- grain: session_id, account_id, month
-- not_null: session_id, account_id, month, credit_count, credit_amount, debit_count, debit_amount, salary_count, salary_amount
-- transaction_count: transactions in the month
-- credit_count: credits in the month
-- credit_amount: sum of credits (INR, DECIMAL(18,2))
-- debit_count: debits in the month
-- debit_amount: sum of debits (INR, DECIMAL(18,2))
-- cash_deposit_count: cash deposits
-- cash_deposit_amount: sum of cash deposits (INR, DECIMAL(18,2))
-- cash_withdrawal_count: cash withdrawals
-- cash_withdrawal_amount: sum of cash withdrawals (INR, DECIMAL(18,2))
-- salary_count: salary credits counted in their salary_month
-- salary_amount: sum of salary credits for the month (INR, DECIMAL(18,2))
-- emi_count: EMIs (debits with channel auto_debit_payment)
-- emi_amount: sum of EMIs (INR, DECIMAL(18,2))
-- inward_cheque_bounce_count: the holder's cheques returned unpaid
-- auto_debit_bounce_count: the holder's auto-debit mandates returned unpaid
-- outward_cheque_bounce_count: cheques the holder deposited that came back
-- bounce_charge_count: bounce charges (chq_bounce_charge, ach_bounce_charge)
-- bounce_charge_amount: sum of bounce charges (INR, DECIMAL(18,2))
-- penalty_charge_count: penal charges (description penalty_charge)
-- self_transfer_in_amount: credits from the holder's own accounts (INR, DECIMAL(18,2))
-- self_transfer_out_amount: debits to the holder's own accounts (INR, DECIMAL(18,2))
-- eligible_credit_amount: credits counted as income: not self transfers, refunds, inward bounces or loans (INR, DECIMAL(18,2))
with

account_months as (
    select * from analytics.int_account_months
),

transactions as (
    select * from analytics.int_transactions_classified
),

salary_transactions as (
    select * from analytics.stg_salary_transactions
),

transaction_sums as (
    select
        session_id,
        account_id,
        transaction_month as month,
        count(*) as transaction_count,
        count(*) filter (where is_credit) as credit_count,
        sum(amount) filter (where is_credit) as credit_amount,
        count(*) filter (where not is_credit) as debit_count,
        sum(amount) filter (where not is_credit) as debit_amount,
        count(*) filter (where is_cash_deposit) as cash_deposit_count,
        sum(amount) filter (where is_cash_deposit) as cash_deposit_amount,
        count(*) filter (where is_cash_withdrawal) as cash_withdrawal_count,
        sum(amount) filter (where is_cash_withdrawal) as cash_withdrawal_amount,
        count(*) filter (where is_emi) as emi_count,
        sum(amount) filter (where is_emi) as emi_amount,
        count(*) filter (where is_inward_cheque_bounce) as inward_cheque_bounce_count,
        count(*) filter (where is_auto_debit_bounce) as auto_debit_bounce_count,
        count(*) filter (where is_outward_cheque_bounce) as outward_cheque_bounce_count,
        count(*) filter (where is_bounce_charge) as bounce_charge_count,
        sum(amount) filter (where is_bounce_charge) as bounce_charge_amount,
        count(*) filter (where is_penalty_charge) as penalty_charge_count,
        sum(amount) filter (where is_self_transfer and is_credit) as self_transfer_in_amount,
        sum(amount) filter (where is_self_transfer and not is_credit) as self_transfer_out_amount,
        sum(amount) filter (where is_eligible_credit) as eligible_credit_amount
    from transactions
    group by session_id, account_id, transaction_month
),

salary_sums as (
    -- a salary counts in the month it pays for (FinBox's own monthly figures do the same);
    -- a salary without salary_month counts in the month it was credited
    select
        session_id,
        account_id,
        coalesce(salary_month, transaction_month) as month,
        count(*) as salary_count,
        sum(amount) as salary_amount
    from salary_transactions
    group by session_id, account_id, coalesce(salary_month, transaction_month)
),

final as (
    select
        account_months.session_id,
        account_months.account_id,
        account_months.month,
        coalesce(t.transaction_count, 0) as transaction_count,
        coalesce(t.credit_count, 0) as credit_count,
        cast(coalesce(t.credit_amount, 0) as decimal(18, 2)) as credit_amount,
        coalesce(t.debit_count, 0) as debit_count,
        cast(coalesce(t.debit_amount, 0) as decimal(18, 2)) as debit_amount,
        coalesce(t.cash_deposit_count, 0) as cash_deposit_count,
        cast(coalesce(t.cash_deposit_amount, 0) as decimal(18, 2)) as cash_deposit_amount,
        coalesce(t.cash_withdrawal_count, 0) as cash_withdrawal_count,
        cast(coalesce(t.cash_withdrawal_amount, 0) as decimal(18, 2)) as cash_withdrawal_amount,
        coalesce(s.salary_count, 0) as salary_count,
        cast(coalesce(s.salary_amount, 0) as decimal(18, 2)) as salary_amount,
        coalesce(t.emi_count, 0) as emi_count,
        cast(coalesce(t.emi_amount, 0) as decimal(18, 2)) as emi_amount,
        coalesce(t.inward_cheque_bounce_count, 0) as inward_cheque_bounce_count,
        coalesce(t.auto_debit_bounce_count, 0) as auto_debit_bounce_count,
        coalesce(t.outward_cheque_bounce_count, 0) as outward_cheque_bounce_count,
        coalesce(t.bounce_charge_count, 0) as bounce_charge_count,
        cast(coalesce(t.bounce_charge_amount, 0) as decimal(18, 2)) as bounce_charge_amount,
        coalesce(t.penalty_charge_count, 0) as penalty_charge_count,
        cast(coalesce(t.self_transfer_in_amount, 0) as decimal(18, 2)) as self_transfer_in_amount,
        cast(coalesce(t.self_transfer_out_amount, 0) as decimal(18, 2)) as self_transfer_out_amount,
        cast(coalesce(t.eligible_credit_amount, 0) as decimal(18, 2)) as eligible_credit_amount
    from account_months
    left join transaction_sums as t
        on account_months.session_id = t.session_id
        and account_months.account_id = t.account_id
        and account_months.month = t.month
    left join salary_sums as s
        on account_months.session_id = s.session_id
        and account_months.account_id = s.account_id
        and account_months.month = s.month
)

select * from final
