-- Citus: the audit trail on every node. A row audit trigger (audit.tg_audit_row) on a distributed
-- table runs on the worker that holds the shard, inside that worker's part of the distributed
-- transaction, and cannot write a table on another node from there. So each worker keeps its own
-- audit.events and audit.chain_links (plain tables of that node, the same definition as the
-- coordinator's), written by the shards' triggers on that node and sealed into that node's own hash
-- chain, with that node's transaction ids as the horizon (a node-local xid orders that node's
-- transactions only, which is all one chain needs). The coordinator keeps its trail as before (DDL
-- audit, dbrun's run log, the row audit of its reference-table placements).
-- * audit.seal_node_events() and audit.verify_node_chain() are the plain PostgreSQL sealing and
--   verification (202611291235) of one node, on every node.
-- * On the coordinator, audit.seal_events() seals its own chain, then every worker's (each node in its
--   own transaction), and returns the total; audit.verify_chain() returns its own broken events and
--   every worker's, each problem prefixed with the worker's address, and a row for a worker it could
--   not verify (fails closed). The post-check audit_chain_intact and `dbrun verify` call it unchanged.
-- Runs only on a Citus coordinator, before 20_distribute.sql enables the row audit triggers; repeatable
-- (IF NOT EXISTS, CREATE OR REPLACE). A worker added later gets its trail when this file runs again.
-- The workers' DDL runs over Citus's node connections as the migrator, with DDL propagation off (these
-- are node-local objects Citus must not copy anywhere), each worker in its own transaction: a worker
-- that fails stops this file (the others keep what they applied; every statement is idempotent).

-- Why: these objects are node-local: Citus must not copy the coordinator's definitions to the workers.
SET LOCAL citus.enable_ddl_propagation = off;

-- Why: one node's sealing, the body of audit.seal_events() as 202611301400 defines it.
CREATE OR REPLACE FUNCTION audit.seal_node_events() RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_horizon xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
    v_since xid8;
    v_previous bytea;
    v_event record;
    v_sealed bigint := 0;
BEGIN
    -- One sealer at a time on this node, without a table privilege (202611301400).
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('audit.chain_links'), 0);
    SELECT c.chain_checksum, c.sealed_horizon INTO v_previous, v_since
    FROM audit.chain_links AS c ORDER BY c.chain_seq DESC LIMIT 1;
    v_previous := coalesce(v_previous, '\x'::bytea);
    v_since := coalesce(v_since, '0'::xid8);
    FOR v_event IN
        SELECT e.event_id, e.checksum
        FROM audit.events AS e
        WHERE e.transaction_id >= v_since
          AND NOT EXISTS (SELECT FROM audit.chain_links AS c WHERE c.event_id = e.event_id)
        ORDER BY e.event_id
    LOOP
        v_previous := pg_catalog.sha256(v_previous || v_event.checksum);
        INSERT INTO audit.chain_links (event_id, chain_checksum, sealed_horizon)
        VALUES (v_event.event_id, v_previous, v_horizon);
        v_sealed := v_sealed + 1;
    END LOOP;
    RETURN v_sealed;
END
$fn$;
ALTER FUNCTION audit.seal_node_events() OWNER TO app_owner;
REVOKE EXECUTE ON FUNCTION audit.seal_node_events() FROM PUBLIC;
COMMENT ON FUNCTION audit.seal_node_events() IS
    'Citus: appends hash-chain links for this node''s unsealed audit events; returns how many. audit.seal_events() calls it on every node.';

-- Why: one node's verification, the body of 202611291235's audit.verify_chain().
CREATE OR REPLACE FUNCTION audit.verify_node_chain()
RETURNS TABLE (chain_seq bigint, event_id bigint, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT l.chain_seq, l.event_id,
           CASE
               WHEN l.event_missing THEN 'event missing'
               WHEN l.payload_checksum IS DISTINCT FROM l.checksum THEN 'event payload does not match its checksum'
               ELSE 'chain link broken: the event or an earlier link was rewritten'
           END
    FROM (
        SELECT c.chain_seq, c.event_id, c.chain_checksum, e.checksum, e.event_id IS NULL AS event_missing,
               audit.event_checksum(e) AS payload_checksum,
               coalesce(pg_catalog.lag(c.chain_checksum) OVER (ORDER BY c.chain_seq), '\x'::bytea) AS previous
        FROM audit.chain_links AS c
        LEFT JOIN audit.events AS e ON e.event_id = c.event_id
    ) AS l
    WHERE l.event_missing
       OR l.payload_checksum IS DISTINCT FROM l.checksum
       OR pg_catalog.sha256(l.previous || l.checksum) IS DISTINCT FROM l.chain_checksum
    ORDER BY l.chain_seq
$fn$;
ALTER FUNCTION audit.verify_node_chain() OWNER TO app_owner;
REVOKE EXECUTE ON FUNCTION audit.verify_node_chain() FROM PUBLIC;
COMMENT ON FUNCTION audit.verify_node_chain() IS
    'Citus: verifies this node''s sealed audit events (payload checksums and chain links); one row per broken event.';

-- Why: a trigger on a shard sees the shard's name (budgets_103041): the event, and the redaction of
-- its pii and secret columns (governance.column_classifications), need the distributed table's name.
CREATE OR REPLACE FUNCTION audit.logical_table_name(p_schema_name text, p_table_name text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    -- By name, not by the trigger's relation oid: Citus hides shards from pg_class in ordinary sessions.
    SELECT coalesce(
        (SELECT t.relname::text
         FROM pg_catalog.pg_dist_shard AS s
         JOIN pg_catalog.pg_class AS t ON t.oid = s.logicalrelid
         JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
         WHERE s.shardid = (pg_catalog.regexp_match(p_table_name, '_([0-9]+)$'))[1]::bigint
           AND n.nspname = p_schema_name
           AND p_table_name = t.relname::text || '_' || s.shardid::text),
        p_table_name)
$fn$;
ALTER FUNCTION audit.logical_table_name(text, text) OWNER TO app_owner;
REVOKE EXECUTE ON FUNCTION audit.logical_table_name(text, text) FROM PUBLIC;
COMMENT ON FUNCTION audit.logical_table_name(text, text) IS
    'Citus: the name of the distributed or reference table a shard (schema, name) belongs to; the name itself otherwise.';

-- Why: the row audit trigger records (and redacts by) the logical table name. Derived from the
-- definition the migrations left (202611291220 today), so it follows them; a definition whose shape
-- changed fails here loudly rather than auditing shards under their shard names.
DO $trigger$
DECLARE
    v_definition text := pg_catalog.pg_get_functiondef('audit.tg_audit_row()'::regprocedure);
    v_patched text;
BEGIN
    IF pg_catalog.strpos(v_definition, 'audit.logical_table_name(TG_TABLE_SCHEMA, TG_TABLE_NAME)') > 0 THEN
        RETURN;  -- already the Citus form
    END IF;
    v_patched := pg_catalog.replace(v_definition, E'DECLARE\n',
                                    E'DECLARE\n    v_table_name text := audit.logical_table_name(TG_TABLE_SCHEMA, TG_TABLE_NAME);\n');
    v_patched := pg_catalog.replace(v_patched, 'c.table_name = TG_TABLE_NAME', 'c.table_name = v_table_name');
    v_patched := pg_catalog.replace(v_patched, 'TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME,', 'TG_OP, TG_TABLE_SCHEMA, v_table_name,');
    IF v_patched ~ 'c\.table_name = TG_TABLE_NAME|TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME,'
       OR pg_catalog.strpos(v_patched, 'c.table_name = v_table_name') = 0
       OR pg_catalog.strpos(v_patched, 'TG_OP, TG_TABLE_SCHEMA, v_table_name,') = 0
       OR pg_catalog.strpos(v_patched, 'audit.logical_table_name(TG_TABLE_SCHEMA, TG_TABLE_NAME)') = 0 THEN
        RAISE EXCEPTION 'audit.tg_audit_row() no longer has the shape citus/after/12_audit_nodes.sql adapts'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'update the adaptation in citus/after/12_audit_nodes.sql to the new trigger function';
    END IF;
    EXECUTE v_patched;
END
$trigger$;

-- Why: every worker gets the trail: the tables as the coordinator defines them, then the functions
-- the shards' triggers and the sealing call, copied from the coordinator's definitions.
DO $nodes$
DECLARE
    v_functions constant regprocedure[] := ARRAY[
        'audit.logical_table_name(text, text)', 'audit.tg_audit_row()', 'audit.tg_events_append_only()', 'audit.tg_chain_links_append_only()',
        'audit.write_event(text, text, text, uuid, jsonb, text[], jsonb, jsonb, text)',
        'audit.seal_node_events()', 'audit.verify_node_chain()'
    ]::regprocedure[];
    v_ddl text;
    v_function regprocedure;
    v_node record;
BEGIN
    v_ddl := $ddl$
CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION app_owner;
SET LOCAL ROLE app_owner;
CREATE TABLE IF NOT EXISTS audit.events (
    event_id bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    transaction_id xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    db_role text NOT NULL,
    db_session_user text NOT NULL,
    app_user_id uuid,
    organization_id uuid,
    action text NOT NULL,
    schema_name text NOT NULL,
    table_name text NOT NULL,
    primary_key jsonb,
    changed_columns text[] NOT NULL DEFAULT '{}',
    old_values jsonb,
    new_values jsonb,
    checksum bytea NOT NULL,
    CONSTRAINT pk_events PRIMARY KEY (event_id),
    CONSTRAINT ck_events_action CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'MIGRATION', 'DDL')),
    CONSTRAINT ck_events_checksum_length CHECK (pg_catalog.octet_length(checksum) = 32),
    CONSTRAINT ck_events_names_length CHECK (
        pg_catalog.octet_length(schema_name) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(table_name) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(db_role) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(db_session_user) BETWEEN 1 AND 63
    )
);
ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;
REVOKE UPDATE, DELETE, TRUNCATE ON audit.events FROM app_owner;
CREATE INDEX IF NOT EXISTS idx_events_organization_id_occurred_at ON audit.events (organization_id, occurred_at);
CREATE INDEX IF NOT EXISTS idx_events_transaction_id ON audit.events (transaction_id);
CREATE TABLE IF NOT EXISTS audit.chain_links (
    chain_seq bigint GENERATED ALWAYS AS IDENTITY,
    event_id bigint NOT NULL,
    chain_checksum bytea NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    sealed_horizon xid8 NOT NULL,
    CONSTRAINT pk_chain_links PRIMARY KEY (chain_seq),
    CONSTRAINT uq_chain_links_event_id UNIQUE (event_id),
    CONSTRAINT ck_chain_links_checksum_length CHECK (pg_catalog.octet_length(chain_checksum) = 32)
);
ALTER TABLE audit.chain_links ENABLE ROW LEVEL SECURITY;
REVOKE UPDATE, DELETE, TRUNCATE ON audit.chain_links FROM app_owner;
RESET ROLE;
$ddl$;
    v_ddl := v_ddl || pg_catalog.pg_get_functiondef('audit.event_checksum(audit.events)'::regprocedure) || ';';
    FOREACH v_function IN ARRAY v_functions LOOP
        v_ddl := v_ddl || pg_catalog.pg_get_functiondef(v_function) || ';'
            || pg_catalog.format('ALTER FUNCTION %s OWNER TO app_owner;', v_function)
            || pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC;', v_function);
    END LOOP;
    v_ddl := v_ddl || $ddl$
ALTER FUNCTION audit.event_checksum(audit.events) OWNER TO app_owner;
CREATE OR REPLACE TRIGGER trg_events_append_only BEFORE UPDATE OR DELETE ON audit.events
    FOR EACH ROW EXECUTE FUNCTION audit.tg_events_append_only();
CREATE OR REPLACE TRIGGER trg_events_no_truncate BEFORE TRUNCATE ON audit.events
    FOR EACH STATEMENT EXECUTE FUNCTION audit.tg_events_append_only();
CREATE OR REPLACE TRIGGER trg_chain_links_append_only BEFORE UPDATE OR DELETE ON audit.chain_links
    FOR EACH ROW EXECUTE FUNCTION audit.tg_chain_links_append_only();
CREATE OR REPLACE TRIGGER trg_chain_links_no_truncate BEFORE TRUNCATE ON audit.chain_links
    FOR EACH STATEMENT EXECUTE FUNCTION audit.tg_chain_links_append_only();
ALTER TABLE audit.events ENABLE ALWAYS TRIGGER trg_events_append_only;
ALTER TABLE audit.events ENABLE ALWAYS TRIGGER trg_events_no_truncate;
ALTER TABLE audit.chain_links ENABLE ALWAYS TRIGGER trg_chain_links_append_only;
ALTER TABLE audit.chain_links ENABLE ALWAYS TRIGGER trg_chain_links_no_truncate;
$ddl$;
    FOR v_node IN
        SELECT r.nodename, r.nodeport, r.success, r.result
        -- One DO statement per worker: run_command_on_workers reports the first statement's result
        -- only, so a multi-statement string would hide a failure of a later one.
        FROM run_command_on_workers(pg_catalog.format(
            'DO $worker$ BEGIN PERFORM pg_catalog.set_config(''citus.enable_ddl_propagation'', ''off'', true); '
            'EXECUTE %L; END $worker$', v_ddl)) AS r
    LOOP
        IF NOT v_node.success THEN
            RAISE EXCEPTION 'the audit trail could not be created on worker %:%: %', v_node.nodename, v_node.nodeport, v_node.result
                USING ERRCODE = 'connection_failure', HINT = 'every worker must be reachable; run this file again';
        END IF;
    END LOOP;
END
$nodes$;

-- Why: the coordinator's sealing covers every node (the scheduler keeps calling audit.seal_events()).
CREATE OR REPLACE FUNCTION audit.seal_events() RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_sealed bigint := audit.seal_node_events();
    v_node record;
BEGIN
    FOR v_node IN SELECT r.nodename, r.nodeport, r.success, r.result
                  FROM run_command_on_workers('SELECT audit.seal_node_events()') AS r LOOP
        IF NOT v_node.success THEN
            RAISE EXCEPTION 'could not seal the audit events of worker %:%: %', v_node.nodename, v_node.nodeport, v_node.result
                USING ERRCODE = 'connection_failure';
        END IF;
        v_sealed := v_sealed + v_node.result::bigint;
    END LOOP;
    RETURN v_sealed;
END
$fn$;
COMMENT ON FUNCTION audit.seal_events() IS
    'Citus: seals the audit events of the coordinator and of every worker (each node its own hash chain); returns how many. '
    'The owner and the migrator only; the platform scheduler calls it often as the migrator.';

-- Why: `dbrun verify` (post-check audit_chain_intact) checks every node's chain through this one call.
CREATE OR REPLACE FUNCTION audit.verify_chain()
RETURNS TABLE (chain_seq bigint, event_id bigint, problem text)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH node AS MATERIALIZED (
        SELECT r.nodename, r.nodeport, r.success, r.result
        FROM run_command_on_workers('SELECT coalesce(pg_catalog.json_agg(v), ''[]'') FROM audit.verify_node_chain() AS v') AS r
    )
    SELECT v.chain_seq, v.event_id, v.problem FROM audit.verify_node_chain() AS v
    UNION ALL
    SELECT b.chain_seq, b.event_id, pg_catalog.format('worker %s:%s: %s', n.nodename, n.nodeport, b.problem)
    FROM node AS n
    CROSS JOIN LATERAL pg_catalog.json_to_recordset(CASE WHEN n.success THEN n.result::json ELSE '[]' END)
        AS b (chain_seq bigint, event_id bigint, problem text)
    UNION ALL
    SELECT NULL, NULL, pg_catalog.format('worker %s:%s: could not verify its audit chain: %s', n.nodename, n.nodeport, n.result)
    FROM node AS n
    WHERE NOT n.success
$fn$;
COMMENT ON FUNCTION audit.verify_chain() IS
    'Citus: verifies the sealed audit events of the coordinator and of every worker (problems of a worker name it); '
    'a worker that cannot be verified is a row too. No rows when every chain is intact.';
