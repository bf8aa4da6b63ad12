-- Migration: usage_rollup_marks
-- Fix forward of the usage write path and rollup refresh (202611231100, 202611231110, 202611231120),
-- measured with bench/bench_analytics.py (docs/benchmarks.md): at the specification's density
-- (about one event per organization-hour) the dirty queue was an upsert of one row per event and
-- made COPY 8x slower than a bare table; the refresh claimed and deleted one queue row per bucket.
-- - usage.rollup_marks replaces usage.rollup_dirty_hours: append-only, one row per (statement, UTC
--   hour) holding the organizations written in that hour. Writers never update a shared row, so
--   they never wait for each other or for a refresher; a mark becomes visible when the events it
--   marks do (same transaction). Existing markers move over.
-- - usage.tg_events_validate(): one pass over the batch for tenants and keys, and the cost check
--   as a hash join with the model registry instead of an index probe per row.
-- - usage.refresh_rollups(): claims marks (SKIP LOCKED) only of UTC days no other refresher is
--   working on (a tried, never awaited, advisory lock per day), so concurrent refreshers split the
--   work by day and never wait; recomputes the buckets and their days through temporary tables and
--   replaces their rows (a bucket whose events are gone loses them). Refuses to run outside READ
--   COMMITTED (each statement must see what the previous holder of a day committed).
-- - usage.mark_rollups_dirty(): marks every bucket of a time range for recomputation (after a fix
--   of raw data by hand, or to rebuild rollups); usage.rollup_dirty_buckets lists what is queued.
-- - usage.drop_expired_event_partitions(): removes the marks of the dropped hours.
-- Locks: ACCESS EXCLUSIVE on usage.rollup_dirty_hours (DROP TABLE); ROW EXCLUSIVE on
-- governance.column_classifications (INSERT, DELETE). Functions are replaced in place.

SET LOCAL ROLE app_owner;

-- Why: the queue of stale rollup buckets, written once per statement and hour, never updated.
CREATE TABLE usage.rollup_marks (
    mark_id bigint GENERATED ALWAYS AS IDENTITY,
    hour_start timestamptz NOT NULL,
    organization_ids uuid[] NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_rollup_marks PRIMARY KEY (mark_id),
    CONSTRAINT ck_rollup_marks_hour_aligned
        CHECK (hour_start = pg_catalog.date_bin('1 hour', hour_start, timestamptz '2000-01-01 00:00+00')),
    CONSTRAINT ck_rollup_marks_organization_ids_present
        CHECK (pg_catalog.cardinality(organization_ids) > 0 AND pg_catalog.array_position(organization_ids, NULL) IS NULL)
);
ALTER TABLE usage.rollup_marks ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE usage.rollup_marks IS
    'Stale rollup buckets: each row marks (organization, UTC hour) buckets written by one statement on usage.events '
    '(or by usage.mark_rollups_dirty()); claimed and removed by usage.refresh_rollups(). Append-only.';
COMMENT ON COLUMN usage.rollup_marks.mark_id IS 'Order of marking; refreshers claim the oldest marks first.';
COMMENT ON COLUMN usage.rollup_marks.hour_start IS 'Start of the UTC hour whose buckets are stale.';
COMMENT ON COLUMN usage.rollup_marks.organization_ids IS
    'Organizations whose bucket of that hour is stale; one entry per written event, so repeats are expected.';
COMMENT ON COLUMN usage.rollup_marks.marked_at IS 'Start of the transaction that wrote the events.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('usage', 'rollup_marks', 'mark_id', 'internal'),
    ('usage', 'rollup_marks', 'hour_start', 'internal'),
    ('usage', 'rollup_marks', 'organization_ids', 'internal'),
    ('usage', 'rollup_marks', 'marked_at', 'internal');

-- Why: buckets still queued in the old table must not be forgotten (the owner reads every tenant's
-- markers only with its explicit opt-out, set for this transaction).
SELECT pg_catalog.set_config('app.all_tenants', 'on', true);
INSERT INTO usage.rollup_marks (hour_start, organization_ids, marked_at)
SELECT d.hour_start, pg_catalog.array_agg(d.organization_id ORDER BY d.organization_id), pg_catalog.max(d.marked_at)
FROM usage.rollup_dirty_hours AS d
GROUP BY d.hour_start
ORDER BY d.hour_start;
SELECT pg_catalog.set_config('app.all_tenants', '', true);

-- Why: forced only now: its policy (policies/usage.rollup_marks.sql) is applied after the migrations,
-- and until then a forced table would refuse the owner's move above.
ALTER TABLE usage.rollup_marks FORCE ROW LEVEL SECURITY;

-- Why: the queue's contents as buckets, for monitoring and tests. SECURITY INVOKER and no grants to
-- the app roles: what a caller sees is what it may read of usage.rollup_marks.
CREATE VIEW usage.rollup_dirty_buckets WITH (security_invoker = true) AS
SELECT o.organization_id, m.hour_start, pg_catalog.min(m.marked_at) AS first_marked_at, pg_catalog.count(*) AS writes
FROM usage.rollup_marks AS m
CROSS JOIN LATERAL pg_catalog.unnest(m.organization_ids) AS o (organization_id)
GROUP BY o.organization_id, m.hour_start;
COMMENT ON VIEW usage.rollup_dirty_buckets IS
    'The (organization, UTC hour) buckets queued in usage.rollup_marks, one row each; empty after a full refresh.';
COMMENT ON COLUMN usage.rollup_dirty_buckets.organization_id IS 'Tenant of the stale bucket.';
COMMENT ON COLUMN usage.rollup_dirty_buckets.hour_start IS 'Start of the UTC hour of the stale bucket.';
COMMENT ON COLUMN usage.rollup_dirty_buckets.first_marked_at IS 'Oldest mark of the bucket: how stale its rollup may be.';
COMMENT ON COLUMN usage.rollup_dirty_buckets.writes IS 'Events (or marking calls) that marked the bucket since its last refresh.';

-- Why: one statement per batch and hour instead of one upserted row per bucket. No DISTINCT: the
-- refresh removes repeats once, where a sort here would cost every writer.
CREATE OR REPLACE FUNCTION usage.tg_events_mark_dirty() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
BEGIN
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    IF TG_OP = 'INSERT' THEN
        INSERT INTO usage.rollup_marks (hour_start, organization_ids)
        SELECT pg_catalog.date_bin('1 hour', r.occurred_at, timestamptz '2000-01-01 00:00+00'),
               pg_catalog.array_agg(r.organization_id)
        FROM new_rows AS r
        GROUP BY 1;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO usage.rollup_marks (hour_start, organization_ids)
        SELECT pg_catalog.date_bin('1 hour', r.occurred_at, timestamptz '2000-01-01 00:00+00'),
               pg_catalog.array_agg(r.organization_id)
        FROM (SELECT n.organization_id, n.occurred_at FROM new_rows AS n
              UNION ALL
              SELECT o.organization_id, o.occurred_at FROM old_rows AS o) AS r
        GROUP BY 1;
    ELSE
        INSERT INTO usage.rollup_marks (hour_start, organization_ids)
        SELECT pg_catalog.date_bin('1 hour', r.occurred_at, timestamptz '2000-01-01 00:00+00'),
               pg_catalog.array_agg(r.organization_id)
        FROM old_rows AS r
        GROUP BY 1;
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION usage.tg_events_mark_dirty() IS
    'Statement trigger of usage.events: appends one usage.rollup_marks row per UTC hour the statement wrote.';

-- Why: the same checks in two passes over the batch instead of three, and the cost check hashes the
-- model registry: written as an aggregate (no LIMIT), the planner no longer picks a nested loop that
-- probes core.models once per row.
CREATE OR REPLACE FUNCTION usage.tg_events_validate() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_org uuid;
    v_key uuid;
    v_org_known boolean;
    v_bad bigint;
    v_request text;
    v_cost numeric;
    v_expected numeric;
BEGIN
    SELECT p.organization_id, p.api_key_id, p.org_known INTO v_org, v_key, v_org_known
    FROM (SELECT n.organization_id, n.api_key_id,
                 EXISTS (SELECT FROM core.organizations AS o WHERE o.organization_id = n.organization_id) AS org_known
          FROM (SELECT DISTINCT r.organization_id, r.api_key_id FROM new_rows AS r) AS n) AS p
    WHERE NOT p.org_known
       OR (p.api_key_id IS NOT NULL
           AND NOT EXISTS (SELECT FROM core.api_keys AS k
                           WHERE k.organization_id = p.organization_id AND k.api_key_id = p.api_key_id))
    ORDER BY p.org_known, p.organization_id, p.api_key_id
    LIMIT 1;
    IF FOUND AND NOT v_org_known THEN
        RAISE EXCEPTION 'usage.events: unknown organization %', v_org
            USING ERRCODE = 'foreign_key_violation', HINT = 'events must belong to an existing organization';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'usage.events: API key % is not a key of organization %', v_key, v_org
            USING ERRCODE = 'foreign_key_violation';
    END IF;

    SELECT pg_catalog.count(*), pg_catalog.min(r.request_id) INTO v_bad, v_request
    FROM new_rows AS r
    JOIN core.models AS m ON m.model_id = r.model_id
    WHERE r.cost <> pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6);
    IF v_bad > 0 THEN
        SELECT r.cost, pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6)
        INTO v_cost, v_expected
        FROM new_rows AS r
        JOIN core.models AS m ON m.model_id = r.model_id
        WHERE r.request_id = v_request
          AND r.cost <> pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6)
        LIMIT 1;
        RAISE EXCEPTION 'usage.events: cost % of request % does not match the model''s prices (expected %)',
            v_cost, v_request, v_expected
            USING ERRCODE = 'check_violation',
                  DETAIL = format('%s row(s) of the statement have a cost that differs from the model''s prices.', v_bad),
                  HINT = 'cost = round((tokens_in * input_cost_per_1k + tokens_out * output_cost_per_1k) / 1000, 6)';
    END IF;
    RETURN NULL;
END
$fn$;

-- Why: the only writer of the rollups, now fed by marks. Step by step:
-- 1. claim marks, oldest first, of UTC days no other refresher is working on (FOR UPDATE SKIP LOCKED
--    on the marks, a tried advisory lock per day): concurrent refreshers split the work by day and
--    never wait for each other;
-- 2. recompute the claimed buckets from raw events and replace their hourly rows (a bucket whose
--    events are gone loses its rows);
-- 3. recompute the buckets' UTC days from the hourly rows and replace their daily rows.
-- An event written during a refresh leaves a mark in its own transaction: the claim cannot see it
-- before the event is visible, so the next refresh recomputes its bucket. Writers never wait here.
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
COMMENT ON FUNCTION usage.refresh_rollups(integer) IS
    'Recomputes the buckets of the oldest marks of usage.rollup_marks, until they name p_max_buckets buckets '
    '(then to the end of that UTC day; NULL: all), and their UTC days, from raw events; idempotent and safe to run concurrently (READ COMMITTED). '
    'Returns distinct buckets claimed and hourly and daily rollup rows written.';

-- Why: a way to recompute a time range on purpose (raw data fixed by hand, rollups rebuilt): marks
-- every bucket that has events or rollups in [p_from, p_to).
CREATE FUNCTION usage.mark_rollups_dirty(p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_marked bigint;
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR p_from >= p_to THEN
        RAISE EXCEPTION 'mark_rollups_dirty needs p_from < p_to, not [%, %)', p_from, p_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    WITH buckets AS (
        SELECT e.organization_id, pg_catalog.date_bin('1 hour', e.occurred_at, timestamptz '2000-01-01 00:00+00') AS hour_start
        FROM usage.events AS e WHERE e.occurred_at >= p_from AND e.occurred_at < p_to
        UNION
        SELECT h.organization_id, h.hour_start FROM usage.hourly_rollups AS h
        WHERE h.hour_start >= pg_catalog.date_bin('1 hour', p_from, timestamptz '2000-01-01 00:00+00') AND h.hour_start < p_to
    ),
    marked AS (
        INSERT INTO usage.rollup_marks (hour_start, organization_ids)
        SELECT b.hour_start, pg_catalog.array_agg(b.organization_id ORDER BY b.organization_id)
        FROM buckets AS b GROUP BY b.hour_start ORDER BY b.hour_start
        RETURNING pg_catalog.cardinality(organization_ids) AS named
    )
    SELECT coalesce(pg_catalog.sum(m.named), 0) INTO v_marked FROM marked AS m;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN v_marked;
END
$fn$;
COMMENT ON FUNCTION usage.mark_rollups_dirty(timestamptz, timestamptz) IS
    'Marks for recomputation every (organization, UTC hour) bucket with events or rollups in [p_from, p_to); '
    'returns the number of buckets marked. The next usage.refresh_rollups() recomputes them. For maintenance.';
REVOKE EXECUTE ON FUNCTION usage.mark_rollups_dirty(timestamptz, timestamptz) FROM PUBLIC;

-- Why: retention removes the marks of the hours it drops, so no refresh wipes rollups of data that is gone.
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
        DELETE FROM usage.rollup_marks AS m WHERE m.hour_start >= v_part.lo AND m.hour_start < v_part.hi;
        RETURN NEXT;
    END LOOP;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
END
$fn$;

-- Why: the old queue is empty of meaning now that nothing writes or reads it.
DELETE FROM governance.column_classifications WHERE schema_name = 'usage' AND table_name = 'rollup_dirty_hours';
DROP TABLE usage.rollup_dirty_hours; -- noqa: SQ-ban-drop-table nothing reads or writes it after the functions above

RESET ROLE;
