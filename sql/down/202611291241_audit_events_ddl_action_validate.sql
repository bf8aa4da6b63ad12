-- Migration: audit_events_ddl_action_validate
-- Inverse of the up file: ck_events_action is NOT VALID again, as 202611291240 left it (PostgreSQL
-- cannot un-validate a constraint: it is dropped and added again NOT VALID, same definition).
-- Locks: ACCESS EXCLUSIVE on audit.events (DROP and ADD CONSTRAINT, catalog only).

SET LOCAL ROLE app_owner;

ALTER TABLE audit.events DROP CONSTRAINT ck_events_action;
ALTER TABLE audit.events ADD CONSTRAINT ck_events_action
    CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'MIGRATION', 'DDL')) NOT VALID;

RESET ROLE;
