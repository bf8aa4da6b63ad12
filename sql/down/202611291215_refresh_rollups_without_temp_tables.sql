-- Migration: refresh_rollups_without_temp_tables
-- Inverse of the up file: usage.refresh_rollups() as 202611231140 defined it (temporary tables).
-- Locks: none on data (function definition only).

SET LOCAL ROLE app_owner;

-- Why: the definition of 202611231140, unchanged.
CREATE OR REPLACE FUNCTION usage.refresh_rollups(p_max_buckets integer DEFAULT NULL)
RETURNS TABLE (buckets bigint, hourly_rows bigint, daily_rows bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
    -- Scratch tables of this transaction (a second call in the same transaction reuses them).
    IF pg_catalog.to_regclass('pg_temp.usage_refresh_marks') IS NULL THEN
        CREATE TEMPORARY TABLE usage_refresh_marks (
            hour_start timestamptz NOT NULL, organization_ids uuid[] NOT NULL
        ) ON COMMIT DROP;
        CREATE TEMPORARY TABLE usage_refresh_claimed (
            organization_id uuid NOT NULL, hour_start timestamptz NOT NULL
        ) ON COMMIT DROP;
        CREATE TEMPORARY TABLE usage_refresh_days (
            organization_id uuid NOT NULL, day_start timestamptz NOT NULL, day date NOT NULL
        ) ON COMMIT DROP;
        CREATE TEMPORARY TABLE usage_refresh_hourly (
            organization_id uuid NOT NULL, hour_start timestamptz NOT NULL, model_id uuid NOT NULL, requests bigint NOT NULL,
            errors bigint NOT NULL, tokens_in bigint NOT NULL, tokens_out bigint NOT NULL, latency_ms_sum bigint NOT NULL,
            latency_ms_max integer NOT NULL, cost numeric NOT NULL
        ) ON COMMIT DROP;
    END IF;
    TRUNCATE usage_refresh_marks, usage_refresh_claimed, usage_refresh_days, usage_refresh_hourly;
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    hourly_rows := 0;
    daily_rows := 0;

    -- 1. Claim marks, oldest first. A mark is skipped when another refresher holds it (SKIP LOCKED)
    -- or works on its UTC day: each claimed day is held with a transaction advisory lock that is only
    -- tried, never waited for. Refreshers therefore never wait for each other and never compute the
    -- same bucket at once, and a refresher that gets a day sees (in each later statement) what the
    -- previous holder of that day committed. With a limit, marks are taken one at a time (an explicit
    -- cursor fetches one row) until they name p_max_buckets buckets (repeats counted), then to the end
    -- of that UTC day.
    IF p_max_buckets IS NULL THEN
        WITH claimed AS (
            DELETE FROM usage.rollup_marks AS m
            WHERE m.mark_id IN (
                SELECT q.mark_id FROM usage.rollup_marks AS q
                WHERE pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('usage.daily_rollups'),
                                                           (q.hour_start AT TIME ZONE 'UTC')::date - date '2000-01-01')
                FOR UPDATE SKIP LOCKED)
            RETURNING m.hour_start, m.organization_ids
        )
        INSERT INTO usage_refresh_marks SELECT c.hour_start, c.organization_ids FROM claimed AS c;
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
        )
        INSERT INTO usage_refresh_marks SELECT c.hour_start, c.organization_ids FROM claimed AS c;
    END IF;

    -- The claimed marks as distinct buckets, and their days.
    INSERT INTO usage_refresh_claimed
    SELECT DISTINCT o.organization_id, m.hour_start
    FROM usage_refresh_marks AS m CROSS JOIN LATERAL pg_catalog.unnest(m.organization_ids) AS o (organization_id);
    GET DIAGNOSTICS buckets = ROW_COUNT;
    IF buckets = 0 THEN
        PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
        RETURN NEXT;
        RETURN;
    END IF;
    ANALYZE usage_refresh_claimed;
    -- The day is stored, not computed in the joins below: a join condition holding a function that is
    -- not leakproof (timezone(), a date cast) cannot be pushed under the rollups' RLS into an index scan.
    INSERT INTO usage_refresh_days
    SELECT x.organization_id, x.day_start, (x.day_start AT TIME ZONE 'UTC')::date
    FROM (SELECT DISTINCT c.organization_id,
                          pg_catalog.date_bin('1 day', c.hour_start, timestamptz '2000-01-01 00:00+00') AS day_start
          FROM usage_refresh_claimed AS c) AS x;
    ANALYZE usage_refresh_days;

    -- 2. The claimed buckets from raw events. The equality lets a large claim hash-join the events;
    -- the range lets a small one probe the primary key of usage.events per bucket.
    SELECT pg_catalog.min(c.hour_start), pg_catalog.max(c.hour_start) + interval '1 hour' INTO v_from, v_to
    FROM usage_refresh_claimed AS c;
    INSERT INTO usage_refresh_hourly
    SELECT e.organization_id, c.hour_start, e.model_id, pg_catalog.count(*),
           pg_catalog.count(*) FILTER (WHERE e.status <> 'success'), pg_catalog.sum(e.tokens_in),
           pg_catalog.sum(e.tokens_out), pg_catalog.sum(e.latency_ms), pg_catalog.max(e.latency_ms),
           pg_catalog.sum(e.cost)
    FROM usage.events AS e
    JOIN usage_refresh_claimed AS c
        ON c.organization_id = e.organization_id
       AND c.hour_start = pg_catalog.date_bin('1 hour', e.occurred_at, timestamptz '2000-01-01 00:00+00')
       AND e.occurred_at >= c.hour_start AND e.occurred_at < c.hour_start + interval '1 hour'
    WHERE e.occurred_at >= v_from AND e.occurred_at < v_to
    GROUP BY e.organization_id, c.hour_start, e.model_id;

    -- Replace the claimed buckets' rows.
    DELETE FROM usage.hourly_rollups AS h
    USING usage_refresh_claimed AS c
    WHERE h.organization_id = c.organization_id AND h.hour_start = c.hour_start;
    INSERT INTO usage.hourly_rollups (
        organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum,
        latency_ms_max, cost
    )
    SELECT f.organization_id, f.hour_start, f.model_id, f.requests, f.errors, f.tokens_in, f.tokens_out,
           f.latency_ms_sum, f.latency_ms_max, f.cost
    FROM usage_refresh_hourly AS f;
    GET DIAGNOSTICS hourly_rows = ROW_COUNT;

    -- 3. The days, from their hourly rows (now current: no other refresher works on these days).
    SELECT pg_catalog.min(d.day_start), pg_catalog.max(d.day_start) + interval '1 day' INTO v_from, v_to
    FROM usage_refresh_days AS d;
    DELETE FROM usage.daily_rollups AS r
    USING usage_refresh_days AS d
    WHERE r.organization_id = d.organization_id AND r.day = d.day;
    INSERT INTO usage.daily_rollups (
        organization_id, day, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost
    )
    SELECT h.organization_id, d.day, h.model_id, pg_catalog.sum(h.requests),
           pg_catalog.sum(h.errors), pg_catalog.sum(h.tokens_in), pg_catalog.sum(h.tokens_out),
           pg_catalog.sum(h.latency_ms_sum), pg_catalog.max(h.latency_ms_max), pg_catalog.sum(h.cost)
    FROM usage.hourly_rollups AS h
    JOIN usage_refresh_days AS d
        ON d.organization_id = h.organization_id
       AND d.day_start = pg_catalog.date_bin('1 day', h.hour_start, timestamptz '2000-01-01 00:00+00')
       AND h.hour_start >= d.day_start AND h.hour_start < d.day_start + interval '1 day'
    WHERE h.hour_start >= v_from AND h.hour_start < v_to
    GROUP BY h.organization_id, d.day, h.model_id;
    GET DIAGNOSTICS daily_rows = ROW_COUNT;

    TRUNCATE usage_refresh_marks, usage_refresh_claimed, usage_refresh_days, usage_refresh_hourly;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NEXT;
END
$fn$;
RESET ROLE;
