-- one row per account per month from its first to its last covered or listed month (the month spine)
-- grain: session_id, account_id, month
-- not_null: session_id, account_id, month, days_in_month, days_covered
-- month_end_date: last day of the month
-- days_in_month: calendar days in the month
-- covered_from_date: first covered day in the month
-- covered_to_date: last covered day in the month
-- days_covered: covered days in the month (0 for a listed month outside the covered range)
with

account_ranges as (
    select * from analytics.int_account_ranges
),

months as (
    select
        account_ranges.session_id,
        account_ranges.account_id,
        cast(month_series.month_start as date) as month,
        account_ranges.first_covered_date,
        account_ranges.last_covered_date
    from account_ranges
    cross join lateral generate_series(
        account_ranges.first_month, account_ranges.last_month, interval '1 month'
    ) as month_series (month_start)
),

month_bounds as (
    select
        *,
        cast(month + interval '1 month' - interval '1 day' as date) as month_end_date,
        greatest(month, first_covered_date) as clipped_from_date,
        least(cast(month + interval '1 month' - interval '1 day' as date), last_covered_date) as clipped_to_date
    from months
),

final as (
    select
        session_id,
        account_id,
        month,
        month_end_date,
        cast(extract(day from month_end_date) as integer) as days_in_month,
        -- a listed month outside the dated range has no covered days
        case when clipped_to_date >= clipped_from_date then clipped_from_date end as covered_from_date,
        case when clipped_to_date >= clipped_from_date then clipped_to_date end as covered_to_date,
        cast(greatest(clipped_to_date - clipped_from_date + 1, 0) as integer) as days_covered
    from month_bounds
)

select * from final
