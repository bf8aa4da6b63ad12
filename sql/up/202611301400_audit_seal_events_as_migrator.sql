-- Migration: audit_seal_events_as_migrator
-- audit.seal_events() (202611291235) failed with 42501 for every role but a superuser: it took
-- SHARE ROW EXCLUSIVE on audit.chain_links to keep sealers one at a time, and LOCK in that mode
-- needs UPDATE, DELETE or TRUNCATE on the table, which the owner revoked from itself (the chain is
-- append-only). The platform scheduler seals as the migrator (app_migrator, a member of app_owner),
-- like the other maintenance jobs. Sealers now serialize on a transaction advisory lock keyed on
-- the table's name, which needs no table privilege: the owner, and a login granted app_migrator,
-- seal; app_rw and app_ro still hold no EXECUTE on the function. Nothing else changes (same links,
-- same horizon). On Citus, citus/after/12_audit_nodes.sql gives audit.seal_node_events() the same lock.
-- Locks: none on tables: audit.seal_events() is replaced in place.

SET LOCAL ROLE app_owner;

-- Why: the same sealing; only the way concurrent sealers wait for one another changes.
CREATE OR REPLACE FUNCTION audit.seal_events() RETURNS bigint
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
    -- One sealer at a time, without a table privilege (the LOCK of 202611291235 needed UPDATE, DELETE
    -- or TRUNCATE on audit.chain_links, which the owner gave up); released at the caller's commit.
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
COMMENT ON FUNCTION audit.seal_events() IS
    'Appends a hash-chain link to audit.chain_links for every audit event not linked yet; returns how many. '
    'The owner and the migrator (member of app_owner) only; the platform scheduler calls it often as the migrator '
    '(each call sees committed events only).';
REVOKE EXECUTE ON FUNCTION audit.seal_events() FROM PUBLIC;

RESET ROLE;
