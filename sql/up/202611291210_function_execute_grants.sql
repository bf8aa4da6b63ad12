-- Migration: function_execute_grants
-- PUBLIC holds no EXECUTE on any product function (issue 11). Eleven functions still had
-- PostgreSQL's default grant to PUBLIC, among them the SECURITY DEFINER trigger functions
-- audit.tg_audit_row() and audit.tg_log_audit(): any role, app_ro included, could attach them to its
-- own temporary table and write forged audit events as the owner (CREATE TRIGGER needs EXECUTE on
-- the function; firing a trigger does not, so revoking it breaks no audited table). Each function is
-- now granted explicitly to the roles that call it, and default privileges of the owning roles
-- (app_owner, app_auth) revoke EXECUTE from PUBLIC on every function created later: a new function
-- is executable by its owner only until a migration grants it.
-- Locks: none on data (function ACLs and default privileges are catalog rows).

-- Why: functions created from now on start without EXECUTE for PUBLIC (per database).
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE app_auth REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

SET LOCAL ROLE app_owner;

-- Why: trigger functions are attached by the owner's migrations only; firing needs no EXECUTE.
REVOKE EXECUTE ON FUNCTION audit.tg_audit_row() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit.tg_log_audit() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit.tg_events_append_only() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.tg_set_updated_at() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION usage.tg_events_validate() FROM PUBLIC;

-- Why: owner-only helpers (verification, partition maintenance).
REVOKE EXECUTE ON FUNCTION audit.event_checksum(audit.events) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION usage.partitions_of(regclass) FROM PUBLIC;

-- Why: the tenant context is evaluated by every policy of the app roles (and by services).
REVOKE EXECUTE ON FUNCTION app.current_org_id() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.current_user_id() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.invalid_uuid_setting(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.current_org_id() TO app_rw, app_ro;
GRANT EXECUTE ON FUNCTION app.current_user_id() TO app_rw, app_ro;
GRANT EXECUTE ON FUNCTION app.invalid_uuid_setting(text) TO app_rw, app_ro;

-- Why: ck_budgets_alert_thresholds_ascending calls it when app_rw writes a budget.
REVOKE EXECUTE ON FUNCTION app.is_strictly_ascending(numeric[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.is_strictly_ascending(numeric[]) TO app_rw;

RESET ROLE;
