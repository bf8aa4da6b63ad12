-- Migration: usage_trailing_year_totals
-- Inverse of the up file: usage.top_organizations_by_cost() summing the monthly and daily rollups
-- for every range (views/40_usage_dashboards.sql is re-applied by the next up),
-- usage.refresh_rollups() as 202611291410 defined it (no totals step), and the totals dropped with
-- their rebuild function, their classification rows and usage.trailing_year_start().

SET LOCAL ROLE app_owner;

-- Why: the report of 202611291410 reads no totals.
CREATE OR REPLACE FUNCTION usage.top_organizations_by_cost(p_from date, p_to date, p_limit integer DEFAULT 10)
RETURNS TABLE (organization_id uuid, requests bigint, errors bigint, cost numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    -- [v_first_month, v_end_month): the whole months of the range (empty when there is none).
    v_first_month date := pg_catalog.date_trunc('month', (p_from - 1)::timestamp without time zone)::date
                          + interval '1 month';
    v_end_month date := pg_catalog.date_trunc('month', (p_to + 1)::timestamp without time zone)::date;
BEGIN
    IF v_end_month <= v_first_month THEN
        v_first_month := p_to + 1;
        v_end_month := p_to + 1;
    END IF;
    -- The owner's explicit opt-out, for this call only (restored below).
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    -- Ranked on cost alone (one sum per row is about half the time of three); the counts are then
    -- summed for the organizations ranked, from their primary keys. STABLE: one snapshot for both.
    RETURN QUERY
    WITH ranked AS (
        SELECT t.organization_id, sum(t.cost) AS cost
        FROM (SELECT m.organization_id, m.cost
              FROM usage.monthly_rollups AS m
              WHERE m.month >= v_first_month AND m.month < v_end_month
              UNION ALL
              SELECT r.organization_id, r.cost
              FROM usage.daily_rollups AS r
              WHERE (r.day >= p_from AND r.day < v_first_month) OR (r.day >= v_end_month AND r.day <= p_to)) AS t
        GROUP BY t.organization_id
        ORDER BY 2 DESC, 1
        LIMIT least(greatest(p_limit, 1), 1000)
    )
    SELECT k.organization_id, n.requests, n.errors, k.cost
    FROM ranked AS k
    CROSS JOIN LATERAL (
        SELECT sum(c.requests)::bigint AS requests, sum(c.errors)::bigint AS errors
        FROM (SELECT m.requests, m.errors
              FROM usage.monthly_rollups AS m
              WHERE m.organization_id = k.organization_id AND m.month >= v_first_month AND m.month < v_end_month
              UNION ALL
              SELECT r.requests, r.errors
              FROM usage.daily_rollups AS r
              WHERE r.organization_id = k.organization_id
                AND ((r.day >= p_from AND r.day < v_first_month) OR (r.day >= v_end_month AND r.day <= p_to))) AS c
    ) AS n
    ORDER BY k.cost DESC, k.organization_id;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
END
$fn$;
COMMENT ON FUNCTION usage.top_organizations_by_cost(date, date, integer) IS
    'Organizations with the highest cost over the UTC days [p_from, p_to] (at most 1000), all tenants. For app_ro. '
    'Fastest over whole months (read from usage.monthly_rollups).';
REVOKE EXECUTE ON FUNCTION usage.top_organizations_by_cost(date, date, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION usage.top_organizations_by_cost(date, date, integer) TO app_ro;

-- Why: the definition of 202611291410.
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
    -- The claimed buckets, (v_bucket_orgs[i], v_bucket_hours[i]), and their UTC days.
    v_bucket_orgs uuid[];
    v_bucket_hours timestamptz[];
    v_day_orgs uuid[];
    v_day_starts timestamptz[];
    v_days date[];
    -- The claimed buckets' UTC months (first day), (v_month_orgs[i], v_months[i]), and their ends.
    v_month_orgs uuid[];
    v_months date[];
    v_month_ends date[];
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
    -- or works on its UTC month: each claimed month is held with a transaction advisory lock that is
    -- only tried, never waited for (a month, not a day: step 4 replaces whole months). With a limit, marks are taken one at a time (an explicit cursor
    -- fetches one row) until they name p_max_buckets buckets (repeats counted): a bounded call is
    -- bounded even when all the work lies in one hour.
    IF p_max_buckets IS NULL THEN
        WITH claimed AS (
            DELETE FROM usage.rollup_marks AS m
            WHERE m.mark_id IN (
                SELECT q.mark_id FROM usage.rollup_marks AS q
                WHERE pg_catalog.pg_try_advisory_xact_lock(
                          pg_catalog.hashtext('usage.monthly_rollups'),
                          pg_catalog.date_trunc('month', q.hour_start AT TIME ZONE 'UTC')::date - date '2000-01-01')
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
            EXIT WHEN NOT FOUND OR v_counted >= p_max_buckets;
            -- The month first, then the mark: a mark of a month another refresher holds is left unlocked.
            CONTINUE WHEN NOT pg_catalog.pg_try_advisory_xact_lock(
                pg_catalog.hashtext('usage.monthly_rollups'),
                pg_catalog.date_trunc('month', v_mark.hour_start AT TIME ZONE 'UTC')::date - date '2000-01-01');
            PERFORM FROM usage.rollup_marks AS q WHERE q.mark_id = v_mark.mark_id FOR UPDATE SKIP LOCKED;
            CONTINUE WHEN NOT FOUND;  -- claimed meanwhile by a refresher that has since committed
            v_marks := v_marks || v_mark.mark_id;
            v_counted := v_counted + v_mark.named;
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

    -- Steps 2-4 probe the primary keys once per claimed bucket, day and month (a LATERAL subquery
    -- with GROUP BY or OFFSET 0 is planned as such a loop). The planner cannot estimate the rows the
    -- owner sees under the cross-tenant policy (its condition is an OR with a parameter): it took
    -- the tables for 0.5 % of their size and chose sequential scans, sorts and nested loops over
    -- them (4.7 s for 3 400 buckets on 500 000 events). A claim is small next to the tables.

    -- 2. Replace the claimed buckets' hourly rows with their raw events.
    DELETE FROM usage.hourly_rollups AS h
    WHERE h.ctid = ANY (ARRAY(
        SELECT x.ctid
        FROM ROWS FROM (pg_catalog.unnest(v_bucket_orgs), pg_catalog.unnest(v_bucket_hours)) AS c (organization_id, hour_start)
        CROSS JOIN LATERAL (SELECT r.ctid FROM usage.hourly_rollups AS r
                            WHERE r.organization_id = c.organization_id AND r.hour_start = c.hour_start
                            OFFSET 0) AS x));
    INSERT INTO usage.hourly_rollups (
        organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum,
        latency_ms_max, cost
    )
    SELECT c.organization_id, c.hour_start, e.model_id, e.requests, e.errors, e.tokens_in, e.tokens_out,
           e.latency_ms_sum, e.latency_ms_max, e.cost
    FROM ROWS FROM (pg_catalog.unnest(v_bucket_orgs), pg_catalog.unnest(v_bucket_hours)) AS c (organization_id, hour_start)
    CROSS JOIN LATERAL (
        SELECT x.model_id, pg_catalog.count(*) AS requests, pg_catalog.count(*) FILTER (WHERE x.status <> 'success') AS errors,
               pg_catalog.sum(x.tokens_in) AS tokens_in, pg_catalog.sum(x.tokens_out) AS tokens_out,
               pg_catalog.sum(x.latency_ms) AS latency_ms_sum, pg_catalog.max(x.latency_ms) AS latency_ms_max,
               pg_catalog.sum(x.cost) AS cost
        FROM usage.events AS x
        WHERE x.organization_id = c.organization_id
          AND x.occurred_at >= c.hour_start AND x.occurred_at < c.hour_start + interval '1 hour'
        GROUP BY x.model_id) AS e;
    GET DIAGNOSTICS hourly_rows = ROW_COUNT;

    -- 3. The days, from their hourly rows (now current: no other refresher works on their months).
    DELETE FROM usage.daily_rollups AS r
    WHERE r.ctid = ANY (ARRAY(
        SELECT x.ctid
        FROM ROWS FROM (pg_catalog.unnest(v_day_orgs), pg_catalog.unnest(v_days)) AS d (organization_id, day)
        CROSS JOIN LATERAL (SELECT y.ctid FROM usage.daily_rollups AS y
                            WHERE y.organization_id = d.organization_id AND y.day = d.day
                            OFFSET 0) AS x));
    INSERT INTO usage.daily_rollups (
        organization_id, day, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost
    )
    SELECT d.organization_id, d.day, h.model_id, h.requests, h.errors, h.tokens_in, h.tokens_out, h.latency_ms_sum,
           h.latency_ms_max, h.cost
    FROM ROWS FROM (pg_catalog.unnest(v_day_orgs), pg_catalog.unnest(v_day_starts), pg_catalog.unnest(v_days))
        AS d (organization_id, day_start, day)
    CROSS JOIN LATERAL (
        SELECT x.model_id, pg_catalog.sum(x.requests) AS requests, pg_catalog.sum(x.errors) AS errors,
               pg_catalog.sum(x.tokens_in) AS tokens_in, pg_catalog.sum(x.tokens_out) AS tokens_out,
               pg_catalog.sum(x.latency_ms_sum) AS latency_ms_sum, pg_catalog.max(x.latency_ms_max) AS latency_ms_max,
               pg_catalog.sum(x.cost) AS cost
        FROM usage.hourly_rollups AS x
        WHERE x.organization_id = d.organization_id
          AND x.hour_start >= d.day_start AND x.hour_start < d.day_start + interval '1 day'
        GROUP BY x.model_id) AS h;
    GET DIAGNOSTICS daily_rows = ROW_COUNT;

    -- 4. The days' UTC months, from their daily rows (current now, as the hourly rows were for the days).
    SELECT pg_catalog.array_agg(x.organization_id ORDER BY x.month, x.organization_id),
           pg_catalog.array_agg(x.month ORDER BY x.month, x.organization_id),
           pg_catalog.array_agg((x.month + interval '1 month')::date ORDER BY x.month, x.organization_id)
    INTO v_month_orgs, v_months, v_month_ends
    FROM (SELECT DISTINCT d.organization_id,
                          pg_catalog.date_trunc('month', d.day::timestamp without time zone)::date AS month
          FROM ROWS FROM (pg_catalog.unnest(v_day_orgs), pg_catalog.unnest(v_days)) AS d (organization_id, day)) AS x;
    DELETE FROM usage.monthly_rollups AS r
    WHERE r.ctid = ANY (ARRAY(
        SELECT x.ctid
        FROM ROWS FROM (pg_catalog.unnest(v_month_orgs), pg_catalog.unnest(v_months)) AS m (organization_id, month)
        CROSS JOIN LATERAL (SELECT y.ctid FROM usage.monthly_rollups AS y
                            WHERE y.organization_id = m.organization_id AND y.month = m.month
                            OFFSET 0) AS x));
    INSERT INTO usage.monthly_rollups (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
    SELECT m.organization_id, m.month, t.requests, t.errors, t.tokens_in, t.tokens_out, t.cost
    FROM ROWS FROM (pg_catalog.unnest(v_month_orgs), pg_catalog.unnest(v_months), pg_catalog.unnest(v_month_ends))
        AS m (organization_id, month, month_end)
    CROSS JOIN LATERAL (
        SELECT pg_catalog.sum(x.requests) AS requests, pg_catalog.sum(x.errors) AS errors,
               pg_catalog.sum(x.tokens_in) AS tokens_in, pg_catalog.sum(x.tokens_out) AS tokens_out,
               pg_catalog.sum(x.cost) AS cost
        FROM usage.daily_rollups AS x
        WHERE x.organization_id = m.organization_id AND x.day >= m.month AND x.day < m.month_end
        HAVING pg_catalog.count(*) > 0) AS t;

    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NEXT;
END
$fn$;

-- Why: nothing else refers to them now.
DROP FUNCTION usage.rebuild_trailing_year_totals(date);
DROP TABLE usage.trailing_year_totals;
DROP FUNCTION usage.trailing_year_start(timestamptz);

RESET ROLE;

DELETE FROM governance.column_classifications WHERE schema_name = 'usage' AND table_name = 'trailing_year_totals';
