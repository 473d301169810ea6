-- one row per account: the days and months it covers and its balance before the first transaction
-- grain: session_id, account_id
-- not_null: session_id, account_id, first_covered_date, last_covered_date, first_month, last_month
-- has_transactions: the account has at least one transaction
-- first_covered_date: first day covered by the account's data (see sql/README.md)
-- last_covered_date: last day covered by the account's data
-- first_month: first month of the account, DATE on the 1st
-- last_month: last month of the account, DATE on the 1st
-- initial_balance: balance before the first transaction, else the first eod balance (INR, DECIMAL(18,2))
with

transactions as (
    select * from analytics.stg_transactions
),

eod_balances as (
    select * from analytics.stg_eod_balances
),

account_months as (
    select * from analytics.stg_account_months
),

account_details as (
    select * from analytics.stg_account_details
),

accounts as (
    select session_id, account_id from transactions
    union
    select session_id, account_id from eod_balances
    union
    select session_id, account_id from account_months
    union
    select session_id, account_id from account_details
    where account_from_date is not null and account_to_date is not null
),

transactions_ordered as (
    select
        *,
        row_number() over (partition by session_id, account_id order by seq) as position
    from transactions
),

transaction_bounds as (
    select
        session_id,
        account_id,
        count(*) as transaction_count,
        min(transaction_date) as first_transaction_date,
        max(transaction_date) as last_transaction_date,
        -- the balance before the first transaction in statement order: undo its amount
        max(balance - signed_amount) filter (where position = 1) as balance_before_first_transaction
    from transactions_ordered
    group by session_id, account_id
),

eod_ordered as (
    select
        *,
        row_number() over (partition by session_id, account_id order by balance_date) as position
    from eod_balances
),

eod_bounds as (
    select
        session_id,
        account_id,
        min(balance_date) as first_eod_date,
        max(balance_date) as last_eod_date,
        max(eod_balance) filter (where position = 1) as first_eod_balance
    from eod_ordered
    group by session_id, account_id
),

listed_month_bounds as (
    select
        session_id,
        account_id,
        min(month) as first_listed_month,
        max(month) as last_listed_month
    from account_months
    group by session_id, account_id
),

covered as (
    select
        accounts.session_id,
        accounts.account_id,
        coalesce(transaction_bounds.transaction_count, 0) as transaction_count,
        -- days: from the first to the last dated row (the API has no eod balance outside the
        -- statement); without any, the account_details date range; without that, whole listed months
        coalesce(
            least(transaction_bounds.first_transaction_date, eod_bounds.first_eod_date),
            account_details.account_from_date,
            listed_month_bounds.first_listed_month
        ) as first_covered_date,
        coalesce(
            greatest(transaction_bounds.last_transaction_date, eod_bounds.last_eod_date),
            account_details.account_to_date,
            cast(listed_month_bounds.last_listed_month + interval '1 month' - interval '1 day' as date)
        ) as last_covered_date,
        listed_month_bounds.first_listed_month,
        listed_month_bounds.last_listed_month,
        cast(
            coalesce(transaction_bounds.balance_before_first_transaction, eod_bounds.first_eod_balance)
            as decimal(18, 2)
        ) as initial_balance
    from accounts
    left join transaction_bounds
        on accounts.session_id = transaction_bounds.session_id
        and accounts.account_id = transaction_bounds.account_id
    left join eod_bounds
        on accounts.session_id = eod_bounds.session_id
        and accounts.account_id = eod_bounds.account_id
    left join listed_month_bounds
        on accounts.session_id = listed_month_bounds.session_id
        and accounts.account_id = listed_month_bounds.account_id
    left join account_details
        on accounts.session_id = account_details.session_id
        and accounts.account_id = account_details.account_id
),

final as (
    select
        session_id,
        account_id,
        transaction_count > 0 as has_transactions,
        first_covered_date,
        last_covered_date,
        -- months: every month from the first to the last covered or listed one
        least(cast(date_trunc('month', first_covered_date) as date), first_listed_month) as first_month,
        greatest(cast(date_trunc('month', last_covered_date) as date), last_listed_month) as last_month,
        initial_balance
    from covered
)

select * from final
