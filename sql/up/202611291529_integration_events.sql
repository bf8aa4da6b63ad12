-- Migration: integration_events
-- Phase 1: creates agency.integration_events, the event log between orchestration, marketplace,
-- modules and handover, partitioned by month on created_at like usage.events (no default partition;
-- partitions created ahead by agency.create_integration_event_partitions() and policed by
-- usage.police_partitions(), so a direct query on a partition gets the parent's RLS). Fixes of the
-- seed's design: organization_id NOT NULL (tenant data); correlation_id and causation_id indexed;
-- `processed` is generated from processing_status, and processed_at is set exactly when processed;
-- processors claim work with agency.claim_integration_events() (FOR UPDATE SKIP LOCKED, bounded),
-- so two processors never take the same event. No foreign key to clients: the log outlives what it
-- describes (client_id is a plain id). Partitions are created from the month of the oldest history
-- the phase-2 backfill will copy in (deployments, installations) through three months ahead.
-- Locks: ACCESS SHARE on agency.client_deployments and agency.module_installations (oldest history);
--   ROW EXCLUSIVE on governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: a tenant log; the key includes the partition key, so it leads with (organization_id, created_at).
CREATE TABLE agency.integration_events (
    organization_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    event_id uuid NOT NULL DEFAULT gen_random_uuid(),
    event_type text NOT NULL,
    event_source text NOT NULL,
    event_target text,
    client_id uuid,
    event_payload jsonb NOT NULL,
    event_metadata jsonb NOT NULL DEFAULT '{}',
    processing_status text NOT NULL DEFAULT 'pending',
    processed boolean GENERATED ALWAYS AS (processing_status IN ('completed', 'skipped')) STORED,
    processing_error text,
    processed_at timestamptz,
    claimed_by text,
    claimed_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    correlation_id uuid,
    causation_id uuid,
    CONSTRAINT pk_integration_events PRIMARY KEY (organization_id, created_at, event_id),
    CONSTRAINT fk_integration_events_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT,
    CONSTRAINT ck_integration_events_event_type_format CHECK (event_type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'
                                                              AND pg_catalog.char_length(event_type) <= 100),
    CONSTRAINT ck_integration_events_event_source
        CHECK (event_source IN ('orchestration', 'marketplace', 'modules', 'handover')),
    CONSTRAINT ck_integration_events_event_target_length CHECK (pg_catalog.char_length(event_target) BETWEEN 1 AND 100),
    CONSTRAINT ck_integration_events_event_payload_object CHECK (pg_catalog.jsonb_typeof(event_payload) = 'object'),
    CONSTRAINT ck_integration_events_event_metadata_object CHECK (pg_catalog.jsonb_typeof(event_metadata) = 'object'),
    CONSTRAINT ck_integration_events_processing_status
        CHECK (processing_status IN ('pending', 'processing', 'completed', 'failed', 'skipped')),
    CONSTRAINT ck_integration_events_processed_at_consistent
        CHECK ((processing_status IN ('completed', 'skipped', 'failed')) = (processed_at IS NOT NULL)),
    CONSTRAINT ck_integration_events_processed_after_created CHECK (processed_at >= created_at),
    CONSTRAINT ck_integration_events_error_consistent CHECK ((processing_status = 'failed') = (processing_error IS NOT NULL)),
    CONSTRAINT ck_integration_events_processing_error_length CHECK (pg_catalog.char_length(processing_error) <= 2000),
    CONSTRAINT ck_integration_events_claim_consistent
        CHECK (processing_status <> 'processing' OR (claimed_by IS NOT NULL AND claimed_at IS NOT NULL)),
    CONSTRAINT ck_integration_events_claimed_by_length CHECK (pg_catalog.char_length(claimed_by) BETWEEN 1 AND 200),
    CONSTRAINT ck_integration_events_attempts_non_negative CHECK (attempts >= 0)
) PARTITION BY RANGE (created_at);
ALTER TABLE agency.integration_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.integration_events FORCE ROW LEVEL SECURITY;

-- Why: "every event of a correlation / caused by an event", and the processors' queue (claimable only).
CREATE INDEX idx_integration_events_organization_id_correlation_id ON agency.integration_events (organization_id, correlation_id);
CREATE INDEX idx_integration_events_organization_id_causation_id ON agency.integration_events (organization_id, causation_id);
CREATE INDEX idx_integration_events_claimable ON agency.integration_events (organization_id, created_at)
    WHERE processing_status IN ('pending', 'processing');

COMMENT ON TABLE agency.integration_events IS
    'Integration event log of an agency, partitioned by month on created_at. Processors claim with agency.claim_integration_events().';
COMMENT ON INDEX agency.idx_integration_events_organization_id_correlation_id IS 'Events of one correlation.';
COMMENT ON INDEX agency.idx_integration_events_organization_id_causation_id IS 'Events caused by one event.';
COMMENT ON INDEX agency.idx_integration_events_claimable IS 'The processors'' queue: pending and in-process events, oldest first.';
COMMENT ON COLUMN agency.integration_events.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.integration_events.created_at IS 'When the event happened (partition key).';
COMMENT ON COLUMN agency.integration_events.event_id IS 'Event id; with organization_id and created_at, the key.';
COMMENT ON COLUMN agency.integration_events.event_type IS 'Dotted lowercase type, e.g. deployment.completed, module.installed.';
COMMENT ON COLUMN agency.integration_events.event_source IS 'orchestration, marketplace, modules or handover.';
COMMENT ON COLUMN agency.integration_events.event_target IS 'System meant to act on the event, when one is.';
COMMENT ON COLUMN agency.integration_events.client_id IS 'Client the event is about, if any (a plain id: the log outlives the client).';
COMMENT ON COLUMN agency.integration_events.event_payload IS 'Event data (JSON object). No secrets.';
COMMENT ON COLUMN agency.integration_events.event_metadata IS 'Event metadata (JSON object), including backfill provenance.';
COMMENT ON COLUMN agency.integration_events.processing_status IS 'pending, processing (claimed), completed, failed or skipped.';
COMMENT ON COLUMN agency.integration_events.processed IS 'Generated: true exactly when processing_status is completed or skipped.';
COMMENT ON COLUMN agency.integration_events.processing_error IS 'Error of a failed processing; set exactly when failed.';
COMMENT ON COLUMN agency.integration_events.processed_at IS 'When processing ended (completed, skipped or failed); not before created_at.';
COMMENT ON COLUMN agency.integration_events.claimed_by IS 'Processor that claimed the event last.';
COMMENT ON COLUMN agency.integration_events.claimed_at IS 'When it was claimed last.';
COMMENT ON COLUMN agency.integration_events.attempts IS 'How many times it was claimed.';
COMMENT ON COLUMN agency.integration_events.correlation_id IS 'Groups the events of one business flow (indexed).';
COMMENT ON COLUMN agency.integration_events.causation_id IS 'Event that caused this one (indexed).';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'integration_events', 'organization_id', 'internal'),
    ('agency', 'integration_events', 'created_at', 'internal'),
    ('agency', 'integration_events', 'event_id', 'internal'),
    ('agency', 'integration_events', 'event_type', 'internal'),
    ('agency', 'integration_events', 'event_source', 'internal'),
    ('agency', 'integration_events', 'event_target', 'internal'),
    ('agency', 'integration_events', 'client_id', 'internal'),
    ('agency', 'integration_events', 'event_payload', 'confidential'),
    ('agency', 'integration_events', 'event_metadata', 'internal'),
    ('agency', 'integration_events', 'processing_status', 'internal'),
    ('agency', 'integration_events', 'processed', 'internal'),
    ('agency', 'integration_events', 'processing_error', 'internal'),
    ('agency', 'integration_events', 'processed_at', 'internal'),
    ('agency', 'integration_events', 'claimed_by', 'internal'),
    ('agency', 'integration_events', 'claimed_at', 'internal'),
    ('agency', 'integration_events', 'attempts', 'internal'),
    ('agency', 'integration_events', 'correlation_id', 'internal'),
    ('agency', 'integration_events', 'causation_id', 'internal');

-- Why: partitions are created ahead by a scheduled call, never by an insert (no default partition).
-- CREATE TABLE then ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent (traffic goes on).
CREATE FUNCTION agency.create_integration_event_partitions(p_months_ahead integer DEFAULT 3, p_from timestamptz DEFAULT now())
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, created boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_first timestamptz := pg_catalog.date_trunc('month', p_from, 'UTC');
    v_last timestamptz := pg_catalog.date_trunc('month', pg_catalog.now(), 'UTC');
    v_name text;
    v_col record;
BEGIN
    IF p_months_ahead IS NULL OR p_months_ahead < 0 OR p_months_ahead > 120 THEN
        RAISE EXCEPTION 'p_months_ahead must be between 0 and 120, not %', p_months_ahead
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_from IS NULL OR p_from < pg_catalog.now() - interval '10 years' THEN
        RAISE EXCEPTION 'p_from must be within the last 10 years, not %', p_from
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- From the month of p_from through p_months_ahead months after the later of p_from and now.
    v_last := greatest(v_first, v_last) + pg_catalog.make_interval(months => p_months_ahead);
    range_start := v_first;
    WHILE range_start <= v_last LOOP
        range_end := range_start + interval '1 month';
        v_name := 'integration_events_y' || pg_catalog.to_char(range_start AT TIME ZONE 'UTC', 'YYYY"m"MM');
        partition_name := 'agency.' || v_name;
        IF EXISTS (SELECT FROM usage.partitions_of('agency.integration_events') AS p
                   WHERE p.range_start = create_integration_event_partitions.range_start) THEN
            created := false;
        ELSE
            -- The range CHECK lets ATTACH skip its validation scan; it is dropped once attached.
            EXECUTE format('CREATE TABLE agency.%I (LIKE agency.integration_events INCLUDING DEFAULTS '
                           'INCLUDING CONSTRAINTS INCLUDING GENERATED, CONSTRAINT %I CHECK (created_at >= %L AND created_at < %L))',
                           v_name, 'ck_' || v_name || '_range', range_start, range_end);
            EXECUTE format('COMMENT ON TABLE agency.%I IS %L', v_name,
                           format('Partition of agency.integration_events for created_at in [%s, %s).', range_start, range_end));
            FOR v_col IN SELECT a.attname, pg_catalog.col_description('agency.integration_events'::regclass, a.attnum) AS note
                         FROM pg_catalog.pg_attribute AS a
                         WHERE a.attrelid = 'agency.integration_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped LOOP
                EXECUTE format('COMMENT ON COLUMN agency.%I.%I IS %L', v_name, v_col.attname, v_col.note);
            END LOOP;
            INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note)
            SELECT k.schema_name, v_name, k.column_name, k.classification, 'Partition of agency.integration_events.'
            FROM governance.column_classifications AS k
            WHERE k.schema_name = 'agency' AND k.table_name = 'integration_events'
            ON CONFLICT DO NOTHING;
            -- Named like the parent's; ATTACH adopts them instead of building unnamed copies.
            EXECUTE format('ALTER TABLE agency.%I ADD CONSTRAINT %I PRIMARY KEY (organization_id, created_at, event_id)',
                           v_name, 'pk_' || v_name);
            EXECUTE format('CREATE INDEX %I ON agency.%I (organization_id, correlation_id)',
                           'idx_' || v_name || '_correlation_id', v_name);
            EXECUTE format('CREATE INDEX %I ON agency.%I (organization_id, causation_id)',
                           'idx_' || v_name || '_causation_id', v_name);
            EXECUTE format('CREATE INDEX %I ON agency.%I (organization_id, created_at) '
                           'WHERE processing_status IN (''pending'', ''processing'')',
                           'idx_' || v_name || '_claimable', v_name);
            EXECUTE format('ALTER TABLE agency.integration_events ATTACH PARTITION agency.%I FOR VALUES FROM (%L) TO (%L)',
                           v_name, range_start, range_end);
            EXECUTE format('ALTER TABLE agency.%I DROP CONSTRAINT %I', v_name, 'ck_' || v_name || '_range');
            created := true;
        END IF;
        RETURN NEXT;
        range_start := range_end;
    END LOOP;
    PERFORM usage.police_partitions('agency.integration_events');
END
$fn$;
COMMENT ON FUNCTION agency.create_integration_event_partitions(integer, timestamptz) IS
    'Creates the monthly partitions of agency.integration_events from the month of p_from through p_months_ahead months '
    'after the current month (UTC months), policed like the parent. Idempotent. Schedule it daily (default: current month + 3).';
REVOKE EXECUTE ON FUNCTION agency.create_integration_event_partitions(integer, timestamptz) FROM PUBLIC;

-- Why: processors take work without ever taking the same event: SKIP LOCKED passes over rows
-- another processor holds, and the status change makes a committed claim invisible to the next.
-- SECURITY INVOKER: the caller's tenant (RLS) applies. An event claimed longer than p_stale_after
-- ago (a processor that died) is claimable again.
CREATE FUNCTION agency.claim_integration_events(
    p_processor text, p_limit integer DEFAULT 100, p_stale_after interval DEFAULT interval '15 minutes'
) RETURNS SETOF agency.integration_events
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
        RAISE EXCEPTION 'p_limit must be between 1 and 1000, not %', p_limit USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_processor IS NULL OR pg_catalog.char_length(p_processor) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'p_processor must name the processor (1-200 characters)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_stale_after IS NULL OR p_stale_after < interval '1 second' THEN
        RAISE EXCEPTION 'p_stale_after must be at least 1 second' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    UPDATE agency.integration_events AS e
    SET processing_status = 'processing', claimed_by = p_processor, claimed_at = pg_catalog.clock_timestamp(),
        attempts = e.attempts + 1
    FROM (SELECT q.organization_id, q.created_at, q.event_id
          FROM agency.integration_events AS q
          WHERE q.organization_id = app.current_org_id()
            AND (q.processing_status = 'pending'
                 OR (q.processing_status = 'processing' AND q.claimed_at < pg_catalog.now() - p_stale_after))
          ORDER BY q.created_at, q.event_id
          LIMIT p_limit
          FOR UPDATE SKIP LOCKED) AS c
    WHERE (e.organization_id, e.created_at, e.event_id) = (c.organization_id, c.created_at, c.event_id)
    RETURNING e.*;
END
$fn$;
COMMENT ON FUNCTION agency.claim_integration_events(text, integer, interval) IS
    'Claims up to p_limit (1-1000) pending events of the current tenant, oldest first, for processor p_processor '
    '(FOR UPDATE SKIP LOCKED: concurrent processors never get the same event); also reclaims events claimed longer '
    'than p_stale_after ago. Returns the claimed rows, now processing.';
REVOKE EXECUTE ON FUNCTION agency.claim_integration_events(text, integer, interval) FROM PUBLIC;

RESET ROLE;

-- Why: the months of the history the backfill copies in (202611291534), through three months ahead.
-- Read as the runner's login, across tenants (the owner's opt-out; a superuser sees every row anyway).
SELECT pg_catalog.set_config('app.all_tenants', 'on', true);
SELECT pg_catalog.count(*) FROM agency.create_integration_event_partitions(3, least(
    pg_catalog.now(),
    (SELECT pg_catalog.min(coalesce(d.completed_at, d.started_at, d.created_at)) FROM agency.client_deployments AS d),
    (SELECT pg_catalog.min(i.installed_at) FROM agency.module_installations AS i)));
SELECT pg_catalog.set_config('app.all_tenants', '', true);

GRANT EXECUTE ON FUNCTION agency.claim_integration_events(text, integer, interval) TO app_rw;
