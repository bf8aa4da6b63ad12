-- Migration: organizations
-- Creates the core schema and the tenant root, core.organizations: slug, name, lifecycle status,
-- plan, quotas and soft delete, with created_at/updated_at maintained by a shared trigger function.
-- Its key column is named organization_id, like the tenant column of every other tenant table, so
-- one policy shape and one catalog query cover all of them.

-- Why: the product tables live in core, owned by the owner role.
CREATE SCHEMA core AUTHORIZATION app_owner;
COMMENT ON SCHEMA core IS 'Platform core: organizations (tenants), users, API keys, budgets and the model registry.';

SET LOCAL ROLE app_owner;

-- Why: one shared trigger function keeps updated_at honest on every table that has it.
CREATE FUNCTION app.tg_set_updated_at() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION app.tg_set_updated_at() IS 'BEFORE UPDATE trigger: sets updated_at to the transaction time.';

-- Why: the tenant root; every tenant row points here through organization_id.
CREATE TABLE core.organizations (
    organization_id uuid NOT NULL DEFAULT gen_random_uuid(),
    slug text NOT NULL,
    name text NOT NULL,
    status text NOT NULL DEFAULT 'trial',
    plan text NOT NULL DEFAULT 'free',
    max_users integer NOT NULL DEFAULT 5,
    max_api_keys integer NOT NULL DEFAULT 10,
    monthly_token_quota bigint NOT NULL DEFAULT 1000000,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT pk_organizations PRIMARY KEY (organization_id),
    CONSTRAINT uq_organizations_slug UNIQUE (slug),
    CONSTRAINT ck_organizations_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'),
    CONSTRAINT ck_organizations_name_length CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_organizations_status CHECK (status IN ('trial', 'active', 'suspended', 'closed')),
    CONSTRAINT ck_organizations_plan CHECK (plan IN ('free', 'team', 'business', 'enterprise')),
    CONSTRAINT ck_organizations_max_users_non_negative CHECK (max_users >= 0),
    CONSTRAINT ck_organizations_max_api_keys_non_negative CHECK (max_api_keys >= 0),
    CONSTRAINT ck_organizations_monthly_token_quota_non_negative CHECK (monthly_token_quota >= 0),
    CONSTRAINT ck_organizations_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_organizations_deleted_after_created CHECK (deleted_at IS NULL OR deleted_at >= created_at)
);
-- Tenant table: a table is never readable without RLS; FORCE filters the owner too.
ALTER TABLE core.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.organizations FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE core.organizations IS 'Tenants. Soft-deleted (deleted_at); the root of every tenant-owned row.';
COMMENT ON CONSTRAINT uq_organizations_slug ON core.organizations IS
    'Global: slugs are unique across tenants (URLs, sign-in); the tenant root is the one place this belongs.';
COMMENT ON COLUMN core.organizations.organization_id IS 'Tenant id; the value of app.org_id for this tenant.';
COMMENT ON COLUMN core.organizations.slug IS 'URL name: lowercase letters, digits and hyphens, 3-63 characters, unique.';
COMMENT ON COLUMN core.organizations.name IS 'Display name.';
COMMENT ON COLUMN core.organizations.status IS 'Lifecycle: trial, active, suspended or closed.';
COMMENT ON COLUMN core.organizations.plan IS 'Commercial plan: free, team, business or enterprise.';
COMMENT ON COLUMN core.organizations.max_users IS 'Quota: live users allowed (>= 0).';
COMMENT ON COLUMN core.organizations.max_api_keys IS 'Quota: active API keys allowed (>= 0).';
COMMENT ON COLUMN core.organizations.monthly_token_quota IS 'Quota: model tokens per calendar month (>= 0).';
COMMENT ON COLUMN core.organizations.created_at IS 'When the organization was created.';
COMMENT ON COLUMN core.organizations.updated_at IS 'Last change, maintained by trg_organizations_updated_at.';
COMMENT ON COLUMN core.organizations.deleted_at IS 'Soft delete time; not before created_at.';

CREATE TRIGGER trg_organizations_updated_at
    BEFORE UPDATE ON core.organizations
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table; every change is audited.
CREATE TRIGGER trg_organizations_audit
    AFTER INSERT OR UPDATE OR DELETE ON core.organizations
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('core', 'organizations', 'organization_id', 'internal'),
    ('core', 'organizations', 'slug', 'internal'),
    ('core', 'organizations', 'name', 'confidential'),
    ('core', 'organizations', 'status', 'internal'),
    ('core', 'organizations', 'plan', 'confidential'),
    ('core', 'organizations', 'max_users', 'internal'),
    ('core', 'organizations', 'max_api_keys', 'internal'),
    ('core', 'organizations', 'monthly_token_quota', 'internal'),
    ('core', 'organizations', 'created_at', 'internal'),
    ('core', 'organizations', 'updated_at', 'internal'),
    ('core', 'organizations', 'deleted_at', 'internal');

INSERT INTO governance.retention_policies (schema_name, table_name, retain_for, action, timestamp_column, description)
VALUES ('core', 'organizations', interval '90 days', 'delete', 'deleted_at',
        'Soft-deleted organizations are purged 90 days after deletion.');

RESET ROLE;

-- Why: services and reporting reach tables in core; grants per table are in policies/.
GRANT USAGE ON SCHEMA core TO app_rw, app_ro, app_auth;
