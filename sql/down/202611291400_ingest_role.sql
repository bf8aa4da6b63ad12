-- Migration: ingest_role
-- Inverse of the up file: removes app_ingest's policy and privileges from usage.events (and the
-- policy's copies on the partitions), restores usage.police_partitions() as 202611231100 wrote it,
-- then drops the role unless another database of the cluster still depends on it (then it is kept
-- with a NOTICE, as the down of 202611230900 does).

-- Why: the policy comes from policies/usage.events.sql, which the next up re-applies.
DROP POLICY IF EXISTS events_insert_ingest ON usage.events;
REVOKE ALL ON usage.events FROM app_ingest;

SET LOCAL ROLE app_owner;

-- Why: the body of 202611231100 (app_ingest is not revoked on partitions).
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

-- Why: the partitions lose their copies of the dropped policy.
SELECT usage.police_partitions('usage.events');

RESET ROLE;

REVOKE USAGE ON SCHEMA usage FROM app_ingest;

-- Why: roles are cluster-wide; drop it only when no other database still uses it.
DO $roles$
BEGIN
    DROP ROLE IF EXISTS app_ingest;
EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'role app_ingest kept: objects in another database still depend on it';
END
$roles$;
