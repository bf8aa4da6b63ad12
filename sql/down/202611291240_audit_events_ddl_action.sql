-- Migration: audit_events_ddl_action
-- Inverse of the up file: the CHECK of 202611230920 (without 'DDL'), validated. Audit events are
-- never deleted, so once a DDL event exists this cannot be undone exactly: the file then stops with
-- 55000 instead of leaving a different constraint behind.
-- Locks: ACCESS EXCLUSIVE on audit.events (DROP and ADD CONSTRAINT; the ADD scans the log).

SET LOCAL ROLE app_owner;

-- Why: an exact inverse or none: DDL events cannot be removed from the append-only log.
DO $guard$
BEGIN
    IF EXISTS (SELECT FROM audit.events AS e WHERE e.action = 'DDL') THEN
        RAISE EXCEPTION 'audit.events holds DDL events; the action CHECK cannot be narrowed again'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'audit events are never deleted; keep this migration applied';
    END IF;
END
$guard$;

ALTER TABLE audit.events DROP CONSTRAINT ck_events_action;
ALTER TABLE audit.events ADD CONSTRAINT ck_events_action CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'MIGRATION')); -- noqa: SQ-constraint-missing-not-valid no row violates it (checked above); the inverse of 202611291240
COMMENT ON COLUMN audit.events.action IS 'INSERT, UPDATE, DELETE, or MIGRATION (a dbrun run event).';

RESET ROLE;
