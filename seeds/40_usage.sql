-- Seed: usage (events and rollups of the development tenants)
-- Deterministic and idempotent: four weeks of hourly traffic (2026-10-26 to 2026-11-22 UTC) for acme
-- and a lighter pattern for globex, every figure derived from the hour number; a few late events
-- (occurred in the first week, ingested on 2026-11-22). Then seeds/41_usage_rollups.sql refreshes the
-- rollups and seeds/42_usage_corrections.sql corrects three events per tenant, which marks their
-- buckets dirty again, so the dirty queue has work to show (the next usage.refresh_rollups() picks it
-- up). Three files so that on Citus the refresh (the owner role) commits apart from the migrator's
-- writes before and after it (Citus refuses two roles the same shards in one transaction). A second
-- run inserts no event (ON CONFLICT DO NOTHING on the idempotency key), recomputes the corrected
-- buckets and re-applies the same correction: row counts do not change. Costs follow the seeded
-- model's prices (checked by the trigger); the model 0d0d0d0d-...-0000000000ff is deliberately absent from the registry (a
-- self-hosted model: its cost is not checked).
-- The partitions of the seeded months: seeds/35_usage_partitions.sql.

-- Why: tenant tables accept rows of the tenant set for the transaction only (FORCE RLS).
SELECT pg_catalog.set_config('app.org_id', '11111111-1111-4111-8111-111111111111', true);

-- Why: acme: 1 request an hour at night, 4 in UTC working hours; every 23rd fails, every 37th times out.
INSERT INTO usage.events (
    organization_id, request_id, occurred_at, model_id, api_key_id, status, tokens_in, tokens_out, latency_ms, cost,
    ingested_at
)
SELECT '11111111-1111-4111-8111-111111111111', format('seed-acme-%s-%s', g.h, r.n), t.hour_at + r.n * interval '7 minutes',
       CASE WHEN (g.h + r.n) % 5 = 0 THEN '0d0d0d0d-0000-4000-8000-0000000000ff'::uuid ELSE m.model_id END,
       'aaaaaaaa-0000-4000-8000-0000000000a1',
       CASE WHEN (g.h * 4 + r.n) % 23 = 0 THEN 'server_error' WHEN (g.h * 4 + r.n) % 37 = 0 THEN 'timeout' ELSE 'success' END,
       v.tokens_in, v.tokens_out, 250 + (g.h * 97 + r.n * 31) % 2400,
       round((v.tokens_in * m.input_cost_per_1k + v.tokens_out * m.output_cost_per_1k) / 1000, 6),
       t.hour_at + r.n * interval '7 minutes' + interval '2 seconds'
FROM generate_series(0, 28 * 24 - 1, 1) AS g (h)
CROSS JOIN LATERAL (SELECT timestamptz '2026-10-26 00:00:00+00' + g.h * interval '1 hour' AS hour_at) AS t
CROSS JOIN LATERAL generate_series(
    0, CASE WHEN extract(HOUR FROM t.hour_at AT TIME ZONE 'UTC') BETWEEN 8 AND 17 THEN 3 ELSE 0 END
) AS r (n)
CROSS JOIN LATERAL (
    SELECT 200 + (g.h * 37 + r.n * 11) % 800 AS tokens_in, 40 + (g.h * 53 + r.n * 17) % 400 AS tokens_out
) AS v
CROSS JOIN core.models AS m
WHERE m.model_id = '0d0d0d0d-0000-4000-8000-000000000001'
ON CONFLICT ON CONSTRAINT pk_events DO NOTHING;

-- Why: late events: they happened in the first week and arrived on 2026-11-22.
INSERT INTO usage.events (
    organization_id, request_id, occurred_at, model_id, api_key_id, status, tokens_in, tokens_out, latency_ms, cost,
    ingested_at
)
SELECT '11111111-1111-4111-8111-111111111111', format('seed-acme-late-%s', l.n), timestamptz '2026-10-27 10:41:00+00' + l.n * interval '1 day 3 hours',
       m.model_id, 'aaaaaaaa-0000-4000-8000-0000000000a1', 'success', 1000 + l.n, 500, 900,
       round(((1000 + l.n) * m.input_cost_per_1k + 500 * m.output_cost_per_1k) / 1000, 6), timestamptz '2026-11-22 12:00:00+00'
FROM generate_series(1, 5) AS l (n)
CROSS JOIN core.models AS m
WHERE m.model_id = '0d0d0d0d-0000-4000-8000-000000000001'
ON CONFLICT ON CONSTRAINT pk_events DO NOTHING;

SELECT pg_catalog.set_config('app.org_id', '22222222-2222-4222-8222-222222222222', true);

-- Why: globex (trial): one request every three hours, two in working hours.
INSERT INTO usage.events (
    organization_id, request_id, occurred_at, model_id, api_key_id, status, tokens_in, tokens_out, latency_ms, cost,
    ingested_at
)
SELECT '22222222-2222-4222-8222-222222222222', format('seed-globex-%s-%s', g.h, r.n), t.hour_at + r.n * interval '7 minutes',
       CASE WHEN (g.h + r.n) % 5 = 0 THEN '0d0d0d0d-0000-4000-8000-0000000000ff'::uuid ELSE m.model_id END,
       'bbbbbbbb-0000-4000-8000-0000000000a1',
       CASE WHEN (g.h * 4 + r.n) % 23 = 0 THEN 'server_error' WHEN (g.h * 4 + r.n) % 37 = 0 THEN 'timeout' ELSE 'success' END,
       v.tokens_in, v.tokens_out, 250 + (g.h * 97 + r.n * 31) % 2400,
       round((v.tokens_in * m.input_cost_per_1k + v.tokens_out * m.output_cost_per_1k) / 1000, 6),
       t.hour_at + r.n * interval '7 minutes' + interval '2 seconds'
FROM generate_series(0, 28 * 24 - 1, 3) AS g (h)
CROSS JOIN LATERAL (SELECT timestamptz '2026-10-26 00:00:00+00' + g.h * interval '1 hour' AS hour_at) AS t
CROSS JOIN LATERAL generate_series(
    0, CASE WHEN extract(HOUR FROM t.hour_at AT TIME ZONE 'UTC') BETWEEN 8 AND 17 THEN 1 ELSE 0 END
) AS r (n)
CROSS JOIN LATERAL (
    SELECT 200 + (g.h * 37 + r.n * 11) % 800 AS tokens_in, 40 + (g.h * 53 + r.n * 17) % 400 AS tokens_out
) AS v
CROSS JOIN core.models AS m
WHERE m.model_id = '0d0d0d0d-0000-4000-8000-000000000001'
ON CONFLICT ON CONSTRAINT pk_events DO NOTHING;

-- Why: late events: they happened in the first week and arrived on 2026-11-22.
INSERT INTO usage.events (
    organization_id, request_id, occurred_at, model_id, api_key_id, status, tokens_in, tokens_out, latency_ms, cost,
    ingested_at
)
SELECT '22222222-2222-4222-8222-222222222222', format('seed-globex-late-%s', l.n), timestamptz '2026-10-27 10:41:00+00' + l.n * interval '1 day 3 hours',
       m.model_id, 'bbbbbbbb-0000-4000-8000-0000000000a1', 'success', 1000 + l.n, 500, 900,
       round(((1000 + l.n) * m.input_cost_per_1k + 500 * m.output_cost_per_1k) / 1000, 6), timestamptz '2026-11-22 12:00:00+00'
FROM generate_series(1, 3) AS l (n)
CROSS JOIN core.models AS m
WHERE m.model_id = '0d0d0d0d-0000-4000-8000-000000000001'
ON CONFLICT ON CONSTRAINT pk_events DO NOTHING;

SELECT pg_catalog.set_config('app.org_id', '', true);
