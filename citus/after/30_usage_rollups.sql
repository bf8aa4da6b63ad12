-- Citus: usage events, their validation, their dirty marks and the rollup refresh, in a form Citus
-- runs. Runs only on a Citus coordinator, after 20_distribute.sql, in its own transaction;
-- repeatable and idempotent (IF NOT EXISTS, CREATE OR REPLACE, triggers re-created).
--
-- On plain PostgreSQL usage.events has statement triggers reading transition tables
-- (usage.tg_events_validate, usage.tg_events_mark_dirty), and the marks go to usage.rollup_marks.
-- Citus does not run a statement trigger with transition tables on a shard ("could not find named
-- tuplestore"), and a trigger on a shard cannot write a reference table such as usage.rollup_marks
-- (it runs on the worker inside its part of the distributed transaction). So on Citus:
-- * those statement triggers are disabled (kept, so the migrations that name them still apply) and
--   one row trigger per event, usage.tg_events_check_and_mark(), does both jobs on the shard: it
--   refuses an unknown organization, an API key of another organization and a cost that differs
--   from the model's prices (same SQLSTATEs and messages), reading only the shards on its own node
--   (core.organizations and core.models are reference tables, core.api_keys is colocated); and it
--   marks the event's (organization, UTC hour) bucket in usage.rollup_bucket_marks, a tenant table
--   colocated with usage.events, by writing the colocated shard on the same node;
-- * usage.refresh_rollups() is replaced by a set-based form: every step is one INSERT ... SELECT or
--   DELETE joining colocated tables on organization_id, which Citus pushes down to the shards. It
--   writes the same rollup rows (hourly, daily, monthly, trailing-year totals) as the plain form.
--   Refreshers run one at a time (a tried transaction advisory lock: a second one returns at once,
--   having claimed nothing). usage.mark_rollups_dirty() writes usage.rollup_bucket_marks likewise.
-- docs/scale-out.md ("Usage events, rollups and feedback trends on Citus") has the differences and
-- the figures.

-- Why: triggers on distributed tables (created, disabled) need Citus's opt-in; the triggers run on
-- the shards, whose functions only read and write shards of their own node.
SET LOCAL citus.enable_unsafe_triggers = on;

-- Why: the refresh functions (SECURITY DEFINER, as the owner) need the owner's cross-tenant opt-out
-- on every worker, and Citus sends a setting there only as a SET LOCAL (set_config() is not), only
-- when it runs inside a query (PERFORM ... FROM this function; a SET LOCAL statement of a function
-- is not sent). It also sets app.org_id to the nil uuid, no tenant's: before it sends a
-- modification, the coordinator evaluates the policies' setting reads on their own, and with
-- app.org_id = '' (defined, empty: after any set_config of it in the session) the tenant policy's
-- cast of the setting to uuid fails (22P02). The callers restore both when they are done.
CREATE OR REPLACE FUNCTION app.set_local_owner_scope(p_all_tenants text, p_org_id text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    EXECUTE pg_catalog.format('SET LOCAL app.all_tenants = %L', coalesce(p_all_tenants, ''));
    EXECUTE pg_catalog.format('SET LOCAL app.org_id = %L', coalesce(p_org_id, ''));
END
$fn$;
COMMENT ON FUNCTION app.set_local_owner_scope(text, text) IS
    'Citus only: SET LOCAL app.all_tenants and app.org_id so that Citus sends them to every worker of the transaction; '
    'call as PERFORM FROM app.set_local_owner_scope(...) (set_config() is not propagated).';
REVOKE EXECUTE ON FUNCTION app.set_local_owner_scope(text, text) FROM PUBLIC;
ALTER FUNCTION app.set_local_owner_scope(text, text) OWNER TO app_owner;

-- Why: reports and checks filter the distributed rollups and events by the trailing year; the query
-- then runs on the shards, which call it.
SELECT create_distributed_function('usage.trailing_year_start(timestamptz)');

-- Why: the dirty marks of usage.events, next to the events: a shard's trigger writes the shard of
-- this table on its own node. One row per (organization, UTC hour, writing transaction of that
-- node): a writer never conflicts with another writer's or a refresher's row, so it never waits.
CREATE TABLE IF NOT EXISTS usage.rollup_bucket_marks (
    organization_id uuid NOT NULL,
    hour_start timestamptz NOT NULL,
    transaction_id xid8 NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now(),
    claimed boolean NOT NULL DEFAULT false,
    CONSTRAINT pk_rollup_bucket_marks PRIMARY KEY (organization_id, hour_start, transaction_id),
    CONSTRAINT ck_rollup_bucket_marks_hour_aligned
        CHECK (hour_start = pg_catalog.date_bin('1 hour', hour_start, timestamptz '2000-01-01 00:00+00'))
);
ALTER TABLE usage.rollup_bucket_marks OWNER TO app_owner;
ALTER TABLE usage.rollup_bucket_marks ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage.rollup_bucket_marks FORCE ROW LEVEL SECURITY;
REVOKE ALL ON usage.rollup_bucket_marks FROM PUBLIC, app_rw, app_ro, app_auth, app_ingest;
COMMENT ON TABLE usage.rollup_bucket_marks IS
    'Citus only: stale rollup buckets, written by the row trigger of usage.events on the shard''s node (colocated '
    'with usage.events), claimed and removed by usage.refresh_rollups(). Replaces usage.rollup_marks, a reference '
    'table a shard''s trigger cannot write.';
COMMENT ON COLUMN usage.rollup_bucket_marks.organization_id IS 'Tenant of the stale bucket; distribution column.';
COMMENT ON COLUMN usage.rollup_bucket_marks.hour_start IS 'Start of the UTC hour of the stale bucket.';
COMMENT ON COLUMN usage.rollup_bucket_marks.transaction_id IS
    'Transaction (of the node holding the shard) that marked it: one row per writing transaction and bucket.';
COMMENT ON COLUMN usage.rollup_bucket_marks.marked_at IS 'Start of the transaction that wrote the events.';
COMMENT ON COLUMN usage.rollup_bucket_marks.claimed IS
    'Set by the refresh that is recomputing the bucket, in its own transaction; the row is removed when it commits.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('usage', 'rollup_bucket_marks', 'organization_id', 'internal'),
    ('usage', 'rollup_bucket_marks', 'hour_start', 'internal'),
    ('usage', 'rollup_bucket_marks', 'transaction_id', 'internal'),
    ('usage', 'rollup_bucket_marks', 'marked_at', 'internal'),
    ('usage', 'rollup_bucket_marks', 'claimed', 'internal')
ON CONFLICT DO NOTHING;

-- Why: colocated with usage.events (one tenant's events and marks in one shard group, on one node).
DO $distribute$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_dist_partition AS p WHERE p.logicalrelid = 'usage.rollup_bucket_marks'::regclass) THEN
        PERFORM create_distributed_table('usage.rollup_bucket_marks', 'organization_id', colocate_with => 'usage.events');
    END IF;
END
$distribute$;

-- Why: as usage.rollup_marks: only the owner, only with its explicit cross-tenant opt-out.
DROP POLICY IF EXISTS rollup_bucket_marks_all_cross_tenant ON usage.rollup_bucket_marks;
CREATE POLICY rollup_bucket_marks_all_cross_tenant ON usage.rollup_bucket_marks FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');

-- Why: the shard of a distributed table that holds a tenant's rows on this node, and the one shard of a
-- reference table: the row trigger reads and writes these local tables directly (a query naming the
-- distributed table from a shard would be a second distributed execution inside the first).
-- No SET clause (every name is qualified): the planner inlines it into the trigger's expressions.
CREATE OR REPLACE FUNCTION app.local_shard(p_table regclass, p_organization_id uuid) RETURNS text
LANGUAGE sql STABLE
AS $fn$
    SELECT pg_catalog.shard_name(p_table, CASE WHEN p_organization_id IS NULL
                                               THEN (SELECT s.shardid FROM pg_catalog.pg_dist_shard AS s
                                                     WHERE s.logicalrelid = p_table)
                                               ELSE pg_catalog.get_shard_id_for_distribution_column(p_table, p_organization_id)
                                          END)
$fn$;
COMMENT ON FUNCTION app.local_shard(regclass, uuid) IS
    'Citus only: the shard (schema-qualified name) of p_table holding p_organization_id''s rows, or the shard of a '
    'reference table when p_organization_id is NULL. For triggers on shards.';
REVOKE EXECUTE ON FUNCTION app.local_shard(regclass, uuid) FROM PUBLIC;
ALTER FUNCTION app.local_shard(regclass, uuid) OWNER TO app_owner;

-- Why: the checks of usage.tg_events_validate() and the mark of usage.tg_events_mark_dirty(), per row, on
-- the shard. SECURITY DEFINER with the owner's opt-out (set locally on the worker, restored): the
-- ingest role reads no organization or key. An event skipped by ON CONFLICT DO NOTHING fires nothing.
CREATE OR REPLACE FUNCTION usage.tg_events_check_and_mark() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_known boolean;
    v_expected numeric;
    v_marks text;
BEGIN
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.api_key_id IS NULL THEN
            EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s AS o WHERE o.organization_id = $1)',
                                      app.local_shard('core.organizations', NULL))
                INTO v_known USING NEW.organization_id;
        ELSE
            EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s AS k WHERE k.organization_id = $1 AND k.api_key_id = $2)',
                                      app.local_shard('core.api_keys', NEW.organization_id))
                INTO v_known USING NEW.organization_id, NEW.api_key_id;
        END IF;
        IF NOT v_known THEN
            EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s AS o WHERE o.organization_id = $1)',
                                      app.local_shard('core.organizations', NULL))
                INTO v_known USING NEW.organization_id;
            IF NOT v_known THEN
                RAISE EXCEPTION 'usage.events: unknown organization %', NEW.organization_id
                    USING ERRCODE = 'foreign_key_violation', HINT = 'events must belong to an existing organization';
            END IF;
            RAISE EXCEPTION 'usage.events: API key % is not a key of organization %', NEW.api_key_id, NEW.organization_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        EXECUTE pg_catalog.format('SELECT pg_catalog.round(($1 * m.input_cost_per_1k + $2 * m.output_cost_per_1k) / 1000, 6) '
                                  'FROM %s AS m WHERE m.model_id = $3', app.local_shard('core.models', NULL))
            INTO v_expected USING NEW.tokens_in, NEW.tokens_out, NEW.model_id;
        IF v_expected IS NOT NULL AND NEW.cost <> v_expected THEN
            RAISE EXCEPTION 'usage.events: cost % of request % does not match the model''s prices (expected %)',
                NEW.cost, NEW.request_id, v_expected
                USING ERRCODE = 'check_violation',
                      HINT = 'cost = round((tokens_in * input_cost_per_1k + tokens_out * output_cost_per_1k) / 1000, 6)';
        END IF;
    END IF;

    v_marks := app.local_shard('usage.rollup_bucket_marks', coalesce(NEW.organization_id, OLD.organization_id));
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE pg_catalog.format('INSERT INTO %s (organization_id, hour_start, transaction_id) VALUES ($1, $2, $3) '
                                  'ON CONFLICT DO NOTHING', v_marks)
            USING NEW.organization_id, pg_catalog.date_bin('1 hour', NEW.occurred_at, timestamptz '2000-01-01 00:00+00'),
                  pg_catalog.pg_current_xact_id();
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE pg_catalog.format('INSERT INTO %s (organization_id, hour_start, transaction_id) VALUES ($1, $2, $3) '
                                  'ON CONFLICT DO NOTHING', v_marks)
            USING OLD.organization_id, pg_catalog.date_bin('1 hour', OLD.occurred_at, timestamptz '2000-01-01 00:00+00'),
                  pg_catalog.pg_current_xact_id();
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION usage.tg_events_check_and_mark() IS
    'Citus only: row trigger of usage.events on the shards: the checks of usage.tg_events_validate() (organization, '
    'API key of the same organization, cost) and a mark of the event''s bucket in usage.rollup_bucket_marks.';
REVOKE EXECUTE ON FUNCTION usage.tg_events_check_and_mark() FROM PUBLIC;
ALTER FUNCTION usage.tg_events_check_and_mark() OWNER TO app_owner;

-- Why: Citus cannot run the statement triggers with transition tables on the shards; the row trigger
-- above does their work. Disabled rather than dropped, so a migration (or its down) that names them
-- still applies; a transition-table trigger this file does not know stops it (its work would be lost).
SELECT app.disable_transition_table_triggers(
    'usage.events', ARRAY['usage.tg_events_validate()', 'usage.tg_events_mark_dirty()']::regprocedure [],
    'citus/after/30_usage_rollups.sql');
DROP TRIGGER IF EXISTS trg_events_check_and_mark ON usage.events;
CREATE TRIGGER trg_events_check_and_mark
    AFTER INSERT OR UPDATE OR DELETE ON usage.events
    FOR EACH ROW EXECUTE FUNCTION usage.tg_events_check_and_mark();

-- Why: the only writer of the rollups, in statements Citus pushes down (colocated tables joined on
-- organization_id; no ctid, no arrays of rows carried between statements):
-- 1. claim: marks of hours whose partition retention dropped are discarded (as the plain retention
--    does), marks queued in usage.rollup_marks (usage.mark_rollups_dirty()) move here, then the
--    unclaimed marks are flagged claimed (all, or those of the p_max_buckets oldest buckets);
-- 2. the claimed buckets' hourly rows replaced from raw events;
-- 3. their UTC days' daily rows replaced from the hourly rows;
-- 4. their UTC months' monthly rows replaced from the daily rows;
-- 5. the trailing year's totals: rebuilt (usage.rebuild_trailing_year_totals()) when the plain form
--    rebuilds them, else the claimed organizations' totals replaced from the monthly rows;
-- then the claimed marks are removed. The rows written are those of the plain form (exact sums;
-- refreshed_at aside). The owner's opt-out is sent to the workers by SET LOCAL (set_config is not).
CREATE OR REPLACE FUNCTION usage.refresh_rollups(p_max_buckets integer DEFAULT NULL)
RETURNS TABLE (buckets bigint, hourly_rows bigint, daily_rows bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_org_setting text := coalesce(pg_catalog.current_setting('app.org_id', true), '');
    v_window date := usage.trailing_year_start(pg_catalog.now());
    v_window_end date := (usage.trailing_year_start(pg_catalog.now()) + interval '12 months')::date;
    v_oldest timestamptz;
    v_queued_hours timestamptz[];
    v_queued_orgs uuid[];
    v_bucket record;
    v_rebuild boolean;
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
    buckets := 0;
    hourly_rows := 0;
    daily_rows := 0;
    -- One refresher at a time; another one returns at once (it never waits).
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('usage.rollup_bucket_marks'), 0) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM FROM app.set_local_owner_scope('on', '00000000-0000-0000-0000-000000000000');

    -- 1. The queue of the reference table first (a write to a reference table goes before any
    -- multi-shard statement of the transaction), as rows of the distributed marks.
    WITH queued AS (DELETE FROM usage.rollup_marks AS m RETURNING m.hour_start, m.organization_ids)
    SELECT pg_catalog.array_agg(q.hour_start), pg_catalog.array_agg(o.organization_id)
    INTO v_queued_hours, v_queued_orgs
    FROM queued AS q CROSS JOIN LATERAL pg_catalog.unnest(q.organization_ids) AS o (organization_id);
    -- Row by row: Citus would run an INSERT ... SELECT from arrays as a COPY into the shards, which it
    -- refuses under row-level security. The queue is empty unless usage.mark_rollups_dirty() ran.
    FOR v_bucket IN
        SELECT DISTINCT b.organization_id, b.hour_start
        FROM ROWS FROM (pg_catalog.unnest(v_queued_orgs), pg_catalog.unnest(v_queued_hours)) AS b (organization_id, hour_start)
        WHERE v_queued_hours IS NOT NULL
    LOOP
        INSERT INTO usage.rollup_bucket_marks (organization_id, hour_start, transaction_id)
        VALUES (v_bucket.organization_id, v_bucket.hour_start, pg_catalog.pg_current_xact_id())
        ON CONFLICT DO NOTHING;
    END LOOP;
    SELECT pg_catalog.min(p.range_start) INTO v_oldest FROM usage.partitions_of('usage.events') AS p;
    DELETE FROM usage.rollup_bucket_marks AS m WHERE m.hour_start < v_oldest;
    IF p_max_buckets IS NULL THEN
        UPDATE usage.rollup_bucket_marks AS m SET claimed = true WHERE NOT m.claimed;
    ELSE
        UPDATE usage.rollup_bucket_marks AS m SET claimed = true
        WHERE NOT m.claimed
          AND (m.organization_id, m.hour_start) IN (
              SELECT q.organization_id, q.hour_start FROM usage.rollup_bucket_marks AS q
              WHERE NOT q.claimed
              GROUP BY q.organization_id, q.hour_start
              ORDER BY pg_catalog.min(q.marked_at), q.hour_start, q.organization_id
              LIMIT p_max_buckets);
    END IF;
    SELECT pg_catalog.count(*) INTO buckets
    FROM (SELECT DISTINCT m.organization_id, m.hour_start FROM usage.rollup_bucket_marks AS m WHERE m.claimed) AS b;
    IF buckets = 0 THEN
        PERFORM FROM app.set_local_owner_scope(v_scope, v_org_setting);
        RETURN NEXT;
        RETURN;
    END IF;

    -- 2. The buckets from raw events (a bucket whose events are gone loses its rows).
    DELETE FROM usage.hourly_rollups AS h
    WHERE EXISTS (SELECT FROM usage.rollup_bucket_marks AS m
                  WHERE m.claimed AND m.organization_id = h.organization_id AND m.hour_start = h.hour_start);
    INSERT INTO usage.hourly_rollups (
        organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost
    )
    SELECT e.organization_id, b.hour_start, e.model_id, pg_catalog.count(*),
           pg_catalog.count(*) FILTER (WHERE e.status <> 'success'), pg_catalog.sum(e.tokens_in),
           pg_catalog.sum(e.tokens_out), pg_catalog.sum(e.latency_ms), pg_catalog.max(e.latency_ms), pg_catalog.sum(e.cost)
    FROM (SELECT DISTINCT m.organization_id, m.hour_start FROM usage.rollup_bucket_marks AS m WHERE m.claimed) AS b
    JOIN usage.events AS e
        ON e.organization_id = b.organization_id
       AND e.occurred_at >= b.hour_start AND e.occurred_at < b.hour_start + interval '1 hour'
    GROUP BY e.organization_id, b.hour_start, e.model_id;
    GET DIAGNOSTICS hourly_rows = ROW_COUNT;

    -- 3. Their UTC days, from the hourly rows.
    DELETE FROM usage.daily_rollups AS d
    WHERE EXISTS (SELECT FROM usage.rollup_bucket_marks AS m
                  WHERE m.claimed AND m.organization_id = d.organization_id
                    AND (m.hour_start AT TIME ZONE 'UTC')::date = d.day);
    INSERT INTO usage.daily_rollups (
        organization_id, day, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, latency_ms_max, cost
    )
    SELECT h.organization_id, x.day, h.model_id, pg_catalog.sum(h.requests), pg_catalog.sum(h.errors),
           pg_catalog.sum(h.tokens_in), pg_catalog.sum(h.tokens_out), pg_catalog.sum(h.latency_ms_sum),
           pg_catalog.max(h.latency_ms_max), pg_catalog.sum(h.cost)
    FROM (SELECT DISTINCT m.organization_id, (m.hour_start AT TIME ZONE 'UTC')::date AS day
          FROM usage.rollup_bucket_marks AS m WHERE m.claimed) AS x
    JOIN usage.hourly_rollups AS h
        ON h.organization_id = x.organization_id
       AND h.hour_start >= x.day::timestamp AT TIME ZONE 'UTC'
       AND h.hour_start < (x.day + 1)::timestamp AT TIME ZONE 'UTC'
    GROUP BY h.organization_id, x.day, h.model_id;
    GET DIAGNOSTICS daily_rows = ROW_COUNT;

    -- 4. Their UTC months, from the daily rows.
    DELETE FROM usage.monthly_rollups AS r
    WHERE EXISTS (SELECT FROM usage.rollup_bucket_marks AS m
                  WHERE m.claimed AND m.organization_id = r.organization_id
                    AND pg_catalog.date_trunc('month', m.hour_start AT TIME ZONE 'UTC')::date = r.month);
    INSERT INTO usage.monthly_rollups (organization_id, month, requests, errors, tokens_in, tokens_out, cost)
    SELECT d.organization_id, x.month, pg_catalog.sum(d.requests), pg_catalog.sum(d.errors), pg_catalog.sum(d.tokens_in),
           pg_catalog.sum(d.tokens_out), pg_catalog.sum(d.cost)
    FROM (SELECT DISTINCT m.organization_id, pg_catalog.date_trunc('month', m.hour_start AT TIME ZONE 'UTC')::date AS month
          FROM usage.rollup_bucket_marks AS m WHERE m.claimed) AS x
    JOIN usage.daily_rollups AS d
        ON d.organization_id = x.organization_id AND d.day >= x.month AND d.day < (x.month + interval '1 month')::date
    GROUP BY d.organization_id, x.month;

    -- 5. The trailing year: rebuilt when the plain form rebuilds (rows of another window, or none of
    -- this window while the claim touches it), else the claimed organizations' totals recomputed
    -- (an organization left with nothing in the window loses its row).
    -- (One query per condition: Citus plans a distributed EXISTS inside an expression as a record function.)
    PERFORM FROM usage.trailing_year_totals AS t WHERE t.window_start <> v_window LIMIT 1;
    v_rebuild := FOUND;
    IF NOT v_rebuild THEN
        PERFORM FROM usage.trailing_year_totals AS t WHERE t.window_start = v_window LIMIT 1;
        IF NOT FOUND THEN
            PERFORM FROM usage.rollup_bucket_marks AS m
            WHERE m.claimed AND m.hour_start >= v_window::timestamp AT TIME ZONE 'UTC'
              AND m.hour_start < v_window_end::timestamp AT TIME ZONE 'UTC'
            LIMIT 1;
            v_rebuild := FOUND;
        END IF;
    END IF;
    IF v_rebuild THEN
        PERFORM usage.rebuild_trailing_year_totals(v_window);
    ELSE
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('usage.trailing_year_totals'), 0);
        DELETE FROM usage.trailing_year_totals AS t
        WHERE t.window_start = v_window
          AND EXISTS (SELECT FROM usage.rollup_bucket_marks AS m
                      WHERE m.claimed AND m.organization_id = t.organization_id
                        AND m.hour_start >= v_window::timestamp AT TIME ZONE 'UTC'
                        AND m.hour_start < v_window_end::timestamp AT TIME ZONE 'UTC');
        INSERT INTO usage.trailing_year_totals (organization_id, window_start, requests, errors, cost)
        SELECT r.organization_id, v_window, pg_catalog.sum(r.requests), pg_catalog.sum(r.errors), pg_catalog.sum(r.cost)
        FROM (SELECT DISTINCT m.organization_id FROM usage.rollup_bucket_marks AS m
              WHERE m.claimed AND m.hour_start >= v_window::timestamp AT TIME ZONE 'UTC'
                AND m.hour_start < v_window_end::timestamp AT TIME ZONE 'UTC') AS x
        JOIN usage.monthly_rollups AS r
            ON r.organization_id = x.organization_id AND r.month >= v_window AND r.month < v_window_end
        GROUP BY r.organization_id;
    END IF;

    DELETE FROM usage.rollup_bucket_marks AS m WHERE m.claimed;
    PERFORM FROM app.set_local_owner_scope(v_scope, v_org_setting);
    RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION usage.refresh_rollups(integer) IS
    'Citus form: recomputes the buckets marked in usage.rollup_bucket_marks (the p_max_buckets oldest; NULL: all), '
    'their UTC days and months and the trailing-year totals, from raw events, in statements pushed down to the '
    'shards. One refresher at a time (another returns 0 buckets). Returns distinct buckets claimed and hourly and '
    'daily rollup rows written.';

-- Why: maintenance marks (a time range recomputed on purpose) go to usage.rollup_bucket_marks, in
-- two INSERT ... SELECTs Citus pushes down (from the events and from the hourly rows: every bucket
-- with either), with the owner's opt-out sent to the workers. Returns the distinct buckets marked,
-- as the plain form does.
CREATE OR REPLACE FUNCTION usage.mark_rollups_dirty(p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_org_setting text := coalesce(pg_catalog.current_setting('app.org_id', true), '');
    v_from_hour timestamptz := pg_catalog.date_bin('1 hour', p_from, timestamptz '2000-01-01 00:00+00');
    v_transaction xid8 := pg_catalog.pg_current_xact_id();
    v_marked bigint;
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR p_from >= p_to THEN
        RAISE EXCEPTION 'mark_rollups_dirty needs p_from < p_to, not [%, %)', p_from, p_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM FROM app.set_local_owner_scope('on', '00000000-0000-0000-0000-000000000000');
    -- The insert first: Citus then runs the count below in the same (coordinated) transaction.
    INSERT INTO usage.rollup_bucket_marks (organization_id, hour_start, transaction_id)
    SELECT e.organization_id, pg_catalog.date_bin('1 hour', e.occurred_at, timestamptz '2000-01-01 00:00+00'), v_transaction
    FROM usage.events AS e WHERE e.occurred_at >= p_from AND e.occurred_at < p_to
    GROUP BY 1, 2
    ON CONFLICT DO NOTHING;
    INSERT INTO usage.rollup_bucket_marks (organization_id, hour_start, transaction_id)
    SELECT h.organization_id, h.hour_start, v_transaction
    FROM usage.hourly_rollups AS h WHERE h.hour_start >= v_from_hour AND h.hour_start < p_to
    GROUP BY 1, 2
    ON CONFLICT DO NOTHING;
    SELECT pg_catalog.count(*) INTO v_marked
    FROM (SELECT e.organization_id, pg_catalog.date_bin('1 hour', e.occurred_at, timestamptz '2000-01-01 00:00+00')
          FROM usage.events AS e WHERE e.occurred_at >= p_from AND e.occurred_at < p_to
          UNION
          SELECT h.organization_id, h.hour_start FROM usage.hourly_rollups AS h
          WHERE h.hour_start >= v_from_hour AND h.hour_start < p_to) AS b;
    PERFORM FROM app.set_local_owner_scope(v_scope, v_org_setting);
    RETURN v_marked;
END
$fn$;
COMMENT ON FUNCTION usage.mark_rollups_dirty(timestamptz, timestamptz) IS
    'Citus form: marks for recomputation (usage.rollup_bucket_marks) every (organization, UTC hour) bucket with events '
    'or rollups in [p_from, p_to); returns the number of buckets marked. For maintenance.';


-- Why: retention as on plain PostgreSQL, with the owner's opt-out sent to every node. With
-- set_config() (the plain form) only the coordinator sees it: the delete of usage.rollup_marks, a
-- reference table, then removes the coordinator's copy of the rows and none of the workers' copies
-- (their policy sees no opt-out), and the copies diverge.
CREATE OR REPLACE FUNCTION usage.drop_expired_event_partitions(p_now timestamptz DEFAULT now())
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, estimated_rows bigint,
               total_bytes bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_org_setting text := coalesce(pg_catalog.current_setting('app.org_id', true), '');
    v_retain interval;
    v_part record;
BEGIN
    SELECT r.retain_for INTO v_retain FROM governance.retention_policies AS r
    WHERE r.schema_name = 'usage' AND r.table_name = 'events' AND r.action = 'delete';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no delete retention policy for usage.events in governance.retention_policies'
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM FROM app.set_local_owner_scope('on', '00000000-0000-0000-0000-000000000000');
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
    PERFORM FROM app.set_local_owner_scope(v_scope, v_org_setting);
END
$fn$;
COMMENT ON FUNCTION usage.drop_expired_event_partitions(timestamptz) IS
    'Citus form: detaches and drops the partitions of usage.events that ended more than the retention policy''s '
    'retain_for before p_now, with the marks of their hours (every copy of usage.rollup_marks); returns each one '
    'removed (name, range, estimated rows, bytes). Schedule it daily.';
