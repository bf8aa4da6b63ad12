-- Policies: governance.erasure_subjects (platform metadata)
-- Who sees what: app_rw and app_ro read every row (a service offers only registered subject kinds);
-- only the owner (migrations, not FORCEd) writes.

REVOKE ALL ON governance.erasure_subjects FROM app_rw, app_ro, app_auth;
GRANT SELECT ON governance.erasure_subjects TO app_rw, app_ro;

-- Why: platform metadata is the same for every tenant.
DROP POLICY IF EXISTS erasure_subjects_select_all ON governance.erasure_subjects;
CREATE POLICY erasure_subjects_select_all ON governance.erasure_subjects FOR SELECT TO app_rw, app_ro USING (true);
