-- Migration: audit_events_ddl_action
-- Inverse of the up file: the CHECK of 202611230920, without 'DDL'. Audit events are never
-- deleted, so once a DDL event exists the narrower CHECK cannot be validated: it is then added
-- NOT VALID (PostgreSQL checks every new row against it; the DDL events already written stay), the
-- closest to the previous state the append-only log allows. With no DDL event it is exact.
-- Locks: ACCESS EXCLUSIVE on audit.events (DROP and ADD CONSTRAINT; the ADD scans the log when
-- there is no DDL event).

SET LOCAL ROLE app_owner;

ALTER TABLE audit.events DROP CONSTRAINT ck_events_action;

-- Why: an exact inverse when the log allows it, else the same definition NOT VALID.
DO $narrow$
BEGIN
    IF EXISTS (SELECT FROM audit.events AS e WHERE e.action = 'DDL') THEN
        ALTER TABLE audit.events ADD CONSTRAINT ck_events_action
            CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'MIGRATION')) NOT VALID;
    ELSE
        ALTER TABLE audit.events ADD CONSTRAINT ck_events_action
            CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'MIGRATION'));
    END IF;
END
$narrow$;
COMMENT ON COLUMN audit.events.action IS 'INSERT, UPDATE, DELETE, or MIGRATION (a dbrun run event).';

RESET ROLE;
