-- Policies: governance.retention_policies (platform metadata)
-- Who sees what: app_rw and app_ro read every row (services use it to redact and to expire data);
-- only the owner (migrations, not FORCEd) writes.

REVOKE ALL ON governance.retention_policies FROM app_rw, app_ro, app_auth;
GRANT SELECT ON governance.retention_policies TO app_rw, app_ro;

-- Why: platform metadata is the same for every tenant.
DROP POLICY IF EXISTS retention_policies_select_all ON governance.retention_policies;
CREATE POLICY retention_policies_select_all ON governance.retention_policies FOR SELECT TO app_rw, app_ro USING (true);
