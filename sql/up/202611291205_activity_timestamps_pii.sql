-- Migration: activity_timestamps_pii
-- A person's activity timestamps are personal data (issue 11): core.users.last_login_at and
-- last_seen_at were classified confidential, so the audit trigger copied them into old_values and
-- new_values, and the erasure's own UPDATE event kept them readable after the erasure. Classified
-- pii, they are redacted in every event written from now on, and policies/core.users.sql no longer
-- grants them to app_ro (pii is never readable by the reporting role).
-- Locks: ROW EXCLUSIVE on governance.column_classifications (UPDATE of two rows).

SET LOCAL ROLE app_owner;

-- Why: pii is what the audit trigger redacts and what app_ro never reads.
UPDATE governance.column_classifications
SET classification = 'pii', note = 'activity of a person: personal data, erased with the user'
WHERE schema_name = 'core' AND table_name = 'users' AND column_name IN ('last_login_at', 'last_seen_at');

RESET ROLE;
