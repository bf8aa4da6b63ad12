-- Migration: function_execute_grants
-- Inverse of the up file: the eleven functions are executable by PUBLIC again (their default), the
-- explicit grants go, and the owning roles' default privileges are PostgreSQL's defaults again.
-- Locks: none on data (function ACLs and default privileges are catalog rows).

SET LOCAL ROLE app_owner;

REVOKE EXECUTE ON FUNCTION app.is_strictly_ascending(numeric[]) FROM app_rw;
GRANT EXECUTE ON FUNCTION app.is_strictly_ascending(numeric[]) TO PUBLIC;

REVOKE EXECUTE ON FUNCTION app.current_org_id() FROM app_rw, app_ro;
REVOKE EXECUTE ON FUNCTION app.current_user_id() FROM app_rw, app_ro;
REVOKE EXECUTE ON FUNCTION app.invalid_uuid_setting(text) FROM app_rw, app_ro;
GRANT EXECUTE ON FUNCTION app.current_org_id() TO PUBLIC;
GRANT EXECUTE ON FUNCTION app.current_user_id() TO PUBLIC;
GRANT EXECUTE ON FUNCTION app.invalid_uuid_setting(text) TO PUBLIC;

GRANT EXECUTE ON FUNCTION audit.event_checksum(audit.events) TO PUBLIC;
GRANT EXECUTE ON FUNCTION usage.partitions_of(regclass) TO PUBLIC;

GRANT EXECUTE ON FUNCTION audit.tg_audit_row() TO PUBLIC;
GRANT EXECUTE ON FUNCTION audit.tg_log_audit() TO PUBLIC;
GRANT EXECUTE ON FUNCTION audit.tg_events_append_only() TO PUBLIC;
GRANT EXECUTE ON FUNCTION app.tg_set_updated_at() TO PUBLIC;
GRANT EXECUTE ON FUNCTION usage.tg_events_validate() TO PUBLIC;

RESET ROLE;

ALTER DEFAULT PRIVILEGES FOR ROLE app_auth GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE app_owner GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
