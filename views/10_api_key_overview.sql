-- View: core.api_key_overview
-- API keys as services and reports should list them: no secret_hash, and an effective status that
-- accounts for expiry (a key past expires_at is 'expired' whatever its stored status).
-- security_invoker: the caller's privileges and RLS apply, so it shows the current tenant only.

SET LOCAL ROLE app_owner;

-- Why: one place that derives the effective status; CREATE OR REPLACE keeps it repeatable.
CREATE OR REPLACE VIEW core.api_key_overview WITH (security_invoker = true) AS
SELECT
    k.organization_id,
    k.api_key_id,
    k.user_id,
    k.name,
    k.prefix,
    k.scopes,
    CASE
        WHEN k.status = 'active' AND k.expires_at IS NOT NULL AND k.expires_at <= now() THEN 'expired'
        ELSE k.status
    END AS effective_status,
    k.created_at,
    k.expires_at,
    k.revoked_at,
    k.last_used_at
FROM core.api_keys AS k;

COMMENT ON VIEW core.api_key_overview IS
    'API keys without their secret hash, with effective_status (expiry applied). Caller''s RLS applies.';
COMMENT ON COLUMN core.api_key_overview.effective_status IS 'active, revoked or expired, expiry applied.';

REVOKE ALL ON core.api_key_overview FROM app_rw, app_ro;
GRANT SELECT ON core.api_key_overview TO app_rw, app_ro;

RESET ROLE;
