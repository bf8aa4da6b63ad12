-- Seed: globex (development tenant)
-- Deterministic and idempotent: fixed keys, fixed timestamps, ON CONFLICT DO NOTHING (a second run
-- inserts nothing, so the audit log does not grow either). Emails are stored only as
-- HMAC-SHA256(dev email key, email); API key secrets as HMAC-SHA256(dev API key key, secret).
-- The development secrets and how these hashes were computed are in docs/seeds.md.

-- Why: tenant tables accept rows of the tenant set for the transaction only (FORCE RLS).
SELECT pg_catalog.set_config('app.org_id', '22222222-2222-4222-8222-222222222222', true);

INSERT INTO core.organizations (organization_id, slug, name, status, plan, created_at, updated_at)
VALUES ('22222222-2222-4222-8222-222222222222', 'globex', 'Globex Inc.', 'trial', 'free',
        '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00')
ON CONFLICT DO NOTHING;

-- Why: one user per role, plus a leaver with a pending erasure request.
INSERT INTO core.users (organization_id, user_id, email_hmac, display_name, role, password_hash, created_at, updated_at)
VALUES
    ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000001', '\xbcae76d20433422d462bebd67ec2c9e002dd8e0b375ea53c6a801920635d07de', 'Globex Owner', 'owner',
     '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00'),
    ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000002', '\xd7932bc28816937115919a3cbe1aa4439adf3734468ef5588f71110c3d70fcfa', 'Globex Admin', 'admin',
     '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00'),
    ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000003', '\xabd6a74a61a069fad9aa67d1c990b48e334aca5fd7a5478f171fd5b50420d68f', 'Globex Member', 'member',
     NULL, '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00'),
    ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000004', '\xf3ef3f23dee4c0e69526cccfb681d3db3c4b3954577a7aeaebd8485954b7a367', 'Globex Viewer', 'viewer',
     NULL, '2026-01-02 00:00:00+00', '2026-01-02 00:00:00+00'),
    ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000005', '\x38038fa7c3db1f3f2bc3bf88d4029c7789081306a69e9ebea9beb3b2ed5161fd', 'Globex Leaver', 'member',
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
                ('ak_globexactive', '22222222-2222-4222-8222-222222222222', '2026-01-03 00:00:00+00'),
                ('ak_globexrevoke', '22222222-2222-4222-8222-222222222222', '2026-01-03 00:00:00+00'),
                ('ak_globexexpire', '22222222-2222-4222-8222-222222222222', '2026-01-03 00:00:00+00')
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
    ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-0000000000a1', 'bbbbbbbb-0000-4000-8000-000000000001', 'Owner key (active)', 'ak_globexactive',
     '\x778ac4c04a0eacc50373969fc7a0a99d14fb31e9fcbd860a5a95c2db5a7c82d3',
     '{models:read,inference:write,budgets:read,budgets:write,usage:read,keys:manage}', 'active', '2026-01-03 00:00:00+00', NULL, NULL),
    ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-0000000000a2', 'bbbbbbbb-0000-4000-8000-000000000003', 'Member key (revoked)', 'ak_globexrevoke',
     '\xa434abe396c7fa9bedae5928fbae1f6c435b3d3fd33ebfa2add0dc74aafb91b9',
     '{models:read,inference:write}', 'revoked', '2026-01-03 00:00:00+00', NULL, '2026-03-01 00:00:00+00'),
    ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-0000000000a3', 'bbbbbbbb-0000-4000-8000-000000000004', 'Viewer key (expired)', 'ak_globexexpire',
     '\x3c78dd3af38b32603d0bac1b0c1705e60154edefcdb1d94be875c21a2c3367c8',
     '{models:read,usage:read}', 'active', '2026-01-03 00:00:00+00', '2026-06-01 00:00:00+00', NULL)
ON CONFLICT DO NOTHING;

-- Why: a monthly budget with the default alert thresholds.
INSERT INTO core.budgets (organization_id, budget_id, period, period_start, amount, currency, created_at, updated_at)
VALUES ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-0000000000b1', 'month', '2026-11-01', 250.00, 'USD', '2026-01-04 00:00:00+00', '2026-01-04 00:00:00+00')
ON CONFLICT DO NOTHING;

-- Why: a pending erasure request for the leaver, due 30 days after it was made. Dated relative to
-- the day the seeds load, so a development database never starts with an overdue request.
INSERT INTO governance.erasure_requests (organization_id, erasure_request_id, user_id, status, reason, requested_at, due_at)
VALUES ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-0000000000e1', 'bbbbbbbb-0000-4000-8000-000000000005', 'pending', 'Left the company; asked for erasure.',
        pg_catalog.date_trunc('day', pg_catalog.now()) - interval '9 days',
        pg_catalog.date_trunc('day', pg_catalog.now()) + interval '21 days')
ON CONFLICT DO NOTHING;

SELECT pg_catalog.set_config('app.org_id', '', true);
