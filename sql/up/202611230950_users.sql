-- Migration: users
-- Creates core.users: people of one organization with a role (owner, admin, member, viewer). The
-- email is never stored: email_hmac is the 32-byte HMAC-SHA256 the application computes with its
-- environment key, unique per organization among live users (partial unique index). A password
-- hash is accepted only in a recognised format (argon2id, or bcrypt for imported accounts).

SET LOCAL ROLE app_owner;

-- Why: tenant table; the key includes organization_id so children reference (organization_id, user_id).
CREATE TABLE core.users (
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL DEFAULT gen_random_uuid(),
    email_hmac bytea,
    display_name text,
    role text NOT NULL DEFAULT 'member',
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    last_seen_at timestamptz,
    deleted_at timestamptz,
    anonymised_at timestamptz,
    CONSTRAINT pk_users PRIMARY KEY (organization_id, user_id),
    CONSTRAINT fk_users_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT,
    CONSTRAINT ck_users_email_hmac_length CHECK (pg_catalog.octet_length(email_hmac) = 32),
    CONSTRAINT ck_users_email_hmac_present CHECK (email_hmac IS NOT NULL OR anonymised_at IS NOT NULL),
    CONSTRAINT ck_users_display_name_length CHECK (pg_catalog.char_length(display_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_users_role CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    CONSTRAINT ck_users_password_hash_format CHECK (
        password_hash ~ '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{32,}$'
        OR password_hash ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$'
    ),
    CONSTRAINT ck_users_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_users_deleted_after_created CHECK (deleted_at IS NULL OR deleted_at >= created_at),
    CONSTRAINT ck_users_anonymised_is_deleted CHECK (anonymised_at IS NULL OR deleted_at IS NOT NULL)
);
ALTER TABLE core.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.users FORCE ROW LEVEL SECURITY;

-- Why: one live account per email per organization; a deleted account frees the address.
CREATE UNIQUE INDEX uq_users_organization_id_email_hmac ON core.users (organization_id, email_hmac)
    WHERE deleted_at IS NULL;

COMMENT ON TABLE core.users IS 'People of one organization. No plaintext email; anonymised on erasure.';
COMMENT ON INDEX core.uq_users_organization_id_email_hmac IS 'One live user per email (HMAC) per organization.';
COMMENT ON COLUMN core.users.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN core.users.user_id IS 'User id (unique within the tenant); the value of app.user_id.';
COMMENT ON COLUMN core.users.email_hmac IS
    'HMAC-SHA256(environment key, lower(trim(email))) computed by the application: 32 bytes; NULL once anonymised.';
COMMENT ON COLUMN core.users.display_name IS 'Name shown in the product; NULL once anonymised.';
COMMENT ON COLUMN core.users.role IS 'owner, admin, member or viewer.';
COMMENT ON COLUMN core.users.password_hash IS 'argon2id (or imported bcrypt) PHC string; NULL for SSO-only users.';
COMMENT ON COLUMN core.users.created_at IS 'When the user was created.';
COMMENT ON COLUMN core.users.updated_at IS 'Last change, maintained by trg_users_updated_at.';
COMMENT ON COLUMN core.users.last_login_at IS 'Last successful sign-in.';
COMMENT ON COLUMN core.users.last_seen_at IS 'Last activity (changes to it alone are not audited).';
COMMENT ON COLUMN core.users.deleted_at IS 'Soft delete time; not before created_at.';
COMMENT ON COLUMN core.users.anonymised_at IS 'When personal data was erased (governance.complete_erasure_request).';

CREATE TRIGGER trg_users_updated_at
    BEFORE UPDATE ON core.users
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table; activity timestamps alone are not worth an audit event.
CREATE TRIGGER trg_users_audit
    AFTER INSERT OR UPDATE OR DELETE ON core.users
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('last_seen_at', 'updated_at');

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note) VALUES
    ('core', 'users', 'organization_id', 'internal', NULL),
    ('core', 'users', 'user_id', 'internal', NULL),
    ('core', 'users', 'email_hmac', 'pii', 'keyed hash of an email: still personal data'),
    ('core', 'users', 'display_name', 'pii', NULL),
    ('core', 'users', 'role', 'internal', NULL),
    ('core', 'users', 'password_hash', 'secret', NULL),
    ('core', 'users', 'created_at', 'internal', NULL),
    ('core', 'users', 'updated_at', 'internal', NULL),
    ('core', 'users', 'last_login_at', 'confidential', NULL),
    ('core', 'users', 'last_seen_at', 'confidential', NULL),
    ('core', 'users', 'deleted_at', 'internal', NULL),
    ('core', 'users', 'anonymised_at', 'internal', NULL);

INSERT INTO governance.retention_policies (schema_name, table_name, retain_for, action, timestamp_column, description)
VALUES ('core', 'users', interval '30 days', 'anonymise', 'deleted_at',
        'Deleted users are anonymised within 30 days (GDPR art. 17).');

RESET ROLE;
