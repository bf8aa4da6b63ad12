-- Migration: usage_rollups
-- Inverse of the up file: drops the dashboard views and functions (repeatables that read the
-- rollups), the refresh function, the dirty-marking triggers of usage.events, the rollup tables, the
-- dirty queue and their classification rows.
-- Locks: ACCESS EXCLUSIVE on usage.events (DROP TRIGGER); ROW EXCLUSIVE on
-- governance.column_classifications (DELETE).

-- Why: the repeatable views/40_usage_dashboards.sql reads the rollups; its objects go first.
DROP FUNCTION IF EXISTS usage.top_organizations_by_cost(date, date, integer);
DROP FUNCTION IF EXISTS usage.error_rate_by_model(date, date);
DROP VIEW IF EXISTS usage.daily_usage;

DROP FUNCTION usage.refresh_rollups(integer);
DROP TRIGGER trg_events_mark_dirty_delete ON usage.events;
DROP TRIGGER trg_events_mark_dirty_update ON usage.events;
DROP TRIGGER trg_events_mark_dirty_insert ON usage.events;
DROP FUNCTION usage.tg_events_mark_dirty();

DELETE FROM governance.column_classifications
WHERE schema_name = 'usage' AND table_name IN ('rollup_dirty_hours', 'hourly_rollups', 'daily_rollups');

DROP TABLE usage.daily_rollups;
DROP TABLE usage.hourly_rollups;
DROP TABLE usage.rollup_dirty_hours;
