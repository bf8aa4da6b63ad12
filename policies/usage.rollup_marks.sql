-- Policies: usage.rollup_marks
-- Who sees what: the app roles hold no privilege (marks are appended by the SECURITY DEFINER
-- trigger of usage.events and claimed by usage.refresh_rollups(), both running as the owner with
-- app.all_tenants = 'on', the owner's explicit opt-out). A mark names several tenants, so there is
-- no per-tenant policy: without the opt-out, even the owner sees no mark.

REVOKE ALL ON usage.rollup_marks FROM app_rw, app_ro, app_auth;
REVOKE ALL ON usage.rollup_dirty_buckets FROM app_rw, app_ro, app_auth;

-- Why: the trigger marks and the refresh claims buckets of every tenant; only with the owner's explicit opt-out.
-- Named rollup_marks_all_all_tenants until 2026-11: dropped here so databases that have it converge.
DROP POLICY IF EXISTS rollup_marks_all_all_tenants ON usage.rollup_marks;
DROP POLICY IF EXISTS rollup_marks_all_cross_tenant ON usage.rollup_marks;
CREATE POLICY rollup_marks_all_cross_tenant ON usage.rollup_marks FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
