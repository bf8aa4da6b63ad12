-- Migration: usage_monthly_rollups
-- Inverse of the up file: usage.refresh_rollups() as 202611291215 defined it (no monthly step; a
-- bounded call runs on to the end of a UTC day), usage.top_organizations_by_cost() reading the
-- daily rollups again (views/40_usage_dashboards.sql is re-applied by the next up), and the monthly
-- rollups dropped with their classification rows.

SET LOCAL ROLE app_owner;

-- Why: the definition of 202611291215.
CREATE OR REPLACE FUNCTION usage.refresh_rollups(p_max_buckets integer DEFAULT NULL)
RETURNS TABLE (buckets bigint, hourly_rows bigint, daily_rows bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_claim refcursor;
    v_mark record;
    v_marks bigint[] := '{}';
    v_counted bigint := 0;
    v_last_day timestamptz;
    v_day timestamptz;
    v_from timestamptz;
    v_to timestamptz;
    -- The claimed buckets, (v_bucket_orgs[i], v_bucket_hours[i]), and their UTC days.
    v_bucket_orgs uuid[];
    v_bucket_hours timestamptz[];
    v_day_orgs uuid[];
    v_day_starts timestamptz[];
    v_days date[];
BEGIN
    IF p_max_buckets IS NOT NULL AND p_max_buckets < 1 THEN
        RAISE EXCEPTION 'p_max_buckets must be positive or NULL (all), not %', p_max_buckets
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'usage.refresh_rollups() must run in a READ COMMITTED transaction, not %',
            pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = 'invalid_transaction_state',
                  HINT = 'each step must see what concurrent refreshers committed; call it with the default isolation level';
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    hourly_rows := 0;
    daily_rows := 0;

    -- 1. Claim marks, oldest first. A mark is skipped when another refresher holds it (SKIP LOCKED)
    -- or works on its UTC day: each claimed day is held with a transaction advisory lock that is only
    -- tried, never waited for. With a limit, marks are taken one at a time (an explicit cursor
    -- fetches one row) until they name p_max_buckets buckets (repeats counted), then to the end of
    -- that UTC day.
    IF p_max_buckets IS NULL THEN
        WITH claimed AS (
            DELETE FROM usage.rollup_marks AS m
            WHERE m.mark_id IN (
                SELECT q.mark_id FROM usage.rollup_marks AS q
                WHERE pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('usage.daily_rollups'),
                                                           (q.hour_start AT TIME ZONE 'UTC')::date - date '2000-01-01')
                FOR UPDATE SKIP LOCKED)
            RETURNING m.hour_start, m.organization_ids
        ),
        claimed_buckets AS (
            SELECT DISTINCT o.organization_id, c.hour_start
            FROM claimed AS c CROSS JOIN LATERAL pg_catalog.unnest(c.organization_ids) AS o (organization_id)
        )
        SELECT coalesce(pg_catalog.array_agg(b.organization_id ORDER BY b.hour_start, b.organization_id), '{}'),
               coalesce(pg_catalog.array_agg(b.hour_start ORDER BY b.hour_start, b.organization_id), '{}')
        INTO v_bucket_orgs, v_bucket_hours
        FROM claimed_buckets AS b;
    ELSE
        OPEN v_claim FOR SELECT q.mark_id, q.hour_start, pg_catalog.cardinality(q.organization_ids) AS named
                         FROM usage.rollup_marks AS q ORDER BY q.mark_id;
        LOOP
            FETCH v_claim INTO v_mark;
            EXIT WHEN NOT FOUND;
            v_day := pg_catalog.date_bin('1 day', v_mark.hour_start, timestamptz '2000-01-01 00:00+00');
            EXIT WHEN v_counted >= p_max_buckets AND v_day IS DISTINCT FROM v_last_day;
            -- The day first, then the mark: a mark of a day another refresher holds is left unlocked.
            CONTINUE WHEN NOT pg_catalog.pg_try_advisory_xact_lock(
                pg_catalog.hashtext('usage.daily_rollups'), (v_mark.hour_start AT TIME ZONE 'UTC')::date - date '2000-01-01');
            PERFORM FROM usage.rollup_marks AS q WHERE q.mark_id = v_mark.mark_id FOR UPDATE SKIP LOCKED;
            CONTINUE WHEN NOT FOUND;  -- claimed meanwhile by a refresher that has since committed
            v_marks := v_marks || v_mark.mark_id;
            v_counted := v_counted + v_mark.named;
            v_last_day := v_day;
        END LOOP;
        CLOSE v_claim;
        WITH claimed AS (
            DELETE FROM usage.rollup_marks AS m WHERE m.mark_id = ANY (v_marks)
            RETURNING m.hour_start, m.organization_ids
        ),
        claimed_buckets AS (
            SELECT DISTINCT o.organization_id, c.hour_start
            FROM claimed AS c CROSS JOIN LATERAL pg_catalog.unnest(c.organization_ids) AS o (organization_id)
        )
        SELECT coalesce(pg_catalog.array_agg(b.organization_id ORDER BY b.hour_start, b.organization_id), '{}'),
               coalesce(pg_catalog.array_agg(b.hour_start ORDER BY b.hour_start, b.organization_id), '{}')
        INTO v_bucket_orgs, v_bucket_hours
        FROM claimed_buckets AS b;
    END IF;

    buckets := pg_catalog.cardinality(v_bucket_orgs);
    IF buckets = 0 THEN
        PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
        RETURN NEXT;
        RETURN;
    END IF;
    -- The days are stored, not computed in the joins below: a join condition holding a function that
    -- is not leakproof (timezone(), a date cast) cannot be pushed under the rollups' RLS into an index scan.
    SELECT pg_catalog.array_agg(x.organization_id ORDER BY x.day_start, x.organization_id),
           pg_catalog.array_agg(x.day_start ORDER BY x.day_start, x.organization_id),
           pg_catalog.array_agg((x.day_start AT TIME ZONE 'UTC')::date ORDER BY x.day_start, x.organization_id)
    INTO v_day_orgs, v_day_starts, v_days
    FROM (SELECT DISTINCT c.organization_id,
                          pg_catalog.date_bin('1 day', c.hour_start, timestamptz '2000-01-01 00:00+00') AS day_start
          FROM ROWS FROM (pg_catalog.unnest(v_bucket_orgs), pg_catalog.unnest(v_bucket_hours)) AS c (organization_id, hour_start)) AS x;

    -- 2. Replace the claimed buckets' hourly rows with their raw events. The equality lets a large
    -- claim hash-join the events; the range lets a small one probe the primary key of usage.events.
    v_from := v_bucket_hours[1];  -- the arrays are ordered by hour
    v_to := v_bucket_hours[pg_catalog.cardinality(v_bucket_hours)] + interval '1 hour';
    DELETE FROM usage.hourly_rollups AS h
    USING ROWS FROM (pg_catalog.unnest(v_bucket_orgs), pg_catalog.unnest(v_bucket_hours)) AS c (organization_id, hour_start)
    WHERE h.organization_id = c.organization_id AND h.hour_start = c.hour_start;
    INSERT INTO usage.hourly_rollups (
        organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum,
        latency_ms_max, cost
    )
    SELECT e.organization_id, c.hour_start, e.model_id, pg_catalog.count(*),
           pg_catalog.count(*) FILTER (WHERE e.status <> 'success'), pg_catalog.sum(e.tokens_in),
           pg_catalog.sum(e.tokens_out), pg_catalog.sum(e.latency_ms), pg_catalog.max(e.latency_ms),
           pg_catalog.sum(e.cost)
    FROM usage.events AS e
    JOIN ROWS FROM (pg_catalog.unnest(v_bucket_orgs), pg_catalog.unnest(v_bucket_hours)) AS c (organization_id, hour_start)
        ON c.organization_id = e.organization_id
       AND c.hour_start = pg_catalog.date_bin('1 hour', e.occurred_at, timestamptz '2000-01-01 00:00+00')
       AND e.occurred_at >= c.hour_start AND e.occurred_at < c.hour_start + interval '1 hour'
    WHERE e.occurred_at >= v_from AND e.occurred_at < v_to
    GROUP BY e.organization_id, c.hour_start, e.model_id;
    GET DIAGNOSTICS hourly_rows = ROW_COUNT;

    -- 3. The days, from their hourly rows (now current: no other refresher works on these days).
    v_from := v_day_starts[1];
    v_to := v_day_starts[pg_catalog.cardinality(v_day_starts)] + interval '1 day';
    DELETE FROM usage.daily_rollups AS r
    USING ROWS FROM (pg_catalog.unnest(v_day_orgs), pg_catalog.unnest(v_days)) AS d (organization_id, day)
    WHERE r.organization_id = d.organization_id AND r.day = d.day;
    INSERT INTO usage.daily_rollups (
        organization_id, day, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost
    )
    SELECT h.organization_id, d.day, h.model_id, pg_catalog.sum(h.requests),
           pg_catalog.sum(h.errors), pg_catalog.sum(h.tokens_in), pg_catalog.sum(h.tokens_out),
           pg_catalog.sum(h.latency_ms_sum), pg_catalog.max(h.latency_ms_max), pg_catalog.sum(h.cost)
    FROM usage.hourly_rollups AS h
    JOIN ROWS FROM (pg_catalog.unnest(v_day_orgs), pg_catalog.unnest(v_day_starts), pg_catalog.unnest(v_days)) AS d (organization_id, day_start, day)
        ON d.organization_id = h.organization_id
       AND d.day_start = pg_catalog.date_bin('1 day', h.hour_start, timestamptz '2000-01-01 00:00+00')
       AND h.hour_start >= d.day_start AND h.hour_start < d.day_start + interval '1 day'
    WHERE h.hour_start >= v_from AND h.hour_start < v_to
    GROUP BY h.organization_id, d.day, h.model_id;
    GET DIAGNOSTICS daily_rows = ROW_COUNT;

    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NEXT;
END
$fn$;

-- Why: the report must not name the dropped table (its views/ file of before this migration).
CREATE OR REPLACE FUNCTION usage.top_organizations_by_cost(p_from date, p_to date, p_limit integer DEFAULT 10)
RETURNS TABLE (organization_id uuid, requests bigint, errors bigint, cost numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
BEGIN
    -- The owner's explicit opt-out, for this call only (restored below).
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    RETURN QUERY
    SELECT r.organization_id, sum(r.requests)::bigint, sum(r.errors)::bigint, sum(r.cost)
    FROM usage.daily_rollups AS r
    WHERE r.day BETWEEN p_from AND p_to
    GROUP BY r.organization_id
    ORDER BY 4 DESC, 1
    LIMIT least(greatest(p_limit, 1), 1000);
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
END
$fn$;
COMMENT ON FUNCTION usage.top_organizations_by_cost(date, date, integer) IS
    'Organizations with the highest cost over the UTC days [p_from, p_to] (at most 1000), all tenants. For app_ro.';

DROP TABLE usage.monthly_rollups;

RESET ROLE;

DELETE FROM governance.column_classifications WHERE schema_name = 'usage' AND table_name = 'monthly_rollups';
