-- one row per requested session
-- session_status: latest status: completed, pending, not_requested, not_found, deleted or failed
-- has_insights: whether the API reported insights ready
-- session_from_date: first day the session covers
-- session_to_date: last day the session covers
with

source as (
    select * from bankconnect.sessions
),

final as (
    select
        session_id,
        lower(trim(status)) as session_status,
        error_code,
        error_message,
        coalesce(insights_available, false) as has_insights,
        payload_session_id,
        cast(from_date as date) as session_from_date,
        cast(to_date as date) as session_to_date,
        first_seen_at,
        last_checked_at,
        data_loaded_at
    from source
)

select * from final
