-- Policies: governance.erasure_handlers (platform metadata)
-- Who sees what: app_rw and app_ro read every row (what an erasure will reach); only the owner
-- (migrations, not FORCEd) writes: the completion function calls whatever is registered here.

REVOKE ALL ON governance.erasure_handlers FROM app_rw, app_ro, app_auth;
GRANT SELECT ON governance.erasure_handlers TO app_rw, app_ro;

-- Why: platform metadata is the same for every tenant.
DROP POLICY IF EXISTS erasure_handlers_select_all ON governance.erasure_handlers;
CREATE POLICY erasure_handlers_select_all ON governance.erasure_handlers FOR SELECT TO app_rw, app_ro USING (true);
