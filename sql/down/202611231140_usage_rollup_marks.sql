-- Migration: usage_rollup_marks
-- Inverse of the up file: brings back usage.rollup_dirty_hours (table, comments, classification,
-- and the policies its repeatable file used to create), moves the queued marks into it as buckets,
-- restores the previous bodies of the validation and marking triggers, usage.refresh_rollups() and
-- usage.drop_expired_event_partitions(), and drops the marks table, its view and usage.mark_rollups_dirty().
-- Locks: ACCESS EXCLUSIVE on usage.rollup_marks (DROP TABLE); ROW EXCLUSIVE on
-- governance.column_classifications (INSERT, DELETE). Functions are replaced in place.

SET LOCAL ROLE app_owner;

-- Why: the queue of 202611231110, exactly as it was.
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

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('usage', 'rollup_dirty_hours', 'organization_id', 'internal'),
    ('usage', 'rollup_dirty_hours', 'hour_start', 'internal'),
    ('usage', 'rollup_dirty_hours', 'marked_at', 'internal');

-- Why: the privileges and policies that policies/usage.rollup_dirty_hours.sql gave the table.
REVOKE ALL ON usage.rollup_dirty_hours FROM app_rw, app_ro, app_auth;

-- Why: tenant isolation; policies compare with the STABLE context function in an init-plan.
DROP POLICY IF EXISTS rollup_dirty_hours_select_tenant ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_select_tenant ON usage.rollup_dirty_hours FOR SELECT TO app_owner
    USING (organization_id = (SELECT app.current_org_id()));
DROP POLICY IF EXISTS rollup_dirty_hours_insert_tenant ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_insert_tenant ON usage.rollup_dirty_hours FOR INSERT TO app_owner
    WITH CHECK (organization_id = (SELECT app.current_org_id()));
DROP POLICY IF EXISTS rollup_dirty_hours_update_tenant ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_update_tenant ON usage.rollup_dirty_hours FOR UPDATE TO app_owner
    USING (organization_id = (SELECT app.current_org_id()))
    WITH CHECK (organization_id = (SELECT app.current_org_id()));
DROP POLICY IF EXISTS rollup_dirty_hours_delete_tenant ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_delete_tenant ON usage.rollup_dirty_hours FOR DELETE TO app_owner
    USING (organization_id = (SELECT app.current_org_id()));

-- Why: the trigger marks and the refresh claims buckets of every tenant; only with the owner's explicit opt-out.
DROP POLICY IF EXISTS rollup_dirty_hours_all_all_tenants ON usage.rollup_dirty_hours;
CREATE POLICY rollup_dirty_hours_all_all_tenants ON usage.rollup_dirty_hours FOR ALL TO app_owner
    USING ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on')
    WITH CHECK ((SELECT pg_catalog.current_setting('app.all_tenants', true)) = 'on');

-- Why: nothing queued may be lost on the way back (one row per distinct bucket).
SELECT pg_catalog.set_config('app.all_tenants', 'on', true);
INSERT INTO usage.rollup_dirty_hours (organization_id, hour_start, marked_at)
SELECT o.organization_id, m.hour_start, pg_catalog.max(m.marked_at)
FROM usage.rollup_marks AS m
CROSS JOIN LATERAL pg_catalog.unnest(m.organization_ids) AS o (organization_id)
GROUP BY o.organization_id, m.hour_start
ORDER BY 1, 2;
SELECT pg_catalog.set_config('app.all_tenants', '', true);

-- Why: the previous function bodies (202611231100, 202611231110, 202611231120).
CREATE OR REPLACE FUNCTION usage.tg_events_mark_dirty() RETURNS trigger
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

CREATE OR REPLACE FUNCTION usage.tg_events_validate() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_org uuid;
    v_key uuid;
    v_request text;
    v_cost numeric;
    v_expected numeric;
BEGIN
    SELECT n.organization_id INTO v_org
    FROM (SELECT DISTINCT r.organization_id FROM new_rows AS r) AS n
    WHERE NOT EXISTS (SELECT FROM core.organizations AS o WHERE o.organization_id = n.organization_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'usage.events: unknown organization %', v_org
            USING ERRCODE = 'foreign_key_violation', HINT = 'events must belong to an existing organization';
    END IF;

    SELECT n.organization_id, n.api_key_id INTO v_org, v_key
    FROM (SELECT DISTINCT r.organization_id, r.api_key_id FROM new_rows AS r WHERE r.api_key_id IS NOT NULL) AS n
    WHERE NOT EXISTS (SELECT FROM core.api_keys AS k
                      WHERE k.organization_id = n.organization_id AND k.api_key_id = n.api_key_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'usage.events: API key % is not a key of organization %', v_key, v_org
            USING ERRCODE = 'foreign_key_violation';
    END IF;

    SELECT r.request_id, r.cost, pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6)
    INTO v_request, v_cost, v_expected
    FROM new_rows AS r
    JOIN core.models AS m ON m.model_id = r.model_id
    WHERE r.cost <> pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'usage.events: cost % of request % does not match the model''s prices (expected %)',
            v_cost, v_request, v_expected
            USING ERRCODE = 'check_violation',
                  HINT = 'cost = round((tokens_in * input_cost_per_1k + tokens_out * output_cost_per_1k) / 1000, 6)';
    END IF;
    RETURN NULL;
END
$fn$;


CREATE OR REPLACE FUNCTION usage.refresh_rollups(p_max_buckets integer DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION usage.drop_expired_event_partitions(p_now timestamptz DEFAULT now())
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, estimated_rows bigint,
               total_bytes bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_retain interval;
    v_part record;
BEGIN
    SELECT r.retain_for INTO v_retain FROM governance.retention_policies AS r
    WHERE r.schema_name = 'usage' AND r.table_name = 'events' AND r.action = 'delete';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no delete retention policy for usage.events in governance.retention_policies'
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    FOR v_part IN SELECT p.partition_name AS part, p.range_start AS lo, p.range_end AS hi
                  FROM usage.partitions_of('usage.events') AS p
                  WHERE p.range_end <= p_now - v_retain
                  ORDER BY p.range_start LOOP
        partition_name := v_part.part::text;
        range_start := v_part.lo;
        range_end := v_part.hi;
        SELECT greatest(c.reltuples, 0)::bigint, pg_catalog.pg_total_relation_size(c.oid)
        INTO estimated_rows, total_bytes
        FROM pg_catalog.pg_class AS c WHERE c.oid = v_part.part;
        EXECUTE format('ALTER TABLE usage.events DETACH PARTITION %s', v_part.part);
        EXECUTE format('DROP TABLE %s', v_part.part);
        DELETE FROM governance.column_classifications AS k
        WHERE k.schema_name = 'usage' AND k.table_name = pg_catalog.split_part(partition_name, '.', 2);
        DELETE FROM usage.rollup_dirty_hours AS d WHERE d.hour_start >= v_part.lo AND d.hour_start < v_part.hi;
        RETURN NEXT;
    END LOOP;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
END
$fn$;


DROP FUNCTION usage.mark_rollups_dirty(timestamptz, timestamptz);
DROP VIEW usage.rollup_dirty_buckets;
DELETE FROM governance.column_classifications WHERE schema_name = 'usage' AND table_name = 'rollup_marks';
DROP TABLE usage.rollup_marks;

RESET ROLE;
