-- Seed: models (the shared registry)
-- Deterministic and idempotent: a fixed model_id and timestamps, ON CONFLICT DO NOTHING.

-- Why: one sample model every tenant can see.
INSERT INTO core.models (
    model_id, provider, name, version, status, context_window, input_cost_per_1k, output_cost_per_1k, deployment,
    created_at, updated_at
)
VALUES (
    '0d0d0d0d-0000-4000-8000-000000000001', 'openai', 'gpt-4o-mini', '2024-07-18', 'active', 128000, 0.000150,
    0.000600, '{"endpoint": "https://api.openai.com/v1", "region": "us", "max_output_tokens": 16384}',
    '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00'
)
ON CONFLICT DO NOTHING;
