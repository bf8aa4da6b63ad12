-- Migration: activity_timestamps_pii
-- Inverse of the up file: the activity timestamps of core.users are classified confidential again.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (UPDATE of two rows).

SET LOCAL ROLE app_owner;

UPDATE governance.column_classifications
SET classification = 'confidential', note = NULL
WHERE schema_name = 'core' AND table_name = 'users' AND column_name IN ('last_login_at', 'last_seen_at');

RESET ROLE;
