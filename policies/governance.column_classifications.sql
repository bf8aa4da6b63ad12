-- Policies: governance.column_classifications (platform metadata)
-- Who sees what: app_rw and app_ro read every row (services use it to redact and to expire data);
-- only the owner (migrations, not FORCEd) writes.

REVOKE ALL ON governance.column_classifications FROM app_rw, app_ro, app_auth;
GRANT SELECT ON governance.column_classifications TO app_rw, app_ro;

-- Why: platform metadata is the same for every tenant.
DROP POLICY IF EXISTS column_classifications_select_all ON governance.column_classifications;
CREATE POLICY column_classifications_select_all ON governance.column_classifications FOR SELECT TO app_rw, app_ro USING (true);
