-- one row per account per month, from the account's first to its last covered or listed month
-- grain: session_id, account_id, month
-- not_null: session_id, account_id, month, days_covered, credit_count, credit_amount, debit_count, debit_amount, net_flow
-- is_partial_month: the statement starts or ends inside the month
-- net_flow: credit_amount minus debit_amount (INR, DECIMAL(18,2))
-- inward_bounce_count: inward bounces: cheques plus auto-debits returned unpaid
-- foir: fixed obligations to income ratio: emi_amount / salary_amount, else / eligible_credit_amount (fraction, 0.35 = 35%)
-- foir_basis: the denominator foir used: salary or eligible_credits (null when both are 0)
with

account_months as (
    select * from analytics.int_account_months
),

balances as (
    select * from analytics.int_account_monthly_balances
),

flows as (
    select * from analytics.int_account_monthly_flows
),

joined as (
    select
        account_months.session_id,
        account_months.account_id,
        account_months.month,
        account_months.days_in_month,
        account_months.days_covered,
        balances.opening_balance,
        balances.closing_balance,
        balances.avg_eod_balance,
        balances.min_eod_balance,
        balances.max_eod_balance,
        balances.median_eod_balance,
        balances.negative_eod_days,
        balances.eod_balance_on_day_5,
        balances.eod_balance_on_day_10,
        balances.eod_balance_on_day_15,
        balances.eod_balance_on_day_20,
        balances.eod_balance_on_day_25,
        balances.last_eod_balance,
        flows.transaction_count,
        flows.credit_count,
        flows.credit_amount,
        flows.debit_count,
        flows.debit_amount,
        flows.eligible_credit_amount,
        flows.cash_deposit_count,
        flows.cash_deposit_amount,
        flows.cash_withdrawal_count,
        flows.cash_withdrawal_amount,
        flows.salary_count,
        flows.salary_amount,
        flows.emi_count,
        flows.emi_amount,
        flows.inward_cheque_bounce_count,
        flows.auto_debit_bounce_count,
        flows.outward_cheque_bounce_count,
        flows.bounce_charge_count,
        flows.bounce_charge_amount,
        flows.penalty_charge_count,
        flows.self_transfer_in_amount,
        flows.self_transfer_out_amount
    from account_months
    inner join balances
        on account_months.session_id = balances.session_id
        and account_months.account_id = balances.account_id
        and account_months.month = balances.month
    inner join flows
        on account_months.session_id = flows.session_id
        and account_months.account_id = flows.account_id
        and account_months.month = flows.month
),

final as (
    select
        session_id,
        account_id,
        month,                          -- the month, as a DATE on the 1st
        days_in_month,                  -- calendar days in the month
        days_covered,                   -- days of the month inside the account's covered date range
        days_covered < days_in_month as is_partial_month,  -- the statement starts or ends inside the month
        opening_balance,                -- previous month's closing; first month: balance before the first transaction (else first eod balance)
        closing_balance,                -- balance after the month's last transaction in statement order, else carried forward
        avg_eod_balance,                -- mean end-of-day balance over covered days, gaps filled from the previous day
        min_eod_balance,                -- lowest end-of-day balance over covered days
        max_eod_balance,                -- highest end-of-day balance over covered days
        median_eod_balance,             -- median end-of-day balance over covered days
        negative_eod_days,              -- covered days ending below zero
        eod_balance_on_day_5,           -- end-of-day balance on the 5th (null when not covered)
        eod_balance_on_day_10,          -- ... on the 10th
        eod_balance_on_day_15,          -- ... on the 15th
        eod_balance_on_day_20,          -- ... on the 20th
        eod_balance_on_day_25,          -- ... on the 25th
        last_eod_balance,               -- end-of-day balance on the month's last covered day
        transaction_count,              -- transactions dated in the month
        credit_count,                   -- credits dated in the month
        credit_amount,                  -- sum of credits
        debit_count,                    -- debits dated in the month
        debit_amount,                   -- sum of debits
        cast(credit_amount - debit_amount as decimal(18, 2)) as net_flow,  -- credits minus debits
        eligible_credit_amount,         -- credits less self transfers, refunds, inward bounces and loan credits
        cash_deposit_count,             -- channel cash_deposit credits
        cash_deposit_amount,
        cash_withdrawal_count,          -- channel cash_withdrawl (sic) debits
        cash_withdrawal_amount,
        salary_count,                   -- salary_transactions whose salary_month is this month (else credit month)
        salary_amount,
        emi_count,                      -- channel auto_debit_payment debits
        emi_amount,
        inward_cheque_bounce_count,     -- channel inward_cheque_bounce: the holder's cheque returned unpaid
        auto_debit_bounce_count,        -- channel auto_debit_payment_bounce: the holder's mandate returned unpaid
        inward_cheque_bounce_count + auto_debit_bounce_count as inward_bounce_count,  -- both inward kinds
        outward_cheque_bounce_count,    -- channel outward_cheque_bounce: a cheque the holder deposited came back
        bounce_charge_count,            -- description chq_bounce_charge or ach_bounce_charge
        bounce_charge_amount,
        penalty_charge_count,           -- description penalty_charge
        self_transfer_in_amount,        -- credits with channel or description self_transfer
        self_transfer_out_amount,       -- debits with channel or description self_transfer
        -- fixed obligations to income: EMIs over salary, else over eligible credits; null when both are 0
        cast(
            case
                when salary_amount > 0 then emi_amount / salary_amount
                when eligible_credit_amount > 0 then emi_amount / eligible_credit_amount
            end as decimal(10, 4)
        ) as foir,
        case
            when salary_amount > 0 then 'salary'
            when eligible_credit_amount > 0 then 'eligible_credits'
        end as foir_basis               -- the denominator foir used
    from joined
)

select * from final
