-- Migration: usage_refresh_additive
-- Inverse of the up file: usage.refresh_rollups() as 202611301100 defined it (every touched day
-- re-summed from its hourly rows, every touched month's row deleted and re-inserted, a bounded call
-- stopping after the mark that reaches its bound), the comments of 202611231140, and the daily and
-- monthly rollups back to the default fillfactor (pages already written keep their free space until
-- rewritten). Marks the up queued again stay: the old refresh claims them like any other.
-- Locks: SHARE UPDATE EXCLUSIVE on usage.daily_rollups and usage.monthly_rollups (storage parameter).

SET LOCAL ROLE app_owner;

-- Why: the default fillfactor (100) the tables had.
ALTER TABLE usage.daily_rollups RESET (fillfactor);
ALTER TABLE usage.monthly_rollups RESET (fillfactor);

-- Why: the only writer of the rollups; the steps of 202611291410 and a fifth for the totals:
-- 1. claim marks, oldest first, of UTC months no other refresher is working on (FOR UPDATE SKIP
--    LOCKED on the marks, a tried advisory lock per month), as distinct (organization, hour) buckets;
-- 2. recompute the claimed buckets from raw events and replace their hourly rows;
-- 3. recompute the buckets' UTC days from the hourly rows and replace their daily rows;
-- 4. add the days' change (daily rows written minus replaced) to their UTC months' rows;
-- 5. add the months' change (months of the trailing year) to the organizations' totals, or
--    rebuild the totals when the trailing year has moved on since they were written.
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
    v_bucket_ends timestamptz[];
    v_day_orgs uuid[];
    v_day_starts timestamptz[];
    v_day_ends timestamptz[];
    v_days date[];
    -- The claimed buckets' UTC months (first day), (v_month_orgs[i], v_months[i]), and their ends.
    v_month_orgs uuid[];
    v_months date[];
    -- The daily step's change, (v_change_orgs[i], v_change_days[i], ...): replaced rows negated and
    -- written rows; then, summed per month, the months' change (v_month_orgs[i], v_months[i], ...).
    v_change_orgs uuid[];
    v_change_days date[];
    v_change_requests numeric[];
    v_change_errors numeric[];
    v_change_tokens_in numeric[];
    v_change_tokens_out numeric[];
    v_change_costs numeric[];
    -- The months' rows replaced by step 4.
    v_old_orgs uuid[];
    v_old_months date[];
    v_old_requests bigint[];
    v_old_errors bigint[];
    v_old_tokens_in bigint[];
    v_old_tokens_out bigint[];
    v_old_costs numeric[];
    -- The trailing year's change per organization.
    v_delta_orgs uuid[];
    v_delta_requests bigint[];
    v_delta_errors bigint[];
    v_delta_costs numeric[];
    v_window date := usage.trailing_year_start(pg_catalog.now());
    v_shrunk boolean;
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
    -- The ends too, for the same reason: with `hour_start + interval '1 hour'` (not leakproof) in
    -- the join, the probes below bounded their index scans by the start only and read on to the end
    -- of the partition (or of the organization's hourly rows): an hour early in its month took 3.6x
    -- the CPU (2.5 s against 0.7 s for 6 800 buckets at bench scale 0.1).
    SELECT pg_catalog.array_agg(u.hour_start + interval '1 hour' ORDER BY u.i) INTO v_bucket_ends
    FROM pg_catalog.unnest(v_bucket_hours) WITH ORDINALITY AS u (hour_start, i);
    SELECT pg_catalog.array_agg(u.day_start + interval '1 day' ORDER BY u.i) INTO v_day_ends
    FROM pg_catalog.unnest(v_day_starts) WITH ORDINALITY AS u (day_start, i);

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
    FROM ROWS FROM (pg_catalog.unnest(v_bucket_orgs), pg_catalog.unnest(v_bucket_hours), pg_catalog.unnest(v_bucket_ends))
        AS c (organization_id, hour_start, hour_end)
    CROSS JOIN LATERAL (
        SELECT x.model_id, pg_catalog.count(*) AS requests, pg_catalog.count(*) FILTER (WHERE x.status <> 'success') AS errors,
               pg_catalog.sum(x.tokens_in) AS tokens_in, pg_catalog.sum(x.tokens_out) AS tokens_out,
               pg_catalog.sum(x.latency_ms) AS latency_ms_sum, pg_catalog.max(x.latency_ms) AS latency_ms_max,
               pg_catalog.sum(x.cost) AS cost
        FROM usage.events AS x
        WHERE x.organization_id = c.organization_id
          AND x.occurred_at >= c.hour_start AND x.occurred_at < c.hour_end
        GROUP BY x.model_id) AS e;
    GET DIAGNOSTICS hourly_rows = ROW_COUNT;

    -- 3. The days, from their hourly rows (now current: no other refresher works on their months).
    -- The rows replaced and written are kept (negated, as written) per (organization, day): their
    -- difference is the change of the months and of the trailing year.
    WITH replaced AS (
        DELETE FROM usage.daily_rollups AS r
        WHERE r.ctid = ANY (ARRAY(
            SELECT x.ctid
            FROM ROWS FROM (pg_catalog.unnest(v_day_orgs), pg_catalog.unnest(v_days)) AS d (organization_id, day)
            CROSS JOIN LATERAL (SELECT y.ctid FROM usage.daily_rollups AS y
                                WHERE y.organization_id = d.organization_id AND y.day = d.day
                                OFFSET 0) AS x))
        RETURNING r.organization_id, r.day, r.requests, r.errors, r.tokens_in, r.tokens_out, r.cost
    )
    SELECT coalesce(pg_catalog.array_agg(g.organization_id), '{}'), coalesce(pg_catalog.array_agg(g.day), '{}'),
           coalesce(pg_catalog.array_agg(-g.requests::numeric), '{}'), coalesce(pg_catalog.array_agg(-g.errors::numeric), '{}'),
           coalesce(pg_catalog.array_agg(-g.tokens_in::numeric), '{}'), coalesce(pg_catalog.array_agg(-g.tokens_out::numeric), '{}'),
           coalesce(pg_catalog.array_agg(-g.cost::numeric), '{}')
    INTO v_change_orgs, v_change_days, v_change_requests, v_change_errors, v_change_tokens_in, v_change_tokens_out,
         v_change_costs
    FROM replaced AS g;
    WITH written AS (
        INSERT INTO usage.daily_rollups (
            organization_id, day, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost
        )
        SELECT d.organization_id, d.day, h.model_id, h.requests, h.errors, h.tokens_in, h.tokens_out, h.latency_ms_sum,
               h.latency_ms_max, h.cost
        FROM ROWS FROM (pg_catalog.unnest(v_day_orgs), pg_catalog.unnest(v_day_starts), pg_catalog.unnest(v_day_ends),
                        pg_catalog.unnest(v_days))
            AS d (organization_id, day_start, day_end, day)
        CROSS JOIN LATERAL (
            SELECT x.model_id, pg_catalog.sum(x.requests) AS requests, pg_catalog.sum(x.errors) AS errors,
                   pg_catalog.sum(x.tokens_in) AS tokens_in, pg_catalog.sum(x.tokens_out) AS tokens_out,
                   pg_catalog.sum(x.latency_ms_sum) AS latency_ms_sum, pg_catalog.max(x.latency_ms_max) AS latency_ms_max,
                   pg_catalog.sum(x.cost) AS cost
            FROM usage.hourly_rollups AS x
            WHERE x.organization_id = d.organization_id
              AND x.hour_start >= d.day_start AND x.hour_start < d.day_end
            GROUP BY x.model_id) AS h
        RETURNING organization_id, day, requests, errors, tokens_in, tokens_out, cost
    )
    SELECT pg_catalog.count(*),
           v_change_orgs || coalesce(pg_catalog.array_agg(w.organization_id), '{}'),
           v_change_days || coalesce(pg_catalog.array_agg(w.day), '{}'),
           v_change_requests || coalesce(pg_catalog.array_agg(w.requests::numeric), '{}'),
           v_change_errors || coalesce(pg_catalog.array_agg(w.errors::numeric), '{}'),
           v_change_tokens_in || coalesce(pg_catalog.array_agg(w.tokens_in::numeric), '{}'),
           v_change_tokens_out || coalesce(pg_catalog.array_agg(w.tokens_out::numeric), '{}'),
           v_change_costs || coalesce(pg_catalog.array_agg(w.cost::numeric), '{}')
    INTO daily_rows, v_change_orgs, v_change_days, v_change_requests, v_change_errors, v_change_tokens_in,
         v_change_tokens_out, v_change_costs
    FROM written AS w;

    -- 4. The months: the days' change added, per (organization, UTC month), instead of re-summing
    -- the month's daily rows (at 100 000 organizations those reads were a quarter of the refresh:
    -- a month's daily rows of one organization lie on as many pages). Exact: the monthly row is
    -- the sum of its daily rows before the change and the change is written minus replaced.
    -- The months' rows are replaced, not updated in place: an UPDATE joined to the change was
    -- planned as a hash join over the whole table (the cross-tenant policy hides its size from the
    -- planner), where the DELETE below probes the primary key per month. A month left with no
    -- requests (its events deleted) gets no new row.
    -- All arrays are aggregated in one pass, so they share one row order (no ORDER BY: a sort each).
    SELECT coalesce(pg_catalog.array_agg(x.organization_id), '{}'),
           coalesce(pg_catalog.array_agg(x.month), '{}'),
           coalesce(pg_catalog.array_agg(x.requests), '{}'),
           coalesce(pg_catalog.array_agg(x.errors), '{}'),
           coalesce(pg_catalog.array_agg(x.tokens_in), '{}'),
           coalesce(pg_catalog.array_agg(x.tokens_out), '{}'),
           coalesce(pg_catalog.array_agg(x.cost), '{}')
    INTO v_month_orgs, v_months, v_change_requests, v_change_errors, v_change_tokens_in, v_change_tokens_out,
         v_change_costs
    FROM (SELECT c.organization_id, pg_catalog.date_trunc('month', c.day::timestamp without time zone)::date AS month,
                 pg_catalog.sum(c.requests) AS requests, pg_catalog.sum(c.errors) AS errors,
                 pg_catalog.sum(c.tokens_in) AS tokens_in, pg_catalog.sum(c.tokens_out) AS tokens_out,
                 pg_catalog.sum(c.cost) AS cost
          FROM ROWS FROM (pg_catalog.unnest(v_change_orgs), pg_catalog.unnest(v_change_days),
                          pg_catalog.unnest(v_change_requests), pg_catalog.unnest(v_change_errors),
                          pg_catalog.unnest(v_change_tokens_in), pg_catalog.unnest(v_change_tokens_out),
                          pg_catalog.unnest(v_change_costs))
              AS c (organization_id, day, requests, errors, tokens_in, tokens_out, cost)
          GROUP BY 1, 2
          HAVING pg_catalog.sum(c.requests) <> 0 OR pg_catalog.sum(c.errors) <> 0 OR pg_catalog.sum(c.tokens_in) <> 0
              OR pg_catalog.sum(c.tokens_out) <> 0 OR pg_catalog.sum(c.cost) <> 0) AS x;
    WITH replaced AS (
        DELETE FROM usage.monthly_rollups AS r
        WHERE r.ctid = ANY (ARRAY(
            SELECT y.ctid
            FROM ROWS FROM (pg_catalog.unnest(v_month_orgs), pg_catalog.unnest(v_months)) AS c (organization_id, month)
            CROSS JOIN LATERAL (SELECT x.ctid FROM usage.monthly_rollups AS x
                                WHERE x.organization_id = c.organization_id AND x.month = c.month
                                OFFSET 0) AS y))
        RETURNING r.organization_id, r.month, r.requests, r.errors, r.tokens_in, r.tokens_out, r.cost
    )
    SELECT coalesce(pg_catalog.array_agg(g.organization_id), '{}'), coalesce(pg_catalog.array_agg(g.month), '{}'),
           coalesce(pg_catalog.array_agg(g.requests), '{}'), coalesce(pg_catalog.array_agg(g.errors), '{}'),
           coalesce(pg_catalog.array_agg(g.tokens_in), '{}'), coalesce(pg_catalog.array_agg(g.tokens_out), '{}'),
           coalesce(pg_catalog.array_agg(g.cost), '{}')
    INTO v_old_orgs, v_old_months, v_old_requests, v_old_errors, v_old_tokens_in, v_old_tokens_out, v_old_costs
    FROM replaced AS g;
    INSERT INTO usage.monthly_rollups (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
    SELECT c.organization_id, c.month, coalesce(o.requests, 0) + c.requests, coalesce(o.errors, 0) + c.errors,
           coalesce(o.tokens_in, 0) + c.tokens_in, coalesce(o.tokens_out, 0) + c.tokens_out, coalesce(o.cost, 0) + c.cost
    FROM ROWS FROM (pg_catalog.unnest(v_month_orgs), pg_catalog.unnest(v_months), pg_catalog.unnest(v_change_requests),
                    pg_catalog.unnest(v_change_errors), pg_catalog.unnest(v_change_tokens_in),
                    pg_catalog.unnest(v_change_tokens_out), pg_catalog.unnest(v_change_costs))
        AS c (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
    LEFT JOIN ROWS FROM (pg_catalog.unnest(v_old_orgs), pg_catalog.unnest(v_old_months), pg_catalog.unnest(v_old_requests),
                         pg_catalog.unnest(v_old_errors), pg_catalog.unnest(v_old_tokens_in),
                         pg_catalog.unnest(v_old_tokens_out), pg_catalog.unnest(v_old_costs))
        AS o (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
        ON o.organization_id = c.organization_id AND o.month = c.month
    WHERE coalesce(o.requests, 0) + c.requests > 0;

    -- 5. The trailing year's totals. Under a transaction advisory lock (taken here, held to commit):
    -- refreshers serialize this step only (their row updates could not deadlock either), and a rebuild never interleaves with a delta. Each
    -- refresher adds the change of the months it alone holds, so the order of two deltas does not
    -- matter. Rows of the window exist only once rebuild_trailing_year_totals() wrote it: without
    -- them (a new month, or none of the window's months had rows yet), a change to the window rebuilds.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('usage.trailing_year_totals'), 0);
    IF EXISTS (SELECT FROM usage.trailing_year_totals AS t WHERE t.window_start < v_window)
       OR EXISTS (SELECT FROM usage.trailing_year_totals AS t WHERE t.window_start > v_window)
       OR (NOT EXISTS (SELECT FROM usage.trailing_year_totals AS t WHERE t.window_start = v_window)
           AND EXISTS (SELECT FROM pg_catalog.unnest(v_months) AS d (month)
                       WHERE d.month >= v_window AND d.month < (v_window + interval '12 months')::date)) THEN
        PERFORM usage.rebuild_trailing_year_totals(v_window);
    ELSE
        -- The change per organization, of the window's months only.
        SELECT coalesce(pg_catalog.array_agg(x.organization_id), '{}'),
               coalesce(pg_catalog.array_agg(x.requests), '{}'),
               coalesce(pg_catalog.array_agg(x.errors), '{}'),
               coalesce(pg_catalog.array_agg(x.cost), '{}'),
               coalesce(pg_catalog.bool_or(x.requests < 0), false)
        INTO v_delta_orgs, v_delta_requests, v_delta_errors, v_delta_costs, v_shrunk
        FROM (SELECT d.organization_id, pg_catalog.sum(d.requests) AS requests, pg_catalog.sum(d.errors) AS errors,
                     pg_catalog.sum(d.cost) AS cost
              FROM ROWS FROM (pg_catalog.unnest(v_month_orgs), pg_catalog.unnest(v_months),
                              pg_catalog.unnest(v_change_requests), pg_catalog.unnest(v_change_errors),
                              pg_catalog.unnest(v_change_costs)) AS d (organization_id, month, requests, errors, cost)
              WHERE d.month >= v_window AND d.month < (v_window + interval '12 months')::date
              GROUP BY d.organization_id
              HAVING pg_catalog.sum(d.requests) <> 0 OR pg_catalog.sum(d.errors) <> 0
                  OR pg_catalog.sum(d.cost) <> 0) AS x;
        -- Not one upsert: a row's CHECKs apply to the proposed insert before the conflict is seen,
        -- and a change may be negative. Organizations with a total get the change added; the others
        -- had nothing in the window, so their change is their total.
        UPDATE usage.trailing_year_totals AS t
        SET requests = t.requests + d.requests, errors = t.errors + d.errors, cost = t.cost + d.cost,
            refreshed_at = pg_catalog.now()
        FROM ROWS FROM (pg_catalog.unnest(v_delta_orgs), pg_catalog.unnest(v_delta_requests),
                        pg_catalog.unnest(v_delta_errors), pg_catalog.unnest(v_delta_costs))
            AS d (organization_id, requests, errors, cost)
        WHERE t.organization_id = d.organization_id AND t.window_start = v_window;
        INSERT INTO usage.trailing_year_totals (organization_id, window_start, requests, errors, cost)
        SELECT d.organization_id, v_window, d.requests, d.errors, d.cost
        FROM ROWS FROM (pg_catalog.unnest(v_delta_orgs), pg_catalog.unnest(v_delta_requests),
                        pg_catalog.unnest(v_delta_errors), pg_catalog.unnest(v_delta_costs))
            AS d (organization_id, requests, errors, cost)
        WHERE NOT EXISTS (SELECT FROM usage.trailing_year_totals AS t
                          WHERE t.organization_id = d.organization_id AND t.window_start = v_window);
        -- An organization whose events of the window are all gone leaves the ranking (only events
        -- deleted or moved make a total shrink; new events, the usual change, skip this).
        IF v_shrunk THEN
            DELETE FROM usage.trailing_year_totals AS t
            WHERE t.ctid = ANY (ARRAY(
                SELECT y.ctid
                FROM pg_catalog.unnest(v_delta_orgs) AS d (organization_id)
                CROSS JOIN LATERAL (SELECT x.ctid FROM usage.trailing_year_totals AS x
                                    WHERE x.organization_id = d.organization_id AND x.window_start = v_window
                                      AND x.requests = 0
                                    OFFSET 0) AS y));
        END IF;
    END IF;

    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NEXT;
END
$fn$;

COMMENT ON FUNCTION usage.refresh_rollups(integer) IS
    'Recomputes the buckets of the oldest marks of usage.rollup_marks, until they name p_max_buckets buckets '
    '(then to the end of that UTC day; NULL: all), and their UTC days, from raw events; idempotent and safe to run concurrently (READ COMMITTED). '
    'Returns distinct buckets claimed and hourly and daily rollup rows written.';
COMMENT ON TABLE usage.rollup_marks IS
    'Stale rollup buckets: each row marks (organization, UTC hour) buckets written by one statement on usage.events '
    '(or by usage.mark_rollups_dirty()); claimed and removed by usage.refresh_rollups(). Append-only.';
COMMENT ON COLUMN usage.rollup_marks.marked_at IS 'Start of the transaction that wrote the events.';

RESET ROLE;
