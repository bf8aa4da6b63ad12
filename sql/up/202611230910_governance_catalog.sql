-- Migration: governance_catalog
-- Creates the governance schema with the data classification of every column of every product
-- table (public, internal, confidential, pii, secret) and the retention policy per table. The audit
-- trigger redacts pii and secret columns from this catalog, and a post-check requires a
-- classification for every column, so each later migration classifies the columns it creates.

-- Why: governance metadata has its own schema, owned by the owner role.
CREATE SCHEMA governance AUTHORIZATION app_owner;
COMMENT ON SCHEMA governance IS 'Data classification, retention and erasure (GDPR) metadata and workflows.';

SET LOCAL ROLE app_owner;

-- Why: one row per column; the audit trigger and the post-checks read it.
CREATE TABLE governance.column_classifications (
    schema_name text NOT NULL,
    table_name text NOT NULL,
    column_name text NOT NULL,
    classification text NOT NULL,
    note text,
    CONSTRAINT pk_column_classifications PRIMARY KEY (schema_name, table_name, column_name),
    CONSTRAINT ck_column_classifications_classification
        CHECK (classification IN ('public', 'internal', 'confidential', 'pii', 'secret')),
    CONSTRAINT ck_column_classifications_names_length CHECK (
        pg_catalog.octet_length(schema_name) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(table_name) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(column_name) BETWEEN 1 AND 63
    ),
    CONSTRAINT ck_column_classifications_note_length CHECK (pg_catalog.char_length(note) <= 500)
);
-- Platform table: RLS enabled (app roles read through a policy); the owner writes it in migrations.
ALTER TABLE governance.column_classifications ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE governance.column_classifications IS
    'Classification of every column of every product table; pii and secret are redacted from the audit log.';
COMMENT ON COLUMN governance.column_classifications.schema_name IS 'Schema of the classified column.';
COMMENT ON COLUMN governance.column_classifications.table_name IS 'Table of the classified column.';
COMMENT ON COLUMN governance.column_classifications.column_name IS 'The classified column.';
COMMENT ON COLUMN governance.column_classifications.classification IS
    'public, internal, confidential, pii (personal data) or secret (credentials, hashes of secrets).';
COMMENT ON COLUMN governance.column_classifications.note IS 'Why this classification, when not obvious.';

-- Why: how long rows of each table are kept and what happens after.
CREATE TABLE governance.retention_policies (
    schema_name text NOT NULL,
    table_name text NOT NULL,
    retain_for interval NOT NULL,
    action text NOT NULL,
    timestamp_column text NOT NULL,
    description text NOT NULL,
    CONSTRAINT pk_retention_policies PRIMARY KEY (schema_name, table_name),
    CONSTRAINT ck_retention_policies_retain_for_positive CHECK (retain_for > interval '0'),
    CONSTRAINT ck_retention_policies_action CHECK (action IN ('delete', 'anonymise', 'archive')),
    CONSTRAINT ck_retention_policies_names_length CHECK (
        pg_catalog.octet_length(schema_name) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(table_name) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(timestamp_column) BETWEEN 1 AND 63
    ),
    CONSTRAINT ck_retention_policies_description_length CHECK (pg_catalog.char_length(description) BETWEEN 1 AND 500)
);
ALTER TABLE governance.retention_policies ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE governance.retention_policies IS 'Retention per table: keep rows retain_for after timestamp_column, then act.';
COMMENT ON COLUMN governance.retention_policies.schema_name IS 'Schema of the table the policy governs.';
COMMENT ON COLUMN governance.retention_policies.table_name IS 'Table the policy governs.';
COMMENT ON COLUMN governance.retention_policies.retain_for IS 'How long a row is kept after timestamp_column (positive).';
COMMENT ON COLUMN governance.retention_policies.action IS 'delete, anonymise or archive once retain_for has passed.';
COMMENT ON COLUMN governance.retention_policies.timestamp_column IS 'Column the retention period counts from.';
COMMENT ON COLUMN governance.retention_policies.description IS 'Human description (legal basis, scope).';

-- Why: the governance tables classify themselves like every other product table.
INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('governance', 'column_classifications', 'schema_name', 'internal'),
    ('governance', 'column_classifications', 'table_name', 'internal'),
    ('governance', 'column_classifications', 'column_name', 'internal'),
    ('governance', 'column_classifications', 'classification', 'internal'),
    ('governance', 'column_classifications', 'note', 'internal'),
    ('governance', 'retention_policies', 'schema_name', 'internal'),
    ('governance', 'retention_policies', 'table_name', 'internal'),
    ('governance', 'retention_policies', 'retain_for', 'internal'),
    ('governance', 'retention_policies', 'action', 'internal'),
    ('governance', 'retention_policies', 'timestamp_column', 'internal'),
    ('governance', 'retention_policies', 'description', 'internal');

RESET ROLE;
