-- Migration: governance_catalog
-- Inverse of the up file: drops the classification and retention catalogs and the governance schema.

-- Why: policies (repeatables) go with their tables; later downs already emptied the schema.
DROP TABLE governance.retention_policies;
DROP TABLE governance.column_classifications;
DROP SCHEMA governance;
