-- Migration: audit_hash_chain
-- Makes the audit log tamper-evident (issue 11). Each event's checksum is a sha256 of its own
-- payload only: the owner role could re-grant itself UPDATE, rewrite an event and recompute its
-- checksum. audit.chain_links links every event into a hash chain: link n stores
-- sha256(link n-1's chain_checksum || event's checksum), so rewriting one event (or one link)
-- breaks the chain at that point, and hiding it means rewriting every later link.
-- - audit.seal_events() appends the links, in event_id order, for events not yet linked. It runs
--   apart from the writers (the platform scheduler calls it, e.g. every minute), so audited writes
--   never wait for one another: a chain computed inside the writing transactions would serialize
--   every audited commit of the database on one head row, and fail REPEATABLE READ writers with
--   40001. Each run records the horizon of its snapshot (every older transaction had finished);
--   the next run looks only at transactions from there on (idx_events_transaction_id).
-- - audit.verify_chain() recomputes every payload checksum and every link and returns one row per
--   broken event, first broken first (none when intact), plus nothing else: the post-check
--   audit_chain_intact (run by dbrun verify and after every dbrun up) fails on any row.
-- - audit.chain_head() returns the newest link: record it outside the database (a deployment log,
--   a ticket) to detect a rewrite of the whole tail, which no chain kept inside the database can.
-- Events not sealed yet are not covered: seal often.
-- Locks: ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies
-- (INSERT); audit.events is only read.

SET LOCAL ROLE app_owner;

-- Why: one link per event, in the order they were sealed; append-only like the log itself. No
-- foreign key to audit.events: its check would lock the event FOR KEY SHARE, which needs the UPDATE
-- privilege the owner gave up; audit.verify_chain() reports a link whose event is missing.
CREATE TABLE audit.chain_links (
    chain_seq bigint GENERATED ALWAYS AS IDENTITY,
    event_id bigint NOT NULL,
    chain_checksum bytea NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    sealed_horizon xid8 NOT NULL,
    CONSTRAINT pk_chain_links PRIMARY KEY (chain_seq),
    CONSTRAINT uq_chain_links_event_id UNIQUE (event_id),
    CONSTRAINT ck_chain_links_checksum_length CHECK (pg_catalog.octet_length(chain_checksum) = 32)
);
-- Platform table: RLS enabled and no policy for the app roles (they never read it); the owner is
-- the only writer (not FORCEd).
ALTER TABLE audit.chain_links ENABLE ROW LEVEL SECURITY;
-- Why: append-only by grants, even for the owner (the trigger below also refuses superusers).
REVOKE UPDATE, DELETE, TRUNCATE ON audit.chain_links FROM app_owner;

COMMENT ON TABLE audit.chain_links IS
    'Hash chain over audit.events: one link per event, appended by audit.seal_events(); append-only.';
COMMENT ON COLUMN audit.chain_links.chain_seq IS 'Position in the chain (order of sealing).';
COMMENT ON COLUMN audit.chain_links.event_id IS 'The linked event (once each).';
COMMENT ON COLUMN audit.chain_links.chain_checksum IS
    'sha256(previous link''s chain_checksum || the event''s checksum); the first link uses an empty previous.';
COMMENT ON COLUMN audit.chain_links.sealed_at IS 'When the link was appended.';
COMMENT ON COLUMN audit.chain_links.sealed_horizon IS
    'xmin of the sealing run''s snapshot: every transaction before it had finished, so its events were sealed.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('audit', 'chain_links', 'chain_seq', 'internal'),
    ('audit', 'chain_links', 'event_id', 'internal'),
    ('audit', 'chain_links', 'chain_checksum', 'internal'),
    ('audit', 'chain_links', 'sealed_at', 'internal'),
    ('audit', 'chain_links', 'sealed_horizon', 'internal');

INSERT INTO governance.retention_policies (schema_name, table_name, retain_for, action, timestamp_column, description)
VALUES ('audit', 'chain_links', interval '7 years', 'archive', 'sealed_at',
        'Kept and exported with the audit events it links (never updated in place).');

-- Why: the chain is evidence: no role changes or removes a link, in any session mode.
CREATE FUNCTION audit.tg_chain_links_append_only() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE EXCEPTION 'audit.chain_links is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'links are never changed; audit.seal_events() appends them';
END
$fn$;
COMMENT ON FUNCTION audit.tg_chain_links_append_only() IS 'Refuses UPDATE, DELETE and TRUNCATE on audit.chain_links.';
REVOKE EXECUTE ON FUNCTION audit.tg_chain_links_append_only() FROM PUBLIC;

CREATE TRIGGER trg_chain_links_append_only
    BEFORE UPDATE OR DELETE ON audit.chain_links
    FOR EACH ROW EXECUTE FUNCTION audit.tg_chain_links_append_only();
CREATE TRIGGER trg_chain_links_no_truncate
    BEFORE TRUNCATE ON audit.chain_links
    FOR EACH STATEMENT EXECUTE FUNCTION audit.tg_chain_links_append_only();
ALTER TABLE audit.chain_links ENABLE ALWAYS TRIGGER trg_chain_links_append_only;
ALTER TABLE audit.chain_links ENABLE ALWAYS TRIGGER trg_chain_links_no_truncate;

-- Why: the writer of the chain. One sealer at a time (the table lock conflicts with itself); it
-- reads the events of transactions at or after the previous run's horizon that are not linked yet,
-- in event_id order, and appends one link each. Returns the number of links appended.
CREATE FUNCTION audit.seal_events() RETURNS bigint
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
    LOCK TABLE audit.chain_links IN SHARE ROW EXCLUSIVE MODE;
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
COMMENT ON FUNCTION audit.seal_events() IS
    'Appends a hash-chain link to audit.chain_links for every audit event not linked yet; returns how many. '
    'Owner only; the platform scheduler calls it often (each call sees committed events only).';
REVOKE EXECUTE ON FUNCTION audit.seal_events() FROM PUBLIC;

-- Why: one set-based pass: each link is checked against its predecessor and its event, so the
-- first row returned is the first broken event.
CREATE FUNCTION audit.verify_chain()
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
COMMENT ON FUNCTION audit.verify_chain() IS
    'Verifies every sealed audit event: its payload checksum and its hash-chain link. One row per broken event, '
    'in chain order (the first is the first broken event); no rows when the chain is intact.';
REVOKE EXECUTE ON FUNCTION audit.verify_chain() FROM PUBLIC;

-- Why: the newest link, to record outside the database (the chain cannot prove its own tail).
CREATE FUNCTION audit.chain_head()
RETURNS TABLE (chain_seq bigint, event_id bigint, chain_checksum text, sealed_at timestamptz, unsealed_events bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT h.chain_seq, h.event_id, pg_catalog.encode(h.chain_checksum, 'hex'), h.sealed_at,
           (SELECT pg_catalog.count(*) FROM audit.events AS e
            WHERE e.transaction_id >= coalesce(h.sealed_horizon, '0'::xid8)
              AND NOT EXISTS (SELECT FROM audit.chain_links AS c WHERE c.event_id = e.event_id))
    FROM (SELECT NULL::integer) AS one
    LEFT JOIN LATERAL (SELECT c.* FROM audit.chain_links AS c ORDER BY c.chain_seq DESC LIMIT 1) AS h ON true
$fn$;
COMMENT ON FUNCTION audit.chain_head() IS
    'Newest link of the audit hash chain (hex checksum) and how many events wait to be sealed.';
REVOKE EXECUTE ON FUNCTION audit.chain_head() FROM PUBLIC;

RESET ROLE;
