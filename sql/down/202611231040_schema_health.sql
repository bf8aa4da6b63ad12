-- Migration: schema_health
-- Inverse of the up file: drops app.schema_health() and the owner's read access to dbrun.migrations.

DROP FUNCTION app.schema_health();

-- Why: give dbrun's bookkeeping back its original ACL.
REVOKE SELECT ON dbrun.migrations FROM app_owner;
REVOKE USAGE ON SCHEMA dbrun FROM app_owner;
