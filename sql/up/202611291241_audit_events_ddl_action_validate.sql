-- Migration: audit_events_ddl_action_validate
-- Validates the widened ck_events_action of 202611291240 in its own transaction: VALIDATE scans the
-- log under SHARE UPDATE EXCLUSIVE, so the audit triggers keep writing while it runs.
-- Locks: SHARE UPDATE EXCLUSIVE on audit.events (VALIDATE CONSTRAINT): reads and writes continue.

SET LOCAL ROLE app_owner;

ALTER TABLE audit.events VALIDATE CONSTRAINT ck_events_action;

RESET ROLE;
