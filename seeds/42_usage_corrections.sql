-- Seed: usage corrections (after the refresh of seeds/41_usage_rollups.sql)
-- Idempotent: the same three events per tenant re-reported as failed without output; their buckets
-- are marked dirty again for the next usage.refresh_rollups().

-- Why: corrections after the refresh (a failed request re-reported without output): their buckets
-- stay dirty until the next refresh, as in production between two scheduled refreshes.
SELECT pg_catalog.set_config('app.org_id', '11111111-1111-4111-8111-111111111111', true);
UPDATE usage.events AS e
SET status = 'server_error', tokens_out = 0, cost = round(e.tokens_in * m.input_cost_per_1k / 1000, 6)
FROM core.models AS m
WHERE m.model_id = e.model_id AND e.organization_id = '11111111-1111-4111-8111-111111111111' AND e.request_id IN ('seed-acme-200-1', 'seed-acme-201-2', 'seed-acme-410-3');

SELECT pg_catalog.set_config('app.org_id', '22222222-2222-4222-8222-222222222222', true);
UPDATE usage.events AS e
SET status = 'server_error', tokens_out = 0, cost = round(e.tokens_in * m.input_cost_per_1k / 1000, 6)
FROM core.models AS m
WHERE m.model_id = e.model_id AND e.organization_id = '22222222-2222-4222-8222-222222222222' AND e.request_id IN ('seed-globex-201-0', 'seed-globex-204-1', 'seed-globex-411-0');

SELECT pg_catalog.set_config('app.org_id', '', true);
