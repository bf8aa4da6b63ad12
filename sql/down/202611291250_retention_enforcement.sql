-- Migration: retention_enforcement
-- Inverse of the up file: drops governance.apply_retention(); the policies stay stored, unenforced.
-- Locks: none on data (function definition only).

SET LOCAL ROLE app_owner;

DROP FUNCTION governance.apply_retention(timestamptz);

RESET ROLE;
