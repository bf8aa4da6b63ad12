-- Migration: audit_triggers_enable_always
-- Inverse of the up file: the audit triggers fire in origin and local sessions only again
-- (ENABLE TRIGGER), not in replica mode.
-- Locks: SHARE ROW EXCLUSIVE (ALTER TABLE ... ENABLE TRIGGER, catalog only) on the tables of the up file.

-- Why: dbrun.log belongs to the session user that runs dbrun, not to the owner role.
ALTER TABLE dbrun.log ENABLE TRIGGER trg_log_audit;

SET LOCAL ROLE app_owner;

ALTER TABLE audit.events ENABLE TRIGGER trg_events_append_only;
ALTER TABLE audit.events ENABLE TRIGGER trg_events_no_truncate;

ALTER TABLE core.organizations ENABLE TRIGGER trg_organizations_audit;
ALTER TABLE core.users ENABLE TRIGGER trg_users_audit;
ALTER TABLE core.api_keys ENABLE TRIGGER trg_api_keys_audit;
ALTER TABLE core.models ENABLE TRIGGER trg_models_audit;
ALTER TABLE core.budgets ENABLE TRIGGER trg_budgets_audit;
ALTER TABLE governance.column_classifications ENABLE TRIGGER trg_column_classifications_audit;
ALTER TABLE governance.retention_policies ENABLE TRIGGER trg_retention_policies_audit;
ALTER TABLE governance.erasure_requests ENABLE TRIGGER trg_erasure_requests_audit;
ALTER TABLE governance.erasure_subjects ENABLE TRIGGER trg_erasure_subjects_audit;
ALTER TABLE governance.erasure_handlers ENABLE TRIGGER trg_erasure_handlers_audit;

RESET ROLE;
