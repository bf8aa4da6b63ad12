-- Migration: api_keys
-- Creates core.api_keys (a public prefix for lookup, the 32-byte HMAC-SHA256 of the secret, never
-- the secret; scopes from a fixed set; status consistent with revoked_at and expires_at) and
-- app.authenticate_api_key(prefix, secret_hash): a SECURITY DEFINER function, owned by the
-- dedicated NOLOGIN role app_auth, that returns organization, key, user and scopes only for an
-- active, unexpired key of a live user in a live organization. It is the only way app_rw reads keys
-- across tenants: the caller does not know its tenant before it has authenticated.

SET LOCAL ROLE app_owner;

-- Why: tenant table; the owning user is referenced with a composite key, so it is in the same tenant.
CREATE TABLE core.api_keys (
    organization_id uuid NOT NULL,
    api_key_id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    secret_hash bytea NOT NULL,
    scopes text[] NOT NULL,
    status text NOT NULL DEFAULT 'active',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    CONSTRAINT pk_api_keys PRIMARY KEY (organization_id, api_key_id),
    CONSTRAINT uq_api_keys_prefix UNIQUE (prefix),
    CONSTRAINT fk_api_keys_user_id FOREIGN KEY (organization_id, user_id)
        REFERENCES core.users (organization_id, user_id) ON DELETE CASCADE,
    CONSTRAINT ck_api_keys_name_length CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT ck_api_keys_prefix_format CHECK (prefix ~ '^ak_[a-z0-9]{12}$'),
    CONSTRAINT ck_api_keys_secret_hash_length CHECK (pg_catalog.octet_length(secret_hash) = 32),
    CONSTRAINT ck_api_keys_scopes_known CHECK (scopes <@ ARRAY[
        'models:read', 'inference:write', 'budgets:read', 'budgets:write', 'usage:read', 'keys:manage'
    ]::text []),
    CONSTRAINT ck_api_keys_scopes_not_empty CHECK (pg_catalog.cardinality(scopes) >= 1),
    CONSTRAINT ck_api_keys_status CHECK (status IN ('active', 'revoked', 'expired')),
    CONSTRAINT ck_api_keys_revoked_consistent CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CONSTRAINT ck_api_keys_expired_consistent CHECK (status <> 'expired' OR expires_at IS NOT NULL),
    CONSTRAINT ck_api_keys_expires_after_created CHECK (expires_at IS NULL OR expires_at > created_at),
    CONSTRAINT ck_api_keys_revoked_after_created CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
ALTER TABLE core.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.api_keys FORCE ROW LEVEL SECURITY;

CREATE INDEX idx_api_keys_organization_id_user_id ON core.api_keys (organization_id, user_id);

COMMENT ON TABLE core.api_keys IS 'API keys of a user. The secret is shown once and never stored; only its HMAC.';
COMMENT ON CONSTRAINT uq_api_keys_prefix ON core.api_keys IS
    'Global: a presented key is looked up by prefix before its tenant is known (app.authenticate_api_key).';
COMMENT ON COLUMN core.api_keys.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN core.api_keys.api_key_id IS 'Key id (unique within the tenant).';
COMMENT ON COLUMN core.api_keys.user_id IS 'Owning user, in the same tenant (composite foreign key).';
COMMENT ON COLUMN core.api_keys.name IS 'Label chosen by the user.';
COMMENT ON COLUMN core.api_keys.prefix IS 'Public part of the key (ak_ + 12 lowercase alphanumerics), unique: the lookup handle.';
COMMENT ON COLUMN core.api_keys.secret_hash IS 'HMAC-SHA256(environment key, secret part) computed by the application: 32 bytes.';
COMMENT ON COLUMN core.api_keys.scopes IS 'Non-empty subset of the fixed scope list (ck_api_keys_scopes_known).';
COMMENT ON COLUMN core.api_keys.status IS 'active, revoked (iff revoked_at) or expired (requires expires_at).';
COMMENT ON COLUMN core.api_keys.created_at IS 'When the key was issued.';
COMMENT ON COLUMN core.api_keys.expires_at IS 'Optional expiry; an expired key never authenticates, whatever its status.';
COMMENT ON COLUMN core.api_keys.revoked_at IS 'When the key was revoked; set exactly when status is revoked.';
COMMENT ON COLUMN core.api_keys.last_used_at IS 'Last successful authentication (updated at most once a minute; not audited).';

-- Why: privileged table; last_used_at alone changes on every authentication and is not audited.
CREATE TRIGGER trg_api_keys_audit
    AFTER INSERT OR UPDATE OR DELETE ON core.api_keys
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('last_used_at');

-- Why: the one cross-tenant read of keys; returns no row (never an error) when the key is not valid.
CREATE FUNCTION app.authenticate_api_key(p_prefix text, p_secret_hash bytea)
RETURNS TABLE (organization_id uuid, api_key_id uuid, user_id uuid, scopes text [])
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH valid AS (
        SELECT k.organization_id, k.api_key_id, k.user_id, k.scopes, k.last_used_at
        FROM core.api_keys AS k
        JOIN core.users AS u ON u.organization_id = k.organization_id AND u.user_id = k.user_id
        JOIN core.organizations AS o ON o.organization_id = k.organization_id
        WHERE k.prefix = p_prefix
          AND k.secret_hash = p_secret_hash
          AND k.status = 'active'
          AND k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > pg_catalog.now())
          AND u.deleted_at IS NULL
          AND o.deleted_at IS NULL
          AND o.status IN ('trial', 'active')
    ),
    touched AS (
        UPDATE core.api_keys AS k
        SET last_used_at = pg_catalog.now()
        FROM valid AS v
        WHERE k.organization_id = v.organization_id AND k.api_key_id = v.api_key_id
          AND (v.last_used_at IS NULL OR v.last_used_at < pg_catalog.now() - interval '1 minute')
        RETURNING k.api_key_id
    )
    SELECT v.organization_id, v.api_key_id, v.user_id, v.scopes FROM valid AS v
$fn$;
COMMENT ON FUNCTION app.authenticate_api_key(text, bytea) IS
    'Authenticates (prefix, HMAC of secret): organization, key, user and scopes of an active, unexpired key of a '
    'live user and organization, else no row. Touches last_used_at. SECURITY DEFINER as app_auth.';
REVOKE EXECUTE ON FUNCTION app.authenticate_api_key(text, bytea) FROM PUBLIC;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('core', 'api_keys', 'organization_id', 'internal'),
    ('core', 'api_keys', 'api_key_id', 'internal'),
    ('core', 'api_keys', 'user_id', 'internal'),
    ('core', 'api_keys', 'name', 'confidential'),
    ('core', 'api_keys', 'prefix', 'internal'),
    ('core', 'api_keys', 'secret_hash', 'secret'),
    ('core', 'api_keys', 'scopes', 'internal'),
    ('core', 'api_keys', 'status', 'internal'),
    ('core', 'api_keys', 'created_at', 'internal'),
    ('core', 'api_keys', 'expires_at', 'internal'),
    ('core', 'api_keys', 'revoked_at', 'internal'),
    ('core', 'api_keys', 'last_used_at', 'confidential');

INSERT INTO governance.retention_policies (schema_name, table_name, retain_for, action, timestamp_column, description)
VALUES ('core', 'api_keys', interval '1 year', 'delete', 'revoked_at',
        'Revoked keys are deleted one year after revocation.');

RESET ROLE;

-- Why: the definer is a role that can read keys of every tenant and nothing else (see
-- policies/core.api_keys.sql); nobody is granted it, so only this function acts as it.
GRANT CREATE ON SCHEMA app TO app_auth;
ALTER FUNCTION app.authenticate_api_key(text, bytea) OWNER TO app_auth;
GRANT EXECUTE ON FUNCTION app.authenticate_api_key(text, bytea) TO app_rw;
