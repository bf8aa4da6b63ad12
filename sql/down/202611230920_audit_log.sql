-- Migration: audit_log
-- Inverse of the up file: removes the audit triggers from the governance tables, the audit log,
-- its functions and the audit schema, and the classification and retention rows it added.
-- Locks: SHARE ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies
-- (DROP TRIGGER).

-- Why: detach first so removing this migration's governance rows is not audited into a dropped table.
DROP TRIGGER trg_retention_policies_audit ON governance.retention_policies;
DROP TRIGGER trg_column_classifications_audit ON governance.column_classifications;

DELETE FROM governance.retention_policies WHERE schema_name = 'audit' AND table_name = 'events';
DELETE FROM governance.column_classifications WHERE schema_name = 'audit' AND table_name = 'events';

-- Why: functions taking the row type go before the table; its own triggers and indexes go with it.
DROP FUNCTION audit.tg_audit_row();
DROP FUNCTION audit.write_event(text, text, text, uuid, jsonb, text[], jsonb, jsonb, text);
DROP FUNCTION audit.event_checksum(audit.events);
DROP TABLE audit.events;
DROP FUNCTION audit.tg_events_append_only();
DROP SCHEMA audit;
