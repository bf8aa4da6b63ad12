-- Policies: core.models (registry shared by all tenants)
-- Who sees what: app_rw and app_ro read every model, whatever the tenant; nobody but the owner
-- (migrations, not FORCEd) writes. RLS stays enabled so a grant added by mistake still exposes no
-- write path: there is no write policy for the app roles.

REVOKE ALL ON core.models FROM app_rw, app_ro, app_auth;
GRANT SELECT ON core.models TO app_rw, app_ro;

-- Why: a shared registry is visible to every tenant.
DROP POLICY IF EXISTS models_select_all ON core.models;
CREATE POLICY models_select_all ON core.models FOR SELECT TO app_rw, app_ro USING (true);
