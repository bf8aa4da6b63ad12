-- Migration: usage_rollups
-- Creates the hourly and daily rollups of usage.events per organization and model (requests,
-- errors, tokens in/out, latency sum and max, cost), the queue of dirty (organization, hour)
-- buckets that every insert, update or delete of events marks (statement-level triggers with
-- transition tables: one set-based statement per batch, cheap for COPY), and
-- usage.refresh_rollups(), which claims dirty buckets (FOR UPDATE SKIP LOCKED, so concurrent
-- refreshers share the work), recomputes exactly those buckets from raw events and overwrites them.
-- Locks: SHARE ROW EXCLUSIVE on usage.events (CREATE TRIGGER); ROW EXCLUSIVE on
-- governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: a work queue, not a log: a bucket is in it while its rollup may be stale.
CREATE TABLE usage.rollup_dirty_hours (
    organization_id uuid NOT NULL,
    hour_start timestamptz NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_rollup_dirty_hours PRIMARY KEY (organization_id, hour_start),
    CONSTRAINT ck_rollup_dirty_hours_hour_aligned CHECK (hour_start = pg_catalog.date_trunc('hour', hour_start, 'UTC'))
);
ALTER TABLE usage.rollup_dirty_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage.rollup_dirty_hours FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE usage.rollup_dirty_hours IS
    'Buckets (organization, UTC hour) whose rollups may be stale: marked by the triggers of usage.events, '
    'claimed and removed by usage.refresh_rollups().';
COMMENT ON COLUMN usage.rollup_dirty_hours.organization_id IS 'Tenant of the bucket; part of the key.';
COMMENT ON COLUMN usage.rollup_dirty_hours.hour_start IS 'Start of the UTC hour of the bucket.';
COMMENT ON COLUMN usage.rollup_dirty_hours.marked_at IS 'Last time an event of the bucket was written.';

-- Why: the dashboard's hourly grain; one row per organization, hour and model with traffic.
CREATE TABLE usage.hourly_rollups (
    organization_id uuid NOT NULL,
    hour_start timestamptz NOT NULL,
    model_id uuid NOT NULL,
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    tokens_in bigint NOT NULL,
    tokens_out bigint NOT NULL,
    latency_ms_sum bigint NOT NULL,
    latency_ms_max integer NOT NULL,
    cost numeric(20, 6) NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_hourly_rollups PRIMARY KEY (organization_id, hour_start, model_id),
    CONSTRAINT ck_hourly_rollups_hour_aligned CHECK (hour_start = pg_catalog.date_trunc('hour', hour_start, 'UTC')),
    CONSTRAINT ck_hourly_rollups_requests_positive CHECK (requests > 0),
    CONSTRAINT ck_hourly_rollups_errors_range CHECK (errors BETWEEN 0 AND requests),
    CONSTRAINT ck_hourly_rollups_tokens_non_negative CHECK (tokens_in >= 0 AND tokens_out >= 0),
    CONSTRAINT ck_hourly_rollups_latency_non_negative CHECK (latency_ms_sum >= 0 AND latency_ms_max >= 0),
    CONSTRAINT ck_hourly_rollups_cost_non_negative CHECK (cost >= 0)
);
ALTER TABLE usage.hourly_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage.hourly_rollups FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE usage.hourly_rollups IS
    'Usage per organization, UTC hour and model, recomputed from usage.events by usage.refresh_rollups().';
COMMENT ON COLUMN usage.hourly_rollups.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN usage.hourly_rollups.hour_start IS 'Start of the UTC hour.';
COMMENT ON COLUMN usage.hourly_rollups.model_id IS 'Model of the events (usage.events.model_id).';
COMMENT ON COLUMN usage.hourly_rollups.requests IS 'Number of events (> 0).';
COMMENT ON COLUMN usage.hourly_rollups.errors IS 'Events whose status is not success.';
COMMENT ON COLUMN usage.hourly_rollups.tokens_in IS 'Sum of input tokens.';
COMMENT ON COLUMN usage.hourly_rollups.tokens_out IS 'Sum of output tokens.';
COMMENT ON COLUMN usage.hourly_rollups.latency_ms_sum IS 'Sum of latencies in ms (mean = latency_ms_sum / requests).';
COMMENT ON COLUMN usage.hourly_rollups.latency_ms_max IS 'Largest latency in ms.';
COMMENT ON COLUMN usage.hourly_rollups.cost IS 'Sum of cost in USD.';
COMMENT ON COLUMN usage.hourly_rollups.refreshed_at IS 'When the bucket was last recomputed.';

-- Why: the dashboard's daily grain (UTC days), summed from the hourly rollups.
CREATE TABLE usage.daily_rollups (
    organization_id uuid NOT NULL,
    day date NOT NULL,
    model_id uuid NOT NULL,
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    tokens_in bigint NOT NULL,
    tokens_out bigint NOT NULL,
    latency_ms_sum bigint NOT NULL,
    latency_ms_max integer NOT NULL,
    cost numeric(20, 6) NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_daily_rollups PRIMARY KEY (organization_id, day, model_id),
    CONSTRAINT ck_daily_rollups_requests_positive CHECK (requests > 0),
    CONSTRAINT ck_daily_rollups_errors_range CHECK (errors BETWEEN 0 AND requests),
    CONSTRAINT ck_daily_rollups_tokens_non_negative CHECK (tokens_in >= 0 AND tokens_out >= 0),
    CONSTRAINT ck_daily_rollups_latency_non_negative CHECK (latency_ms_sum >= 0 AND latency_ms_max >= 0),
    CONSTRAINT ck_daily_rollups_cost_non_negative CHECK (cost >= 0)
);
ALTER TABLE usage.daily_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage.daily_rollups FORCE ROW LEVEL SECURITY;
-- Why: cross-tenant reporting (top organizations by cost) reads a date range over all tenants.
CREATE INDEX idx_daily_rollups_day ON usage.daily_rollups (day);
COMMENT ON TABLE usage.daily_rollups IS
    'Usage per organization, UTC day and model, recomputed from usage.hourly_rollups by usage.refresh_rollups().';
COMMENT ON COLUMN usage.daily_rollups.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN usage.daily_rollups.day IS 'UTC day.';
COMMENT ON COLUMN usage.daily_rollups.model_id IS 'Model of the events (usage.events.model_id).';
COMMENT ON COLUMN usage.daily_rollups.requests IS 'Number of events (> 0).';
COMMENT ON COLUMN usage.daily_rollups.errors IS 'Events whose status is not success.';
COMMENT ON COLUMN usage.daily_rollups.tokens_in IS 'Sum of input tokens.';
COMMENT ON COLUMN usage.daily_rollups.tokens_out IS 'Sum of output tokens.';
COMMENT ON COLUMN usage.daily_rollups.latency_ms_sum IS 'Sum of latencies in ms (mean = latency_ms_sum / requests).';
COMMENT ON COLUMN usage.daily_rollups.latency_ms_max IS 'Largest latency in ms.';
COMMENT ON COLUMN usage.daily_rollups.cost IS 'Sum of cost in USD.';
COMMENT ON COLUMN usage.daily_rollups.refreshed_at IS 'When the day was last recomputed.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('usage', 'rollup_dirty_hours', 'organization_id', 'internal'),
    ('usage', 'rollup_dirty_hours', 'hour_start', 'internal'),
    ('usage', 'rollup_dirty_hours', 'marked_at', 'internal'),
    ('usage', 'hourly_rollups', 'organization_id', 'internal'),
    ('usage', 'hourly_rollups', 'hour_start', 'internal'),
    ('usage', 'hourly_rollups', 'model_id', 'internal'),
    ('usage', 'hourly_rollups', 'requests', 'confidential'),
    ('usage', 'hourly_rollups', 'errors', 'confidential'),
    ('usage', 'hourly_rollups', 'tokens_in', 'confidential'),
    ('usage', 'hourly_rollups', 'tokens_out', 'confidential'),
    ('usage', 'hourly_rollups', 'latency_ms_sum', 'internal'),
    ('usage', 'hourly_rollups', 'latency_ms_max', 'internal'),
    ('usage', 'hourly_rollups', 'cost', 'confidential'),
    ('usage', 'hourly_rollups', 'refreshed_at', 'internal'),
    ('usage', 'daily_rollups', 'organization_id', 'internal'),
    ('usage', 'daily_rollups', 'day', 'internal'),
    ('usage', 'daily_rollups', 'model_id', 'internal'),
    ('usage', 'daily_rollups', 'requests', 'confidential'),
    ('usage', 'daily_rollups', 'errors', 'confidential'),
    ('usage', 'daily_rollups', 'tokens_in', 'confidential'),
    ('usage', 'daily_rollups', 'tokens_out', 'confidential'),
    ('usage', 'daily_rollups', 'latency_ms_sum', 'internal'),
    ('usage', 'daily_rollups', 'latency_ms_max', 'internal'),
    ('usage', 'daily_rollups', 'cost', 'confidential'),
    ('usage', 'daily_rollups', 'refreshed_at', 'internal');

-- Why: mark every bucket a statement touched, once per statement. The upsert writes (and so locks)
-- an existing marker: a refresher claiming with SKIP LOCKED then leaves the bucket to the next run
-- instead of computing it without this uncommitted write. SECURITY DEFINER: the app roles hold no
-- privilege on the queue; app.all_tenants = 'on' (set for the call, then restored: a function's SET
-- clause cannot name a custom setting unless a superuser owns it) lets the owner write any tenant's marker.
CREATE FUNCTION usage.tg_events_mark_dirty() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
BEGIN
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO usage.rollup_dirty_hours AS d (organization_id, hour_start)
        SELECT DISTINCT r.organization_id, pg_catalog.date_trunc('hour', r.occurred_at, 'UTC') FROM new_rows AS r
        ORDER BY 1, 2
        ON CONFLICT ON CONSTRAINT pk_rollup_dirty_hours DO UPDATE SET marked_at = excluded.marked_at;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO usage.rollup_dirty_hours AS d (organization_id, hour_start)
        SELECT DISTINCT r.organization_id, pg_catalog.date_trunc('hour', r.occurred_at, 'UTC') FROM old_rows AS r
        ORDER BY 1, 2
        ON CONFLICT ON CONSTRAINT pk_rollup_dirty_hours DO UPDATE SET marked_at = excluded.marked_at;
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION usage.tg_events_mark_dirty() IS
    'Statement trigger of usage.events: marks the (organization, UTC hour) buckets of the written rows dirty.';
REVOKE EXECUTE ON FUNCTION usage.tg_events_mark_dirty() FROM PUBLIC;

CREATE TRIGGER trg_events_mark_dirty_insert
    AFTER INSERT ON usage.events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage.tg_events_mark_dirty();
CREATE TRIGGER trg_events_mark_dirty_update
    AFTER UPDATE ON usage.events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage.tg_events_mark_dirty();
CREATE TRIGGER trg_events_mark_dirty_delete
    AFTER DELETE ON usage.events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage.tg_events_mark_dirty();

-- Why: the only writer of the rollups. Claims dirty buckets, recomputes them from raw events and
-- overwrites them, then recomputes the UTC days they belong to from the hourly rollups.
-- Concurrency: claims are disjoint (FOR UPDATE SKIP LOCKED on the queue), so hourly buckets have a
-- single writer; a day may be shared by two refreshers, so days are recomputed under a transaction
-- advisory lock per day, taken in day order, in a statement that starts after the lock is held (its
-- snapshot then sees the other refresher's committed hours). An event written while its bucket is
-- claimed waits on the claimed marker and marks the bucket again after the claim commits.
CREATE FUNCTION usage.refresh_rollups(p_max_buckets integer DEFAULT NULL)
RETURNS TABLE (buckets bigint, hourly_rows bigint, daily_rows bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_from timestamptz;
    v_to timestamptz;
BEGIN
    IF p_max_buckets IS NOT NULL AND p_max_buckets < 1 THEN
        RAISE EXCEPTION 'p_max_buckets must be positive or NULL (all), not %', p_max_buckets
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    CREATE TEMPORARY TABLE IF NOT EXISTS usage_refresh_claimed (
        organization_id uuid NOT NULL, hour_start timestamptz NOT NULL
    ) ON COMMIT DROP;
    CREATE TEMPORARY TABLE IF NOT EXISTS usage_refresh_days (
        organization_id uuid NOT NULL, day date NOT NULL
    ) ON COMMIT DROP;
    TRUNCATE usage_refresh_claimed, usage_refresh_days;
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);

    WITH claimed AS (
        DELETE FROM usage.rollup_dirty_hours AS d
        WHERE d.ctid IN (SELECT q.ctid FROM usage.rollup_dirty_hours AS q LIMIT p_max_buckets FOR UPDATE SKIP LOCKED)
        RETURNING d.organization_id, d.hour_start
    )
    INSERT INTO usage_refresh_claimed SELECT c.organization_id, c.hour_start FROM claimed AS c;
    GET DIAGNOSTICS buckets = ROW_COUNT;
    IF buckets = 0 THEN
        PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
        hourly_rows := 0;
        daily_rows := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    ANALYZE usage_refresh_claimed;
    SELECT pg_catalog.min(c.hour_start), pg_catalog.max(c.hour_start) + interval '1 hour' INTO v_from, v_to
    FROM usage_refresh_claimed AS c;

    DELETE FROM usage.hourly_rollups AS h
    USING usage_refresh_claimed AS c
    WHERE h.organization_id = c.organization_id AND h.hour_start = c.hour_start;

    INSERT INTO usage.hourly_rollups (
        organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum,
        latency_ms_max, cost
    )
    SELECT e.organization_id, pg_catalog.date_trunc('hour', e.occurred_at, 'UTC'), e.model_id, pg_catalog.count(*),
           pg_catalog.count(*) FILTER (WHERE e.status <> 'success'), pg_catalog.sum(e.tokens_in),
           pg_catalog.sum(e.tokens_out), pg_catalog.sum(e.latency_ms), pg_catalog.max(e.latency_ms),
           pg_catalog.sum(e.cost)
    FROM usage.events AS e
    JOIN usage_refresh_claimed AS c
        ON c.organization_id = e.organization_id
       AND c.hour_start = pg_catalog.date_trunc('hour', e.occurred_at, 'UTC')
       AND e.occurred_at >= c.hour_start AND e.occurred_at < c.hour_start + interval '1 hour'
    WHERE e.occurred_at >= v_from AND e.occurred_at < v_to
    GROUP BY 1, 2, 3;
    GET DIAGNOSTICS hourly_rows = ROW_COUNT;

    INSERT INTO usage_refresh_days
    SELECT DISTINCT c.organization_id, (c.hour_start AT TIME ZONE 'UTC')::date FROM usage_refresh_claimed AS c;
    ANALYZE usage_refresh_days;

    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('usage.daily_rollups'), x.day_number)
    FROM (SELECT DISTINCT d.day - date '2000-01-01' AS day_number FROM usage_refresh_days AS d ORDER BY 1) AS x;

    DELETE FROM usage.daily_rollups AS r
    USING usage_refresh_days AS d
    WHERE r.organization_id = d.organization_id AND r.day = d.day;

    INSERT INTO usage.daily_rollups (
        organization_id, day, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost
    )
    SELECT h.organization_id, d.day, h.model_id, pg_catalog.sum(h.requests), pg_catalog.sum(h.errors),
           pg_catalog.sum(h.tokens_in), pg_catalog.sum(h.tokens_out), pg_catalog.sum(h.latency_ms_sum),
           pg_catalog.max(h.latency_ms_max), pg_catalog.sum(h.cost)
    FROM usage.hourly_rollups AS h
    JOIN usage_refresh_days AS d
        ON d.organization_id = h.organization_id
       AND h.hour_start >= d.day::timestamp AT TIME ZONE 'UTC'
       AND h.hour_start < (d.day + 1)::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1, 2, 3;
    GET DIAGNOSTICS daily_rows = ROW_COUNT;

    TRUNCATE usage_refresh_claimed, usage_refresh_days;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION usage.refresh_rollups(integer) IS
    'Recomputes up to p_max_buckets dirty (organization, hour) buckets (NULL: all) and their days from raw events; '
    'idempotent and safe to run concurrently. Returns claimed buckets and hourly and daily rows written.';
REVOKE EXECUTE ON FUNCTION usage.refresh_rollups(integer) FROM PUBLIC;

RESET ROLE;

-- Why: a service (or its scheduler) runs the refresh; it reveals nothing but counts.
GRANT EXECUTE ON FUNCTION usage.refresh_rollups(integer) TO app_rw;
