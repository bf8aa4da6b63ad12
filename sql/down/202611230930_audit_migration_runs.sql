-- Migration: audit_migration_runs
-- Inverse of the up file: stops copying dbrun.log rows into the audit log.
-- Locks: SHARE ROW EXCLUSIVE on dbrun.log (DROP TRIGGER).

-- Why: the trigger first, then the function it calls.
DROP TRIGGER trg_log_audit ON dbrun.log;
DROP FUNCTION audit.tg_log_audit();
