-- Migration: agency_schema_and_user_role
-- Inverse of the up file: drops the role context functions and the (then empty) agency schema.

DROP FUNCTION app.current_user_is_admin();
DROP FUNCTION app.current_user_role();
DROP SCHEMA agency;
