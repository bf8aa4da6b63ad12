-- Migration: audit_events_ddl_action
-- Lets audit.events hold DDL events (action 'DDL'), written by the event triggers of the next
-- migrations: the specification asks that audit capture actor, action, timestamp and context of
-- every schema change, and DDL run outside dbrun left no trace. The CHECK is replaced by a wider
-- one NOT VALID (no scan under this migration's ACCESS EXCLUSIVE lock); 202611291241 validates it.
-- Locks: ACCESS EXCLUSIVE on audit.events (DROP and ADD CONSTRAINT, catalog only): audited writes
-- wait for this short transaction.

SET LOCAL ROLE app_owner;

-- Why: one constraint name for the set of actions; the new set contains the old one.
ALTER TABLE audit.events DROP CONSTRAINT ck_events_action; -- noqa: SQ-ban-drop-constraint added again below with a wider set, same name
ALTER TABLE audit.events ADD CONSTRAINT ck_events_action
    CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'MIGRATION', 'DDL')) NOT VALID;
COMMENT ON COLUMN audit.events.action IS
    'INSERT, UPDATE, DELETE, MIGRATION (a dbrun run event) or DDL (a schema change, from the DDL event triggers).';

RESET ROLE;
