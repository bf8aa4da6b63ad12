-- Policies: agency.marketplace_modules (catalog shared by all agencies)
-- Who sees what: app_rw and app_ro read every module, whatever the tenant; nobody but the owner
-- (migrations, not FORCEd) writes. RLS stays enabled so a grant added by mistake still exposes no
-- write path: there is no write policy for the app roles.

REVOKE ALL ON agency.marketplace_modules FROM app_rw, app_ro, app_auth;
GRANT SELECT ON agency.marketplace_modules TO app_rw, app_ro;

-- Why: a shared catalog is visible to every tenant.
DROP POLICY IF EXISTS marketplace_modules_select_all ON agency.marketplace_modules;
CREATE POLICY marketplace_modules_select_all ON agency.marketplace_modules FOR SELECT TO app_rw, app_ro USING (true);
