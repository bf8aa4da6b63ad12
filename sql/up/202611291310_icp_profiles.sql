-- Migration: icp_profiles
-- Creates venture.icp_profiles (customer intelligence, seed 003): the ideal customer profile of a
-- venture, at most one live profile per venture (partial unique index), jsonb firmographics, and an
-- ICP score out of 100 that is, by construction, the sum of its four components (a generated
-- column): firmographic fit (0-40), pain intensity (0-30), ability to pay (0-20) and reachability
-- (0-10). Soft-deleted (deleted_at).
-- Locks: SHARE ROW EXCLUSIVE on venture.ventures (the foreign key); ROW EXCLUSIVE on
-- governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: tenant table; the venture is referenced with a composite key (same tenant).
CREATE TABLE venture.icp_profiles (
    organization_id uuid NOT NULL,
    icp_profile_id uuid NOT NULL DEFAULT gen_random_uuid(),
    venture_id uuid NOT NULL,
    profile_name text NOT NULL,
    firmographics jsonb NOT NULL DEFAULT '{}',
    firmographic_fit_score numeric(5, 2) NOT NULL,
    pain_intensity_score numeric(5, 2) NOT NULL,
    ability_to_pay_score numeric(5, 2) NOT NULL,
    reachability_score numeric(5, 2) NOT NULL,
    icp_score numeric(5, 2) NOT NULL GENERATED ALWAYS AS (
        firmographic_fit_score + pain_intensity_score + ability_to_pay_score + reachability_score
    ) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT pk_icp_profiles PRIMARY KEY (organization_id, icp_profile_id),
    CONSTRAINT fk_icp_profiles_venture_id FOREIGN KEY (organization_id, venture_id)
        REFERENCES venture.ventures (organization_id, venture_id) ON DELETE CASCADE,
    CONSTRAINT ck_icp_profiles_profile_name_length CHECK (pg_catalog.char_length(profile_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_icp_profiles_firmographics_object CHECK (pg_catalog.jsonb_typeof(firmographics) = 'object'),
    CONSTRAINT ck_icp_profiles_firmographic_fit_score_range CHECK (firmographic_fit_score BETWEEN 0 AND 40),
    CONSTRAINT ck_icp_profiles_pain_intensity_score_range CHECK (pain_intensity_score BETWEEN 0 AND 30),
    CONSTRAINT ck_icp_profiles_ability_to_pay_score_range CHECK (ability_to_pay_score BETWEEN 0 AND 20),
    CONSTRAINT ck_icp_profiles_reachability_score_range CHECK (reachability_score BETWEEN 0 AND 10),
    CONSTRAINT ck_icp_profiles_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_icp_profiles_deleted_after_created CHECK (deleted_at IS NULL OR deleted_at >= created_at)
);
ALTER TABLE venture.icp_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.icp_profiles FORCE ROW LEVEL SECURITY;

-- Why: the foreign key's index (the partial unique index below does not cover deleted rows).
CREATE INDEX idx_icp_profiles_organization_id_venture_id ON venture.icp_profiles (organization_id, venture_id);
-- Why: at most one live ICP per venture; a replaced profile is soft-deleted and kept for history.
CREATE UNIQUE INDEX uq_icp_profiles_organization_id_venture_id ON venture.icp_profiles (organization_id, venture_id)
    WHERE deleted_at IS NULL;
-- Why: profiles are matched by containment ({"industry": "logistics"}); jsonb_path_ops serves @> only.
CREATE INDEX idx_icp_profiles_firmographics ON venture.icp_profiles USING gin (firmographics jsonb_path_ops);

COMMENT ON TABLE venture.icp_profiles IS
    'Ideal customer profile of a venture: at most one live profile per venture; icp_score is the sum of its components.';
COMMENT ON INDEX venture.uq_icp_profiles_organization_id_venture_id IS 'At most one live ICP profile per venture.';
COMMENT ON COLUMN venture.icp_profiles.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.icp_profiles.icp_profile_id IS 'Profile id (unique within the tenant).';
COMMENT ON COLUMN venture.icp_profiles.venture_id IS 'Venture of the profile, same tenant (composite foreign key).';
COMMENT ON COLUMN venture.icp_profiles.profile_name IS 'Profile name, 1-200 characters.';
COMMENT ON COLUMN venture.icp_profiles.firmographics IS 'Firmographic attributes (JSON object): industry, size, region, revenue band.';
COMMENT ON COLUMN venture.icp_profiles.firmographic_fit_score IS 'Component: how well the firmographics fit the offer, 0-40.';
COMMENT ON COLUMN venture.icp_profiles.pain_intensity_score IS 'Component: how strongly the profile feels the problem solved, 0-30.';
COMMENT ON COLUMN venture.icp_profiles.ability_to_pay_score IS 'Component: budget and willingness to pay, 0-20.';
COMMENT ON COLUMN venture.icp_profiles.reachability_score IS 'Component: how reachable the profile is through known channels, 0-10.';
COMMENT ON COLUMN venture.icp_profiles.icp_score IS 'ICP score 0-100: generated as the sum of the four components (cannot be written).';
COMMENT ON COLUMN venture.icp_profiles.created_at IS 'When the profile was created.';
COMMENT ON COLUMN venture.icp_profiles.updated_at IS 'Last change, maintained by trg_icp_profiles_updated_at.';
COMMENT ON COLUMN venture.icp_profiles.deleted_at IS 'Soft delete time; not before created_at.';

CREATE TRIGGER trg_icp_profiles_updated_at
    BEFORE UPDATE ON venture.icp_profiles
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table; every change is audited, also under session_replication_role = replica.
CREATE TRIGGER trg_icp_profiles_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.icp_profiles
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE venture.icp_profiles ENABLE ALWAYS TRIGGER trg_icp_profiles_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('venture', 'icp_profiles', 'organization_id', 'internal'),
    ('venture', 'icp_profiles', 'icp_profile_id', 'internal'),
    ('venture', 'icp_profiles', 'venture_id', 'internal'),
    ('venture', 'icp_profiles', 'profile_name', 'confidential'),
    ('venture', 'icp_profiles', 'firmographics', 'confidential'),
    ('venture', 'icp_profiles', 'firmographic_fit_score', 'confidential'),
    ('venture', 'icp_profiles', 'pain_intensity_score', 'confidential'),
    ('venture', 'icp_profiles', 'ability_to_pay_score', 'confidential'),
    ('venture', 'icp_profiles', 'reachability_score', 'confidential'),
    ('venture', 'icp_profiles', 'icp_score', 'confidential'),
    ('venture', 'icp_profiles', 'created_at', 'internal'),
    ('venture', 'icp_profiles', 'updated_at', 'internal'),
    ('venture', 'icp_profiles', 'deleted_at', 'internal');

RESET ROLE;
