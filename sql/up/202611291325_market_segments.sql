-- Migration: market_segments
-- Creates venture.market_segments (customer intelligence, seed 003): the market segments of a
-- venture with market sizes in numeric (TAM >= SAM >= SOM >= 0), a priority score in [0, 100] and
-- jsonb characteristics; the live segment names of a venture are unique. Soft-deleted (deleted_at).
-- Locks: SHARE ROW EXCLUSIVE on venture.ventures (the foreign key); ROW EXCLUSIVE on
-- governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: tenant table; the venture is referenced with a composite key (same tenant).
CREATE TABLE venture.market_segments (
    organization_id uuid NOT NULL,
    segment_id uuid NOT NULL DEFAULT gen_random_uuid(),
    venture_id uuid NOT NULL,
    segment_name text NOT NULL,
    description text,
    characteristics jsonb NOT NULL DEFAULT '{}',
    tam numeric(18, 2) NOT NULL,
    sam numeric(18, 2) NOT NULL,
    som numeric(18, 2) NOT NULL,
    currency text NOT NULL DEFAULT 'USD',
    priority_score numeric(5, 2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT pk_market_segments PRIMARY KEY (organization_id, segment_id),
    CONSTRAINT fk_market_segments_venture_id FOREIGN KEY (organization_id, venture_id)
        REFERENCES venture.ventures (organization_id, venture_id) ON DELETE CASCADE,
    CONSTRAINT ck_market_segments_segment_name_length CHECK (pg_catalog.char_length(segment_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_market_segments_description_length CHECK (pg_catalog.char_length(description) BETWEEN 1 AND 4000),
    CONSTRAINT ck_market_segments_characteristics_object CHECK (pg_catalog.jsonb_typeof(characteristics) = 'object'),
    CONSTRAINT ck_market_segments_market_sizes_ordered CHECK (tam >= sam AND sam >= som AND som >= 0),
    CONSTRAINT ck_market_segments_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT ck_market_segments_priority_score_range CHECK (priority_score BETWEEN 0 AND 100),
    CONSTRAINT ck_market_segments_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_market_segments_deleted_after_created CHECK (deleted_at IS NULL OR deleted_at >= created_at)
);
ALTER TABLE venture.market_segments ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.market_segments FORCE ROW LEVEL SECURITY;

-- Why: "a venture's segments by priority" is the listing the seed names; also the foreign key's index.
CREATE INDEX idx_market_segments_organization_id_venture_id_priority_score
    ON venture.market_segments (organization_id, venture_id, priority_score);
-- Why: one live segment per name in a venture.
CREATE UNIQUE INDEX uq_market_segments_organization_id_venture_id_segment_name
    ON venture.market_segments (organization_id, venture_id, segment_name) WHERE deleted_at IS NULL;

COMMENT ON TABLE venture.market_segments IS
    'Market segments of a venture with TAM >= SAM >= SOM >= 0 and a priority score 0-100. Soft-deleted.';
COMMENT ON INDEX venture.uq_market_segments_organization_id_venture_id_segment_name IS
    'One live segment per name per venture.';
COMMENT ON COLUMN venture.market_segments.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.market_segments.segment_id IS 'Segment id (unique within the tenant).';
COMMENT ON COLUMN venture.market_segments.venture_id IS 'Venture of the segment, same tenant (composite foreign key).';
COMMENT ON COLUMN venture.market_segments.segment_name IS 'Segment name, 1-200 characters, unique among the venture''s live segments.';
COMMENT ON COLUMN venture.market_segments.description IS 'Who is in the segment (1-4000 characters).';
COMMENT ON COLUMN venture.market_segments.characteristics IS 'Segment attributes (JSON object), not searched.';
COMMENT ON COLUMN venture.market_segments.tam IS 'Total addressable market per year in currency (>= sam).';
COMMENT ON COLUMN venture.market_segments.sam IS 'Serviceable addressable market (>= som).';
COMMENT ON COLUMN venture.market_segments.som IS 'Serviceable obtainable market (>= 0).';
COMMENT ON COLUMN venture.market_segments.currency IS 'ISO 4217 code of the market sizes.';
COMMENT ON COLUMN venture.market_segments.priority_score IS 'Priority of the segment, 0 (ignore) to 100 (first).';
COMMENT ON COLUMN venture.market_segments.created_at IS 'When the segment was created.';
COMMENT ON COLUMN venture.market_segments.updated_at IS 'Last change, maintained by trg_market_segments_updated_at.';
COMMENT ON COLUMN venture.market_segments.deleted_at IS 'Soft delete time; not before created_at.';

CREATE TRIGGER trg_market_segments_updated_at
    BEFORE UPDATE ON venture.market_segments
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table; every change is audited, also under session_replication_role = replica.
CREATE TRIGGER trg_market_segments_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.market_segments
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE venture.market_segments ENABLE ALWAYS TRIGGER trg_market_segments_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('venture', 'market_segments', 'organization_id', 'internal'),
    ('venture', 'market_segments', 'segment_id', 'internal'),
    ('venture', 'market_segments', 'venture_id', 'internal'),
    ('venture', 'market_segments', 'segment_name', 'confidential'),
    ('venture', 'market_segments', 'description', 'confidential'),
    ('venture', 'market_segments', 'characteristics', 'confidential'),
    ('venture', 'market_segments', 'tam', 'confidential'),
    ('venture', 'market_segments', 'sam', 'confidential'),
    ('venture', 'market_segments', 'som', 'confidential'),
    ('venture', 'market_segments', 'currency', 'internal'),
    ('venture', 'market_segments', 'priority_score', 'confidential'),
    ('venture', 'market_segments', 'created_at', 'internal'),
    ('venture', 'market_segments', 'updated_at', 'internal'),
    ('venture', 'market_segments', 'deleted_at', 'internal');

RESET ROLE;
