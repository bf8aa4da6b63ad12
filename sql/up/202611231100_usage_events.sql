-- Migration: usage_events
-- Creates the usage schema and usage.events: one row per model request, partitioned by month on
-- occurred_at (native declarative partitioning, no default partition). The primary key
-- (organization_id, occurred_at, request_id) is the idempotency key: a retried request is not counted
-- twice. A statement-level trigger validates each batch in bulk (known organization, API key of the
-- same organization, cost equal to the model's prices when the model is in the registry). Partitions
-- are created ahead by usage.create_event_partitions() (CREATE TABLE, then ATTACH PARTITION) and
-- policed by usage.police_partitions(): PostgreSQL does not apply a parent's RLS to direct queries
-- on a partition, so every partition gets RLS forced, the parent's policies and no app-role grants.
-- Locks: ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies (INSERT).

-- Why: usage analytics has its own schema, owned by the owner role.
CREATE SCHEMA usage AUTHORIZATION app_owner;
COMMENT ON SCHEMA usage IS 'Usage analytics: partitioned request events, hourly and daily rollups, dashboards.';

SET LOCAL ROLE app_owner;

-- Why: a tenant fact table; its key is the idempotency key and must include the partition key.
-- No foreign keys: a per-row RI check would dominate COPY ingest; the statement trigger below
-- validates organization, API key and cost once per batch instead.
CREATE TABLE usage.events (
    organization_id uuid NOT NULL,
    request_id text NOT NULL,
    occurred_at timestamptz NOT NULL,
    model_id uuid NOT NULL,
    api_key_id uuid,
    status text NOT NULL,
    tokens_in integer NOT NULL DEFAULT 0,
    tokens_out integer NOT NULL DEFAULT 0,
    latency_ms integer NOT NULL DEFAULT 0,
    cost numeric(16, 6) NOT NULL DEFAULT 0,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_events PRIMARY KEY (organization_id, occurred_at, request_id),
    CONSTRAINT ck_events_request_id_length CHECK (pg_catalog.char_length(request_id) BETWEEN 1 AND 200),
    CONSTRAINT ck_events_status CHECK (status IN ('success', 'client_error', 'server_error', 'timeout', 'rate_limited')),
    CONSTRAINT ck_events_tokens_in_non_negative CHECK (tokens_in >= 0),
    CONSTRAINT ck_events_tokens_out_non_negative CHECK (tokens_out >= 0),
    CONSTRAINT ck_events_latency_ms_non_negative CHECK (latency_ms >= 0),
    CONSTRAINT ck_events_cost_non_negative CHECK (cost >= 0)
) PARTITION BY RANGE (occurred_at);
ALTER TABLE usage.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage.events FORCE ROW LEVEL SECURITY;

-- Why: "an API key's recent events" (the primary key serves "an organization's last 24 hours").
CREATE INDEX idx_events_organization_id_api_key_id_occurred_at ON usage.events (organization_id, api_key_id, occurred_at);

COMMENT ON TABLE usage.events IS
    'One row per model request, partitioned by month on occurred_at; (organization_id, occurred_at, request_id) '
    'is the idempotency key. Write through this parent only (INSERT ... ON CONFLICT DO NOTHING or COPY).';
COMMENT ON CONSTRAINT pk_events ON usage.events IS
    'Idempotency key: a retried request (same organization, request_id, occurred_at) is not counted twice.';
COMMENT ON COLUMN usage.events.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN usage.events.request_id IS 'Request id chosen by the service (1-200 characters); with occurred_at, unique per tenant.';
COMMENT ON COLUMN usage.events.occurred_at IS 'When the request happened (partition key; events may arrive late).';
COMMENT ON COLUMN usage.events.model_id IS 'Model of core.models that served the request (not a foreign key: see the table comment).';
COMMENT ON COLUMN usage.events.api_key_id IS 'API key of the same organization that made the request; NULL for console requests.';
COMMENT ON COLUMN usage.events.status IS 'success, client_error, server_error, timeout or rate_limited; all but success count as errors.';
COMMENT ON COLUMN usage.events.tokens_in IS 'Input tokens (>= 0).';
COMMENT ON COLUMN usage.events.tokens_out IS 'Output tokens (>= 0).';
COMMENT ON COLUMN usage.events.latency_ms IS 'End-to-end latency in milliseconds (>= 0).';
COMMENT ON COLUMN usage.events.cost IS
    'Cost in USD (>= 0); equals the model''s per-1k prices applied to the tokens, rounded to 6 places, when the model is in the registry.';
COMMENT ON COLUMN usage.events.ingested_at IS 'When the row was written; later than occurred_at for late events.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('usage', 'events', 'organization_id', 'internal'),
    ('usage', 'events', 'request_id', 'internal'),
    ('usage', 'events', 'occurred_at', 'internal'),
    ('usage', 'events', 'model_id', 'internal'),
    ('usage', 'events', 'api_key_id', 'internal'),
    ('usage', 'events', 'status', 'internal'),
    ('usage', 'events', 'tokens_in', 'confidential'),
    ('usage', 'events', 'tokens_out', 'confidential'),
    ('usage', 'events', 'latency_ms', 'internal'),
    ('usage', 'events', 'cost', 'confidential'),
    ('usage', 'events', 'ingested_at', 'internal');

-- Why: raw request data is kept 13 months (12 months of analytics plus a month of late events);
-- usage.drop_expired_event_partitions() applies it by dropping whole partitions.
INSERT INTO governance.retention_policies (schema_name, table_name, retain_for, action, timestamp_column, description)
VALUES ('usage', 'events', interval '13 months', 'delete', 'occurred_at',
        'Raw usage events: whole monthly partitions are detached and dropped 13 months after they end; rollups stay.');

-- Why: one bulk validation per statement (COPY or INSERT), not a per-row trigger or foreign key.
-- SECURITY INVOKER: the caller's RLS applies, so a service sees (and may write) only its tenant.
CREATE FUNCTION usage.tg_events_validate() RETURNS trigger
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
COMMENT ON FUNCTION usage.tg_events_validate() IS
    'Statement trigger: refuses a batch with an unknown organization, a key of another organization, or a cost '
    'that differs from the model''s prices.';

CREATE TRIGGER trg_events_validate_insert
    AFTER INSERT ON usage.events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage.tg_events_validate();
CREATE TRIGGER trg_events_validate_update
    AFTER UPDATE ON usage.events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage.tg_events_validate();

-- Why: the monthly partitions of a range-partitioned table, with their bounds, for maintenance and checks.
CREATE FUNCTION usage.partitions_of(p_parent regclass)
RETURNS TABLE (partition_name regclass, range_start timestamptz, range_end timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT c.oid::regclass,
           (pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
           (pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
    FROM pg_catalog.pg_inherits AS i
    JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
    WHERE i.inhparent = p_parent
    ORDER BY 2
$fn$;
COMMENT ON FUNCTION usage.partitions_of(regclass) IS 'Partitions of a range-partitioned table with their [range_start, range_end) bounds.';

-- Why: a partition is a table of its own: without this, a role granted on it would bypass the parent's RLS.
CREATE FUNCTION usage.police_partitions(p_parent regclass) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_part regclass;
    v_pol record;
    v_count integer := 0;
BEGIN
    FOR v_part IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits AS i WHERE i.inhparent = p_parent LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', v_part);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', v_part);
        EXECUTE format('REVOKE ALL ON %s FROM PUBLIC, app_rw, app_ro, app_auth', v_part);
        -- Policies of the partition that the parent no longer has go first.
        FOR v_pol IN SELECT p.polname FROM pg_catalog.pg_policy AS p
                     WHERE p.polrelid = v_part
                       AND NOT EXISTS (SELECT FROM pg_catalog.pg_policy AS q
                                       WHERE q.polrelid = p_parent AND q.polname = p.polname) LOOP
            EXECUTE format('DROP POLICY %I ON %s', v_pol.polname, v_part);
        END LOOP;
        FOR v_pol IN SELECT p.polname, p.polpermissive, p.polcmd,
                            pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual,
                            pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check,
                            (SELECT pg_catalog.string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(r::regrole::text) END, ', ')
                             FROM pg_catalog.unnest(p.polroles) AS r) AS roles
                     FROM pg_catalog.pg_policy AS p WHERE p.polrelid = p_parent LOOP
            EXECUTE format('DROP POLICY IF EXISTS %I ON %s', v_pol.polname, v_part);
            EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s',
                v_pol.polname, v_part,
                CASE WHEN v_pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                CASE v_pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                  WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                v_pol.roles,
                CASE WHEN v_pol.qual IS NOT NULL THEN format(' USING (%s)', v_pol.qual) ELSE '' END,
                CASE WHEN v_pol.with_check IS NOT NULL THEN format(' WITH CHECK (%s)', v_pol.with_check) ELSE '' END);
        END LOOP;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION usage.police_partitions(regclass) IS
    'Forces RLS on every partition of p_parent, revokes every app-role privilege on them and copies the parent''s '
    'policies (dropping others). Returns the number of partitions policed. Run by policies/ files and partition creation.';
REVOKE EXECUTE ON FUNCTION usage.police_partitions(regclass) FROM PUBLIC;

-- Why: partitions are created ahead by a scheduled call, never by an insert (there is no default
-- partition). CREATE TABLE then ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent (reads
-- and writes go on); CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE.
CREATE FUNCTION usage.create_event_partitions(p_months_ahead integer DEFAULT 3, p_from timestamptz DEFAULT now())
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, created boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_first timestamptz := pg_catalog.date_trunc('month', p_from, 'UTC');
    v_name text;
    v_col record;
BEGIN
    IF p_months_ahead IS NULL OR p_months_ahead < 0 OR p_months_ahead > 120 THEN
        RAISE EXCEPTION 'p_months_ahead must be between 0 and 120, not %', p_months_ahead
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 0..p_months_ahead LOOP
        range_start := v_first + pg_catalog.make_interval(months => i);
        range_end := range_start + interval '1 month';
        v_name := 'events_y' || pg_catalog.to_char(range_start AT TIME ZONE 'UTC', 'YYYY"m"MM');
        partition_name := 'usage.' || v_name;
        IF EXISTS (SELECT FROM usage.partitions_of('usage.events') AS p
                   WHERE p.range_start = create_event_partitions.range_start) THEN
            created := false;
            RETURN NEXT;
            CONTINUE;
        END IF;
        -- The range CHECK lets ATTACH skip its validation scan; it is dropped once attached.
        EXECUTE format('CREATE TABLE usage.%I (LIKE usage.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                       'CONSTRAINT %I CHECK (occurred_at >= %L AND occurred_at < %L))',
                       v_name, 'ck_' || v_name || '_range', range_start, range_end);
        EXECUTE format('COMMENT ON TABLE usage.%I IS %L', v_name,
                       format('Partition of usage.events for occurred_at in [%s, %s).', range_start, range_end));
        FOR v_col IN SELECT a.attname, pg_catalog.col_description('usage.events'::regclass, a.attnum) AS note
                     FROM pg_catalog.pg_attribute AS a
                     WHERE a.attrelid = 'usage.events'::regclass AND a.attnum > 0 AND NOT a.attisdropped LOOP
            EXECUTE format('COMMENT ON COLUMN usage.%I.%I IS %L', v_name, v_col.attname, v_col.note);
        END LOOP;
        INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note)
        SELECT k.schema_name, v_name, k.column_name, k.classification, 'Partition of usage.events.'
        FROM governance.column_classifications AS k
        WHERE k.schema_name = 'usage' AND k.table_name = 'events'
        ON CONFLICT DO NOTHING;
        -- Named like the parent's (pk_, idx_); ATTACH adopts them instead of building unnamed copies.
        EXECUTE format('ALTER TABLE usage.%I ADD CONSTRAINT %I PRIMARY KEY (organization_id, occurred_at, request_id)',
                       v_name, 'pk_' || v_name);
        EXECUTE format('CREATE INDEX %I ON usage.%I (organization_id, api_key_id, occurred_at)',
                       'idx_' || v_name || '_organization_id_api_key_id_occurred_at', v_name);
        EXECUTE format('ALTER TABLE usage.events ATTACH PARTITION usage.%I FOR VALUES FROM (%L) TO (%L)',
                       v_name, range_start, range_end);
        EXECUTE format('ALTER TABLE usage.%I DROP CONSTRAINT %I', v_name, 'ck_' || v_name || '_range');
        created := true;
        RETURN NEXT;
    END LOOP;
    PERFORM usage.police_partitions('usage.events');
END
$fn$;
COMMENT ON FUNCTION usage.create_event_partitions(integer, timestamptz) IS
    'Creates the monthly partitions of usage.events from the month of p_from through p_months_ahead months later '
    '(UTC months), policed like the parent. Idempotent. Schedule it daily (default: current month + 3).';
REVOKE EXECUTE ON FUNCTION usage.create_event_partitions(integer, timestamptz) FROM PUBLIC;

-- Why: the current month and the next three exist from the start.
SELECT pg_catalog.count(*) FROM usage.create_event_partitions();

RESET ROLE;

-- Why: services and reporting resolve the usage schema; tables are granted in policies/.
GRANT USAGE ON SCHEMA usage TO app_rw, app_ro;
