-- Migration: audit_tenant_events
-- Inverse of the up file: drops audit.tenant_events and audit.redact_values(). (The app roles' SELECT
-- on audit.events is granted again by the previous version of policies/audit.events.sql only.)
-- Locks: none on data (view and function definitions only).

SET LOCAL ROLE app_owner;

DROP VIEW audit.tenant_events;
DROP FUNCTION audit.redact_values(text, text, jsonb);

RESET ROLE;
