-- Seed: acme (development tenant)
-- Deterministic and idempotent: fixed keys, fixed timestamps, ON CONFLICT DO NOTHING (a second run
-- inserts nothing, so the audit log does not grow either). Emails are stored only as
-- HMAC-SHA256(dev email key, email); API key secrets as HMAC-SHA256(dev API key key, secret).
-- The development secrets and how these hashes were computed are in docs/seeds.md.

-- Why: tenant tables accept rows of the tenant set for the transaction only (FORCE RLS).
SELECT pg_catalog.set_config('app.org_id', '11111111-1111-4111-8111-111111111111', true);

INSERT INTO core.organizations (organization_id, slug, name, status, plan, created_at, updated_at)
VALUES ('11111111-1111-4111-8111-111111111111', 'acme', 'Acme Corporation', 'active', 'business',
        '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00')
ON CONFLICT DO NOTHING;

-- Why: one user per role, plus a leaver with a pending erasure request.
INSERT INTO core.users (organization_id, user_id, email_hmac, display_name, role, password_hash, created_at, updated_at)
VALUES
    ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001', '\x4768a09b002cd9a604869b9c758c3a808a7e77e58e2efa672247698a1ca5ad01', 'Acme Owner', 'owner',
     '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00'),
    ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000002', '\xd921ab4b6ec64504cc5cbcc9e2269f526ba040e1faa501e68af1d54ca2803f30', 'Acme Admin', 'admin',
     '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00'),
    ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000003', '\x9d1b8859a8bcab210d9be1d3dcec2a5a35d6485977c7d4cd06a381fe86748346', 'Acme Member', 'member',
     NULL, '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00'),
    ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000004', '\x14290be8bbf9c97712633180571beeb230585fbff7b21c4c2c034563cfb723b9', 'Acme Viewer', 'viewer',
     NULL, '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00'),
    ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000005', '\x0b18edc7c09e8b576ea13f82b918e25f93fcc32df67dfcb8241f0bbe95d6a895', 'Acme Leaver', 'member',
     NULL, '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00')
ON CONFLICT DO NOTHING;

-- Why: on Citus each API key's prefix is claimed by its tenant first (core.api_key_prefixes, which
-- only a Citus target has: docs/scale-out.md, "Global keys"); on plain PostgreSQL the table does
-- not exist and this does nothing.
DO $claims$
BEGIN
    IF pg_catalog.to_regclass('core.api_key_prefixes') IS NOT NULL THEN
        EXECUTE $sql$
            INSERT INTO core.api_key_prefixes (prefix, organization_id, claimed_at)
            VALUES
                ('ak_acmeactive10', '11111111-1111-4111-8111-111111111111', '2026-01-03 00:00:00+00'),
                ('ak_acmerevoked0', '11111111-1111-4111-8111-111111111111', '2026-01-03 00:00:00+00'),
                ('ak_acmeexpired0', '11111111-1111-4111-8111-111111111111', '2026-01-03 00:00:00+00')
            ON CONFLICT DO NOTHING
        $sql$;
    END IF;
END
$claims$;

-- Why: an active key to authenticate with, a revoked one and an expired one (for negative tests).
INSERT INTO core.api_keys (
    organization_id, api_key_id, user_id, name, prefix, secret_hash, scopes, status, created_at, expires_at, revoked_at
)
VALUES
    ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000001', 'Owner key (active)', 'ak_acmeactive10',
     '\x42bf42aa2b9850af51c0a2ede5506650a6aa8318cab00e1f9d1552cb4d1c8415',
     '{models:read,inference:write,budgets:read,budgets:write,usage:read,keys:manage}', 'active', '2026-01-03 00:00:00+00', NULL, NULL),
    ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-000000000003', 'Member key (revoked)', 'ak_acmerevoked0',
     '\xad801047c58979ab9fe2cedb535739eec138c655bb530563e36705c54915e789',
     '{models:read,inference:write}', 'revoked', '2026-01-03 00:00:00+00', NULL, '2026-03-01 00:00:00+00'),
    ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000a3', 'aaaaaaaa-0000-4000-8000-000000000004', 'Viewer key (expired)', 'ak_acmeexpired0',
     '\x305c706b8b6f4276dd5eaea35d7b46be9aec479c6715dd3462b3c06f2c2e3de7',
     '{models:read,usage:read}', 'active', '2026-01-03 00:00:00+00', '2026-06-01 00:00:00+00', NULL)
ON CONFLICT DO NOTHING;

-- Why: a monthly budget with the default alert thresholds.
INSERT INTO core.budgets (organization_id, budget_id, period, period_start, amount, currency, created_at, updated_at)
VALUES ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'month', '2026-11-01', 1000.00, 'USD', '2026-01-04 00:00:00+00', '2026-01-04 00:00:00+00')
ON CONFLICT DO NOTHING;

-- Why: a pending erasure request for the leaver, due 30 days after it was made. Dated relative to
-- the day the seeds load, so a development database never starts with an overdue request.
INSERT INTO governance.erasure_requests (organization_id, erasure_request_id, user_id, status, reason, requested_at, due_at)
VALUES ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000005', 'pending', 'Left the company; asked for erasure.',
        pg_catalog.date_trunc('day', pg_catalog.now()) - interval '9 days',
        pg_catalog.date_trunc('day', pg_catalog.now()) + interval '21 days')
ON CONFLICT DO NOTHING;

SELECT pg_catalog.set_config('app.org_id', '', true);
