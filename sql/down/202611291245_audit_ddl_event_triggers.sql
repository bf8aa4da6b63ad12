-- Migration: audit_ddl_event_triggers
-- Inverse of the up file: drops the DDL event triggers (when installed) and their functions. The
-- DDL events already written stay in the append-only log.
-- Locks: none on data (event triggers and functions are catalog rows).

-- Why: dropping an event trigger needs its owner (a superuser); absent when the up only warned.
DROP EVENT TRIGGER IF EXISTS audit_ddl_sql_drop; -- noqa: PRS sqlfluff does not parse event triggers
DROP EVENT TRIGGER IF EXISTS audit_ddl_command_end; -- noqa: PRS sqlfluff does not parse event triggers

SET LOCAL ROLE app_owner;

DROP FUNCTION audit.ddl_audit_active();
DROP FUNCTION audit.tg_ddl_sql_drop();
DROP FUNCTION audit.tg_ddl_command_end();
DROP FUNCTION audit.write_ddl_event(text, text, text, text);

RESET ROLE;
