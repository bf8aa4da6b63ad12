-- Migration: audit_triggers_enable_always
-- Audit triggers fire in every session (issue 11): a superuser with session_replication_role =
-- replica updated, deleted or truncated audit.events unseen, and wrote audited tables without an
-- event, because ordinary triggers do not fire in replica mode. ENABLE ALWAYS makes the append-only
-- triggers of audit.events and every audit trigger fire whatever session_replication_role says.
-- (Logical replication subscribers then write an event too when a change is replicated into an
-- audited table; this schema is not a subscriber.) The post-check audit_triggers_always keeps every
-- later audit trigger ALWAYS.
-- Locks: SHARE ROW EXCLUSIVE (ALTER TABLE ... ENABLE ALWAYS TRIGGER, catalog only) on audit.events,
-- dbrun.log, core.organizations, core.users, core.api_keys, core.models, core.budgets and the
-- governance tables column_classifications, retention_policies, erasure_requests, erasure_subjects,
-- erasure_handlers.

-- Why: dbrun.log belongs to the session user that runs dbrun, not to the owner role.
ALTER TABLE dbrun.log ENABLE ALWAYS TRIGGER trg_log_audit;

SET LOCAL ROLE app_owner;

-- Why: append-only must hold for replica-mode sessions too.
ALTER TABLE audit.events ENABLE ALWAYS TRIGGER trg_events_append_only;
ALTER TABLE audit.events ENABLE ALWAYS TRIGGER trg_events_no_truncate;

-- Why: a replica-mode session must not change an audited table without an event.
ALTER TABLE core.organizations ENABLE ALWAYS TRIGGER trg_organizations_audit;
ALTER TABLE core.users ENABLE ALWAYS TRIGGER trg_users_audit;
ALTER TABLE core.api_keys ENABLE ALWAYS TRIGGER trg_api_keys_audit;
ALTER TABLE core.models ENABLE ALWAYS TRIGGER trg_models_audit;
ALTER TABLE core.budgets ENABLE ALWAYS TRIGGER trg_budgets_audit;
ALTER TABLE governance.column_classifications ENABLE ALWAYS TRIGGER trg_column_classifications_audit;
ALTER TABLE governance.retention_policies ENABLE ALWAYS TRIGGER trg_retention_policies_audit;
ALTER TABLE governance.erasure_requests ENABLE ALWAYS TRIGGER trg_erasure_requests_audit;
ALTER TABLE governance.erasure_subjects ENABLE ALWAYS TRIGGER trg_erasure_subjects_audit;
ALTER TABLE governance.erasure_handlers ENABLE ALWAYS TRIGGER trg_erasure_handlers_audit;

RESET ROLE;
