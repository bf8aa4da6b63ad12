-- Migration: ingest_role
-- Creates app_ingest, the group role of the platform gateway's usage ingest (issue 19). The gateway
-- authenticates API keys itself and writes usage events of many organizations in one batch; under
-- app_rw it would have to set each organization as the tenant and send one statement per
-- organization, which at the specification's density (about one event per organization and hour)
-- is one statement per event. app_ingest may INSERT into usage.events for any organization and holds
-- nothing else: no SELECT on any product table, so it reads no tenant's data (a retry is made
-- idempotent by INSERT ... ON CONFLICT ON CONSTRAINT pk_events DO NOTHING, which needs no SELECT).
-- Its grant and policy are in policies/usage.events.sql; the events' validation trigger runs as the
-- owner (202611291405) because app_ingest cannot read organizations or keys. Like the roles of
-- 202611230900 it is cluster-wide: created only when missing; the down keeps it while another
-- database depends on it. usage.police_partitions() now revokes app_ingest's privileges on
-- partitions too.
-- Locks: none on data (a role, a schema grant and a function definition).

-- Why: roles are shared by every database of the cluster; create it only when it is missing.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_ingest') THEN
        CREATE ROLE app_ingest NOLOGIN;
    END IF;
END
$roles$;
COMMENT ON ROLE app_ingest IS
    'Usage ingest (the gateway): INSERT into usage.events for any organization, nothing else. Login roles are '
    'granted this. Subject to RLS; reads no tenant data.';

-- Why: it resolves usage.events; the table privilege itself is granted in policies/usage.events.sql.
GRANT USAGE ON SCHEMA usage TO app_ingest;

SET LOCAL ROLE app_owner;

-- Why: a partition is a table of its own; no app role, app_ingest included, may write one directly.
CREATE OR REPLACE FUNCTION usage.police_partitions(p_parent regclass) RETURNS integer
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
        EXECUTE format('REVOKE ALL ON %s FROM PUBLIC, app_rw, app_ro, app_auth, app_ingest', v_part);
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

RESET ROLE;
