-- Migration: audit_seal_events_as_migrator
-- Inverse of the up file: audit.seal_events() as 202611291235 defined it (the SHARE ROW EXCLUSIVE
-- table lock, which only a superuser can take).
-- Locks: none on tables: audit.seal_events() is replaced in place.

SET LOCAL ROLE app_owner;

-- Why: back to 202611291235's definition, word for word.
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

RESET ROLE;
