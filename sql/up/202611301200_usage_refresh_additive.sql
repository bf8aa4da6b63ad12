-- Migration: usage_refresh_additive
-- An hour at the specification's density (114 000 events over 100 000 organizations) took 24-26 s
-- to roll up, against a goal of 10 s: for every bucket the refresh deleted and re-inserted its
-- hourly row, its day's daily rows (re-summed from the day's hourly rows) and its month's row, and
-- the marks of a busy hour, claimed by successive bounded calls, named most buckets more than once
-- (104 000 bucket refreshes for 68 000 buckets). Now:
-- - the daily rows are kept from the change of the hourly rows (written minus replaced, per
--   organization, UTC day and model), added in place by an upsert, instead of being deleted and
--   re-summed; only a day whose change could lower its largest latency or is not a valid row by
--   itself (a correction, a deletion) is still recomputed from its hourly rows;
-- - the months' change (a difference since 202611301100) and the trailing-year totals' change are
--   added in place the same way; a change that removes requests still replaces the row;
-- - the daily and monthly rollups leave free space on their pages (fillfactor 80 and 70) and no
--   index covers a column an update changes, so those updates are HOT (no index entry written).
--   The setting applies to pages written from now on; `VACUUM FULL` of the two tables in a
--   maintenance window applies it to existing pages;
-- - a bounded call claims marks naming up to 8 x its bound (repeats counted), refreshes at most
--   its bound of distinct buckets and queues the rest again (one mark per hour, in the same
--   transaction): each bucket of a busy hour is refreshed once.
-- The rollup tables' columns and meaning, the marks' columns and the function's signature are
-- unchanged; the refresh now also writes marks (the buckets it queues again).
-- Locks: SHARE UPDATE EXCLUSIVE on usage.daily_rollups and usage.monthly_rollups (storage
-- parameter, catalog only: reads and writes go on). usage.refresh_rollups() is replaced in place.

SET LOCAL ROLE app_owner;

-- Why: room on each page for the new version of a row the refresh updates (a HOT update must stay
-- on its page; pruning frees the versions the previous refreshes left). A day's rows are updated
-- while the day is current, up to once per organization and refresh call (a fifth of a page's rows
-- per 20 000-bucket call at the specification's density), then never: 20 %. A month's row is
-- updated all month, one row per organization: 30 %.
ALTER TABLE usage.daily_rollups SET (fillfactor = 80);
ALTER TABLE usage.monthly_rollups SET (fillfactor = 70);

-- Why: the only writer of the rollups; the steps of 202611301100, with the daily and monthly rows
-- kept by adding their change in place:
-- 1. claim marks, oldest first, of UTC months no other refresher is working on (FOR UPDATE SKIP
--    LOCKED on the marks, a tried advisory lock per month), as distinct (organization, hour) buckets;
-- 2. recompute the claimed buckets from raw events and replace their hourly rows;
-- 3. add the hourly rows' change (written minus replaced) to the daily rows per (organization, UTC
--    day, model), or recompute the day from its hourly rows when the change cannot be added;
-- 4. add the days' change to their UTC months' rows, or replace a month's row by old + change;
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
    -- The claimed buckets, (v_bucket_orgs[i], v_bucket_hours[i]), and the ends of their hours.
    v_bucket_orgs uuid[];
    v_bucket_hours timestamptz[];
    v_bucket_ends timestamptz[];
    v_marked_at timestamptz;
    -- The hourly rows' change: rows replaced (negated, with their latency maximum in v_h_old_max)
    -- and written (their maximum in v_h_new_max).
    v_h_orgs uuid[];
    v_h_hours timestamptz[];
    v_h_models uuid[];
    v_h_requests bigint[];
    v_h_errors bigint[];
    v_h_tokens_in bigint[];
    v_h_tokens_out bigint[];
    v_h_latency_sums bigint[];
    v_h_costs numeric[];
    v_h_old_max integer[];
    v_h_new_max integer[];
    -- The change per (organization, day, model) added in place (3a).
    v_d_orgs uuid[];
    v_d_days date[];
    v_d_models uuid[];
    v_d_requests bigint[];
    v_d_errors bigint[];
    v_d_tokens_in bigint[];
    v_d_tokens_out bigint[];
    v_d_latency_sums bigint[];
    v_d_max integer[];
    v_d_costs numeric[];
    -- The days recomputed from their hourly rows (3b), and their bounds.
    v_day_orgs uuid[];
    v_days date[];
    v_day_starts timestamptz[];
    v_day_ends timestamptz[];
    -- The days' change, (v_change_orgs[i], v_change_days[i], ...); then, summed per month, the
    -- months' change (v_month_orgs[i], v_months[i], ...).
    v_change_orgs uuid[];
    v_change_days date[];
    v_change_requests bigint[];
    v_change_errors bigint[];
    v_change_tokens_in bigint[];
    v_change_tokens_out bigint[];
    v_change_costs numeric[];
    v_month_orgs uuid[];
    v_months date[];
    v_all_added boolean;
    -- The months whose change is not added in place (4b), and their rows replaced.
    v_slow_orgs uuid[];
    v_slow_months date[];
    v_slow_requests bigint[];
    v_slow_errors bigint[];
    v_slow_tokens_in bigint[];
    v_slow_tokens_out bigint[];
    v_slow_costs numeric[];
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
    v_totals_added boolean;
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
    -- only tried, never waited for (a month, not a day: step 4 writes whole months). With a limit,
    -- marks are taken one at a time (an explicit cursor fetches one row) until they name 8 x
    -- p_max_buckets buckets (repeats counted), and at most p_max_buckets distinct buckets are
    -- refreshed (the rest queued again, below): a bounded call is bounded even when all the work
    -- lies in one hour.
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
            EXIT WHEN NOT FOUND OR v_counted >= p_max_buckets::bigint * 8;
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
            RETURNING m.hour_start, m.organization_ids, m.marked_at
        ),
        claimed_buckets AS (
            SELECT DISTINCT c.hour_start, o.organization_id
            FROM claimed AS c CROSS JOIN LATERAL pg_catalog.unnest(c.organization_ids) AS o (organization_id)
            ORDER BY c.hour_start, o.organization_id
        )
        -- One sort for DISTINCT and order (an ORDER BY per array_agg sorted the buckets twice more;
        -- the arrays share one row order either way, which is all their alignment needs).
        SELECT coalesce(pg_catalog.array_agg(b.organization_id), '{}'), coalesce(pg_catalog.array_agg(b.hour_start), '{}'),
               (SELECT pg_catalog.min(c.marked_at) FROM claimed AS c)
        INTO v_bucket_orgs, v_bucket_hours, v_marked_at
        FROM claimed_buckets AS b;
        -- The buckets beyond the bound, in (hour, organization) order, are queued again: one mark
        -- per hour, in this transaction (they stay marked whatever happens), marked when the oldest
        -- claimed mark was. Marks name an organization once per event written, so the marks of a
        -- busy hour claimed by successive bounded calls named the same buckets again and again (at
        -- the specification's density 104 000 bucket refreshes for 68 000 buckets); claiming up to
        -- 8 x p_max_buckets names and refreshing p_max_buckets distinct buckets refreshes each once.
        IF pg_catalog.cardinality(v_bucket_orgs) > p_max_buckets THEN
            INSERT INTO usage.rollup_marks (hour_start, organization_ids, marked_at)
            SELECT u.hour_start, pg_catalog.array_agg(u.organization_id ORDER BY u.organization_id), v_marked_at
            FROM ROWS FROM (pg_catalog.unnest(v_bucket_orgs[p_max_buckets + 1:]),
                            pg_catalog.unnest(v_bucket_hours[p_max_buckets + 1:])) AS u (organization_id, hour_start)
            GROUP BY u.hour_start;
            v_bucket_orgs := v_bucket_orgs[:p_max_buckets];
            v_bucket_hours := v_bucket_hours[:p_max_buckets];
        END IF;
    END IF;

    buckets := pg_catalog.cardinality(v_bucket_orgs);
    IF buckets = 0 THEN
        PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
        RETURN NEXT;
        RETURN;
    END IF;
    -- The ends of the buckets' hours are stored, not computed in the join below: `hour_start +
    -- interval '1 hour'` is not leakproof, so under RLS the probe would be bounded by its start only
    -- and read on to the end of the partition (202611301100).
    SELECT pg_catalog.array_agg(u.hour_start + interval '1 hour' ORDER BY u.i) INTO v_bucket_ends
    FROM pg_catalog.unnest(v_bucket_hours) WITH ORDINALITY AS u (hour_start, i);

    -- Steps 2 and 3b probe the primary keys once per claimed bucket and slow day (a LATERAL subquery
    -- with GROUP BY or OFFSET 0 is planned as such a loop): the planner cannot estimate the rows the
    -- owner sees under the cross-tenant policy (an OR with a parameter) and would scan whole tables.
    -- Steps 3a and 4a write by upsert: a probe per row by construction, no join to plan.

    -- 2. Replace the claimed buckets' hourly rows with their raw events, keeping the rows replaced
    -- (negated, with their latency maximum) and written: their difference is the days' change.
    WITH replaced AS (
        DELETE FROM usage.hourly_rollups AS h
        WHERE h.ctid = ANY (ARRAY(
            SELECT x.ctid
            FROM ROWS FROM (pg_catalog.unnest(v_bucket_orgs), pg_catalog.unnest(v_bucket_hours)) AS c (organization_id, hour_start)
            CROSS JOIN LATERAL (SELECT r.ctid FROM usage.hourly_rollups AS r
                                WHERE r.organization_id = c.organization_id AND r.hour_start = c.hour_start
                                OFFSET 0) AS x))
        RETURNING h.organization_id, h.hour_start, h.model_id, h.requests, h.errors, h.tokens_in, h.tokens_out,
                  h.latency_ms_sum, h.latency_ms_max, h.cost
    )
    SELECT coalesce(pg_catalog.array_agg(g.organization_id), '{}'), coalesce(pg_catalog.array_agg(g.hour_start), '{}'),
           coalesce(pg_catalog.array_agg(g.model_id), '{}'), coalesce(pg_catalog.array_agg(-g.requests), '{}'),
           coalesce(pg_catalog.array_agg(-g.errors), '{}'), coalesce(pg_catalog.array_agg(-g.tokens_in), '{}'),
           coalesce(pg_catalog.array_agg(-g.tokens_out), '{}'), coalesce(pg_catalog.array_agg(-g.latency_ms_sum), '{}'),
           coalesce(pg_catalog.array_agg(-g.cost), '{}'), coalesce(pg_catalog.array_agg(g.latency_ms_max), '{}'),
           coalesce(pg_catalog.array_agg(NULL::integer), '{}')
    INTO v_h_orgs, v_h_hours, v_h_models, v_h_requests, v_h_errors, v_h_tokens_in, v_h_tokens_out, v_h_latency_sums,
         v_h_costs, v_h_old_max, v_h_new_max
    FROM replaced AS g;
    WITH written AS (
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
            GROUP BY x.model_id) AS e
        RETURNING organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum,
                  latency_ms_max, cost
    )
    SELECT pg_catalog.count(*),
           v_h_orgs || coalesce(pg_catalog.array_agg(w.organization_id), '{}'),
           v_h_hours || coalesce(pg_catalog.array_agg(w.hour_start), '{}'),
           v_h_models || coalesce(pg_catalog.array_agg(w.model_id), '{}'),
           v_h_requests || coalesce(pg_catalog.array_agg(w.requests), '{}'),
           v_h_errors || coalesce(pg_catalog.array_agg(w.errors), '{}'),
           v_h_tokens_in || coalesce(pg_catalog.array_agg(w.tokens_in), '{}'),
           v_h_tokens_out || coalesce(pg_catalog.array_agg(w.tokens_out), '{}'),
           v_h_latency_sums || coalesce(pg_catalog.array_agg(w.latency_ms_sum), '{}'),
           v_h_costs || coalesce(pg_catalog.array_agg(w.cost), '{}'),
           v_h_old_max || coalesce(pg_catalog.array_agg(NULL::integer), '{}'),
           v_h_new_max || coalesce(pg_catalog.array_agg(w.latency_ms_max), '{}')
    INTO hourly_rows, v_h_orgs, v_h_hours, v_h_models, v_h_requests, v_h_errors, v_h_tokens_in, v_h_tokens_out,
         v_h_latency_sums, v_h_costs, v_h_old_max, v_h_new_max
    FROM written AS w;

    -- 3. The days' change per (organization, UTC day, model): the hourly rows written minus those
    -- replaced. A change is added to the daily row in place (3a) when the sums it adds are a valid
    -- row themselves and the day's largest latency cannot have fallen: the largest latency of the
    -- hourly rows written is at least that of the rows replaced (then the day's new maximum is the
    -- greater of its old one and the written rows'). That is the usual change: new events. A row
    -- that came back unchanged adds nothing: another model of its bucket changed, or the bucket was
    -- claimed again (an organization named by marks that two bounded calls claimed; at the
    -- specification's density a third of an hour's buckets) with no new event since. Any other
    -- change of a day (a correction, a deletion) recomputes that whole day from its hourly rows
    -- (3b), as every day was before 202611301200.
    SELECT coalesce(pg_catalog.array_agg(t.organization_id) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.day) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.model_id) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.requests) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.errors) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.tokens_in) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.tokens_out) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.latency_ms_sum) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.new_max) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.cost) FILTER (WHERE t.fast AND NOT t.slow_day), '{}'),
           coalesce(pg_catalog.array_agg(t.organization_id) FILTER (WHERE t.slow_day AND t.first_of_day), '{}'),
           coalesce(pg_catalog.array_agg(t.day) FILTER (WHERE t.slow_day AND t.first_of_day), '{}')
    INTO v_d_orgs, v_d_days, v_d_models, v_d_requests, v_d_errors, v_d_tokens_in, v_d_tokens_out, v_d_latency_sums,
         v_d_max, v_d_costs, v_day_orgs, v_days
    FROM (SELECT s.*,
                 pg_catalog.bool_or(NOT s.fast AND NOT s.unchanged) OVER w AS slow_day,
                 pg_catalog.row_number() OVER w = 1 AS first_of_day
          FROM (SELECT g.*,
                       g.requests > 0 AND g.errors BETWEEN 0 AND g.requests AND g.tokens_in >= 0 AND g.tokens_out >= 0
                           AND g.latency_ms_sum >= 0 AND g.cost >= 0
                           AND (g.old_max IS NULL OR g.new_max >= g.old_max) AS fast,
                       g.requests = 0 AND g.errors = 0 AND g.tokens_in = 0 AND g.tokens_out = 0 AND g.latency_ms_sum = 0
                           AND g.cost = 0 AND g.new_max IS NOT DISTINCT FROM g.old_max AS unchanged
                FROM (SELECT c.organization_id, (c.hour_start AT TIME ZONE 'UTC')::date AS day, c.model_id,
                             pg_catalog.sum(c.requests)::bigint AS requests, pg_catalog.sum(c.errors)::bigint AS errors,
                             pg_catalog.sum(c.tokens_in)::bigint AS tokens_in, pg_catalog.sum(c.tokens_out)::bigint AS tokens_out,
                             pg_catalog.sum(c.latency_ms_sum)::bigint AS latency_ms_sum, pg_catalog.sum(c.cost) AS cost,
                             pg_catalog.max(c.old_max) AS old_max, pg_catalog.max(c.new_max) AS new_max
                      FROM ROWS FROM (pg_catalog.unnest(v_h_orgs), pg_catalog.unnest(v_h_hours), pg_catalog.unnest(v_h_models),
                                      pg_catalog.unnest(v_h_requests), pg_catalog.unnest(v_h_errors),
                                      pg_catalog.unnest(v_h_tokens_in), pg_catalog.unnest(v_h_tokens_out),
                                      pg_catalog.unnest(v_h_latency_sums), pg_catalog.unnest(v_h_costs),
                                      pg_catalog.unnest(v_h_old_max), pg_catalog.unnest(v_h_new_max))
                          AS c (organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out,
                                latency_ms_sum, cost, old_max, new_max)
                      GROUP BY 1, 2, 3) AS g) AS s
          WINDOW w AS (PARTITION BY s.organization_id, s.day)) AS t;

    -- 3a. Added in place: an upsert probes the primary key once per row; an existing row is updated
    -- with no indexed column changed, so with the free space fillfactor leaves on its page the
    -- update is HOT (no index entry written). The row proposed for insertion is the change itself,
    -- which the filter above made a valid row (a row's CHECKs apply to it before the conflict is seen).
    INSERT INTO usage.daily_rollups AS r (
        organization_id, day, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost
    )
    SELECT d.organization_id, d.day, d.model_id, d.requests, d.errors, d.tokens_in, d.tokens_out, d.latency_ms_sum,
           d.latency_ms_max, d.cost
    FROM ROWS FROM (pg_catalog.unnest(v_d_orgs), pg_catalog.unnest(v_d_days), pg_catalog.unnest(v_d_models),
                    pg_catalog.unnest(v_d_requests), pg_catalog.unnest(v_d_errors), pg_catalog.unnest(v_d_tokens_in),
                    pg_catalog.unnest(v_d_tokens_out), pg_catalog.unnest(v_d_latency_sums), pg_catalog.unnest(v_d_max),
                    pg_catalog.unnest(v_d_costs))
        AS d (organization_id, day, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost)
    ON CONFLICT ON CONSTRAINT pk_daily_rollups DO UPDATE
    SET requests = r.requests + excluded.requests, errors = r.errors + excluded.errors,
        tokens_in = r.tokens_in + excluded.tokens_in, tokens_out = r.tokens_out + excluded.tokens_out,
        latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum,
        latency_ms_max = GREATEST(r.latency_ms_max, excluded.latency_ms_max),
        cost = r.cost + excluded.cost, refreshed_at = pg_catalog.now();
    GET DIAGNOSTICS daily_rows = ROW_COUNT;
    -- The months' change starts with these changes.
    v_change_orgs := v_d_orgs;
    v_change_days := v_d_days;
    v_change_requests := v_d_requests;
    v_change_errors := v_d_errors;
    v_change_tokens_in := v_d_tokens_in;
    v_change_tokens_out := v_d_tokens_out;
    v_change_costs := v_d_costs;

    -- 3b. The other days, recomputed from their hourly rows (now current: no other refresher works
    -- on their months); the rows replaced (negated) and written join the months' change. The days'
    -- bounds are stored, not computed in the join (not leakproof: see the bucket ends above).
    IF pg_catalog.cardinality(v_day_orgs) > 0 THEN
        SELECT pg_catalog.array_agg(u.day::timestamp without time zone AT TIME ZONE 'UTC' ORDER BY u.i),
               pg_catalog.array_agg((u.day + 1)::timestamp without time zone AT TIME ZONE 'UTC' ORDER BY u.i)
        INTO v_day_starts, v_day_ends
        FROM pg_catalog.unnest(v_days) WITH ORDINALITY AS u (day, i);
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
        SELECT v_change_orgs || coalesce(pg_catalog.array_agg(g.organization_id), '{}'),
               v_change_days || coalesce(pg_catalog.array_agg(g.day), '{}'),
               v_change_requests || coalesce(pg_catalog.array_agg(-g.requests), '{}'),
               v_change_errors || coalesce(pg_catalog.array_agg(-g.errors), '{}'),
               v_change_tokens_in || coalesce(pg_catalog.array_agg(-g.tokens_in), '{}'),
               v_change_tokens_out || coalesce(pg_catalog.array_agg(-g.tokens_out), '{}'),
               v_change_costs || coalesce(pg_catalog.array_agg(-g.cost), '{}')
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
        SELECT daily_rows + pg_catalog.count(*),
               v_change_orgs || coalesce(pg_catalog.array_agg(w.organization_id), '{}'),
               v_change_days || coalesce(pg_catalog.array_agg(w.day), '{}'),
               v_change_requests || coalesce(pg_catalog.array_agg(w.requests), '{}'),
               v_change_errors || coalesce(pg_catalog.array_agg(w.errors), '{}'),
               v_change_tokens_in || coalesce(pg_catalog.array_agg(w.tokens_in), '{}'),
               v_change_tokens_out || coalesce(pg_catalog.array_agg(w.tokens_out), '{}'),
               v_change_costs || coalesce(pg_catalog.array_agg(w.cost), '{}')
        INTO daily_rows, v_change_orgs, v_change_days, v_change_requests, v_change_errors, v_change_tokens_in,
             v_change_tokens_out, v_change_costs
        FROM written AS w;
    END IF;

    -- 4. The months' change per (organization, UTC month): the days' change summed (all arrays in
    -- one pass share one row order). Months whose change is a valid row are added in place (4a, an
    -- upsert as in 3a); the others (a change that removes requests) replace the month's row by old +
    -- change (4b, as before), and a month left with no requests gets no new row.
    SELECT coalesce(pg_catalog.array_agg(x.organization_id), '{}'),
           coalesce(pg_catalog.array_agg(x.month), '{}'),
           coalesce(pg_catalog.array_agg(x.requests), '{}'),
           coalesce(pg_catalog.array_agg(x.errors), '{}'),
           coalesce(pg_catalog.array_agg(x.tokens_in), '{}'),
           coalesce(pg_catalog.array_agg(x.tokens_out), '{}'),
           coalesce(pg_catalog.array_agg(x.cost), '{}'),
           coalesce(pg_catalog.bool_and(x.requests > 0 AND x.errors BETWEEN 0 AND x.requests AND x.tokens_in >= 0
                                        AND x.tokens_out >= 0 AND x.cost >= 0), true)
    INTO v_month_orgs, v_months, v_change_requests, v_change_errors, v_change_tokens_in, v_change_tokens_out,
         v_change_costs, v_all_added
    FROM (SELECT c.organization_id, pg_catalog.date_trunc('month', c.day::timestamp without time zone)::date AS month,
                 pg_catalog.sum(c.requests)::bigint AS requests, pg_catalog.sum(c.errors)::bigint AS errors,
                 pg_catalog.sum(c.tokens_in)::bigint AS tokens_in, pg_catalog.sum(c.tokens_out)::bigint AS tokens_out,
                 pg_catalog.sum(c.cost) AS cost
          FROM ROWS FROM (pg_catalog.unnest(v_change_orgs), pg_catalog.unnest(v_change_days),
                          pg_catalog.unnest(v_change_requests), pg_catalog.unnest(v_change_errors),
                          pg_catalog.unnest(v_change_tokens_in), pg_catalog.unnest(v_change_tokens_out),
                          pg_catalog.unnest(v_change_costs))
              AS c (organization_id, day, requests, errors, tokens_in, tokens_out, cost)
          GROUP BY 1, 2
          HAVING pg_catalog.sum(c.requests) <> 0 OR pg_catalog.sum(c.errors) <> 0 OR pg_catalog.sum(c.tokens_in) <> 0
              OR pg_catalog.sum(c.tokens_out) <> 0 OR pg_catalog.sum(c.cost) <> 0) AS x;

    -- 4a. Added in place (HOT: no indexed column changes; fillfactor leaves room on the page).
    INSERT INTO usage.monthly_rollups AS r (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
    SELECT c.organization_id, c.month, c.requests, c.errors, c.tokens_in, c.tokens_out, c.cost
    FROM ROWS FROM (pg_catalog.unnest(v_month_orgs), pg_catalog.unnest(v_months), pg_catalog.unnest(v_change_requests),
                    pg_catalog.unnest(v_change_errors), pg_catalog.unnest(v_change_tokens_in),
                    pg_catalog.unnest(v_change_tokens_out), pg_catalog.unnest(v_change_costs))
        AS c (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
    WHERE v_all_added
       OR (c.requests > 0 AND c.errors BETWEEN 0 AND c.requests AND c.tokens_in >= 0 AND c.tokens_out >= 0 AND c.cost >= 0)
    ON CONFLICT ON CONSTRAINT pk_monthly_rollups DO UPDATE
    SET requests = r.requests + excluded.requests, errors = r.errors + excluded.errors,
        tokens_in = r.tokens_in + excluded.tokens_in, tokens_out = r.tokens_out + excluded.tokens_out,
        cost = r.cost + excluded.cost, refreshed_at = pg_catalog.now();

    -- 4b. The other months (only when a change removed something): old + change replaces the row.
    IF NOT v_all_added THEN
        SELECT pg_catalog.array_agg(c.organization_id), pg_catalog.array_agg(c.month), pg_catalog.array_agg(c.requests),
               pg_catalog.array_agg(c.errors), pg_catalog.array_agg(c.tokens_in), pg_catalog.array_agg(c.tokens_out),
               pg_catalog.array_agg(c.cost)
        INTO v_slow_orgs, v_slow_months, v_slow_requests, v_slow_errors, v_slow_tokens_in, v_slow_tokens_out, v_slow_costs
        FROM ROWS FROM (pg_catalog.unnest(v_month_orgs), pg_catalog.unnest(v_months), pg_catalog.unnest(v_change_requests),
                        pg_catalog.unnest(v_change_errors), pg_catalog.unnest(v_change_tokens_in),
                        pg_catalog.unnest(v_change_tokens_out), pg_catalog.unnest(v_change_costs))
            AS c (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
        WHERE NOT (c.requests > 0 AND c.errors BETWEEN 0 AND c.requests AND c.tokens_in >= 0 AND c.tokens_out >= 0
                   AND c.cost >= 0);
        WITH replaced AS (
            DELETE FROM usage.monthly_rollups AS r
            WHERE r.ctid = ANY (ARRAY(
                SELECT y.ctid
                FROM ROWS FROM (pg_catalog.unnest(v_slow_orgs), pg_catalog.unnest(v_slow_months)) AS c (organization_id, month)
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
        FROM ROWS FROM (pg_catalog.unnest(v_slow_orgs), pg_catalog.unnest(v_slow_months), pg_catalog.unnest(v_slow_requests),
                        pg_catalog.unnest(v_slow_errors), pg_catalog.unnest(v_slow_tokens_in),
                        pg_catalog.unnest(v_slow_tokens_out), pg_catalog.unnest(v_slow_costs))
            AS c (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
        LEFT JOIN ROWS FROM (pg_catalog.unnest(v_old_orgs), pg_catalog.unnest(v_old_months), pg_catalog.unnest(v_old_requests),
                             pg_catalog.unnest(v_old_errors), pg_catalog.unnest(v_old_tokens_in),
                             pg_catalog.unnest(v_old_tokens_out), pg_catalog.unnest(v_old_costs))
            AS o (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
            ON o.organization_id = c.organization_id AND o.month = c.month
        WHERE coalesce(o.requests, 0) + c.requests > 0;
    END IF;

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
               coalesce(pg_catalog.bool_or(x.requests < 0), false),
               coalesce(pg_catalog.bool_and(x.requests >= 0 AND x.errors BETWEEN 0 AND x.requests AND x.cost >= 0), true)
        INTO v_delta_orgs, v_delta_requests, v_delta_errors, v_delta_costs, v_shrunk, v_totals_added
        FROM (SELECT d.organization_id, pg_catalog.sum(d.requests) AS requests, pg_catalog.sum(d.errors) AS errors,
                     pg_catalog.sum(d.cost) AS cost
              FROM ROWS FROM (pg_catalog.unnest(v_month_orgs), pg_catalog.unnest(v_months),
                              pg_catalog.unnest(v_change_requests), pg_catalog.unnest(v_change_errors),
                              pg_catalog.unnest(v_change_costs)) AS d (organization_id, month, requests, errors, cost)
              WHERE d.month >= v_window AND d.month < (v_window + interval '12 months')::date
              GROUP BY d.organization_id
              HAVING pg_catalog.sum(d.requests) <> 0 OR pg_catalog.sum(d.errors) <> 0
                  OR pg_catalog.sum(d.cost) <> 0) AS x;
        -- When every change is a valid row (new events: the usual case), one upsert adds them (a
        -- probe per organization; the update is HOT). Otherwise not one upsert: a row's CHECKs apply
        -- to the proposed insert before the conflict is seen, and a change may be negative.
        -- Organizations with a total get the change added; the others had nothing in the window,
        -- so their change is their total.
        IF v_totals_added THEN
            INSERT INTO usage.trailing_year_totals AS t (organization_id, window_start, requests, errors, cost)
            SELECT d.organization_id, v_window, d.requests, d.errors, d.cost
            FROM ROWS FROM (pg_catalog.unnest(v_delta_orgs), pg_catalog.unnest(v_delta_requests),
                            pg_catalog.unnest(v_delta_errors), pg_catalog.unnest(v_delta_costs))
                AS d (organization_id, requests, errors, cost)
            ON CONFLICT ON CONSTRAINT pk_trailing_year_totals DO UPDATE
            SET requests = t.requests + excluded.requests, errors = t.errors + excluded.errors,
                cost = t.cost + excluded.cost, refreshed_at = pg_catalog.now();
        ELSE
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
        END IF;
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
    'Recomputes the buckets of the oldest marks of usage.rollup_marks from raw events, at most p_max_buckets distinct '
    'buckets (the rest queued again; NULL: all), and adds their change to the daily and monthly rollups and the '
    'trailing-year totals; idempotent and safe to run concurrently (READ COMMITTED). '
    'Returns distinct buckets refreshed and hourly and daily rollup rows written.';
COMMENT ON TABLE usage.rollup_marks IS
    'Stale rollup buckets: each row marks (organization, UTC hour) buckets written by one statement on usage.events '
    '(or by usage.mark_rollups_dirty(), or queued again by a bounded usage.refresh_rollups()); claimed and removed '
    'by usage.refresh_rollups(). Never updated.';
COMMENT ON COLUMN usage.rollup_marks.marked_at IS
    'Start of the transaction that wrote the events (for a mark queued again: the oldest mark it came from).';

RESET ROLE;
