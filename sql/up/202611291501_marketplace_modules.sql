-- Migration: marketplace_modules
-- Creates agency.marketplace_modules, the module catalog of the marketplace: a platform catalog like
-- core.models (no organization_id; a reference table when sharded), read by every tenant and
-- maintained by the owner. Installations and licenses of a module are tenant rows (later files).

SET LOCAL ROLE app_owner;

-- Why: a platform table: one catalog for every agency; the slug is the module's stable name.
CREATE TABLE agency.marketplace_modules (
    module_id uuid NOT NULL DEFAULT gen_random_uuid(),
    slug text NOT NULL,
    name text NOT NULL,
    version text NOT NULL,
    category text NOT NULL,
    pricing_model text NOT NULL DEFAULT 'free',
    rating_average numeric(3, 2),
    install_count bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_marketplace_modules PRIMARY KEY (module_id),
    CONSTRAINT uq_marketplace_modules_slug UNIQUE (slug),
    CONSTRAINT ck_marketplace_modules_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    CONSTRAINT ck_marketplace_modules_name_length CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_marketplace_modules_version_length CHECK (pg_catalog.char_length(version) BETWEEN 1 AND 50),
    CONSTRAINT ck_marketplace_modules_category
        CHECK (category IN ('analytics', 'commerce', 'communication', 'content', 'integration', 'security')),
    CONSTRAINT ck_marketplace_modules_pricing_model CHECK (pricing_model IN ('free', 'one_time', 'subscription', 'usage')),
    CONSTRAINT ck_marketplace_modules_rating_average_range CHECK (rating_average BETWEEN 0 AND 5),
    CONSTRAINT ck_marketplace_modules_install_count_non_negative CHECK (install_count >= 0),
    CONSTRAINT ck_marketplace_modules_updated_after_created CHECK (updated_at >= created_at)
);
-- Platform table: RLS on (app roles read through a policy); the owner maintains it.
ALTER TABLE agency.marketplace_modules ENABLE ROW LEVEL SECURITY;

COMMENT ON TABLE agency.marketplace_modules IS 'Marketplace module catalog shared by all agencies; read-only to app roles.';
COMMENT ON CONSTRAINT uq_marketplace_modules_slug ON agency.marketplace_modules IS
    'Unique across the platform: the catalog is a platform table (a reference table when sharded), not tenant data.';
COMMENT ON COLUMN agency.marketplace_modules.module_id IS 'Surrogate key.';
COMMENT ON COLUMN agency.marketplace_modules.slug IS 'Stable module name (lowercase, digits, - and _), unique in the catalog; overrides name modules by it.';
COMMENT ON COLUMN agency.marketplace_modules.name IS 'Display name.';
COMMENT ON COLUMN agency.marketplace_modules.version IS 'Current published version.';
COMMENT ON COLUMN agency.marketplace_modules.category IS 'analytics, commerce, communication, content, integration or security.';
COMMENT ON COLUMN agency.marketplace_modules.pricing_model IS 'free, one_time, subscription or usage.';
COMMENT ON COLUMN agency.marketplace_modules.rating_average IS 'Average review rating 0-5; NULL before the first review.';
COMMENT ON COLUMN agency.marketplace_modules.install_count IS 'Installations across the platform (>= 0), maintained by the marketplace.';
COMMENT ON COLUMN agency.marketplace_modules.created_at IS 'When the module was listed.';
COMMENT ON COLUMN agency.marketplace_modules.updated_at IS 'Last change, maintained by trg_marketplace_modules_updated_at.';

CREATE TRIGGER trg_marketplace_modules_updated_at
    BEFORE UPDATE ON agency.marketplace_modules
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table (what every agency may install); ALWAYS: fires in replica mode too.
CREATE TRIGGER trg_marketplace_modules_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.marketplace_modules
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.marketplace_modules ENABLE ALWAYS TRIGGER trg_marketplace_modules_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'marketplace_modules', 'module_id', 'public'),
    ('agency', 'marketplace_modules', 'slug', 'public'),
    ('agency', 'marketplace_modules', 'name', 'public'),
    ('agency', 'marketplace_modules', 'version', 'public'),
    ('agency', 'marketplace_modules', 'category', 'public'),
    ('agency', 'marketplace_modules', 'pricing_model', 'public'),
    ('agency', 'marketplace_modules', 'rating_average', 'public'),
    ('agency', 'marketplace_modules', 'install_count', 'public'),
    ('agency', 'marketplace_modules', 'created_at', 'public'),
    ('agency', 'marketplace_modules', 'updated_at', 'public');

RESET ROLE;
