-- Seed: venture re-analysis (after the refresh of seeds/51_venture_trends.sql)
-- Idempotent: two feedback rows per tenant re-analysed with the same figures; their days stay marked
-- for the next venture.refresh_feedback_trends().

-- Why: a re-analysis (same figures) of two feedback rows per tenant: their days stay marked, so the
-- queue shows work and the next refresh has something to do.
SELECT pg_catalog.set_config('app.org_id', '11111111-1111-4111-8111-111111111111', true);
UPDATE venture.feedback_intelligence SET processing_confidence = processing_confidence
WHERE feedback_id IN ('a0a0a0a0-0007-4000-8000-000000000055', 'a0a0a0a0-0007-4000-8000-000000000056');
SELECT pg_catalog.set_config('app.org_id', '22222222-2222-4222-8222-222222222222', true);
UPDATE venture.feedback_intelligence SET processing_confidence = processing_confidence
WHERE feedback_id IN ('b0b0b0b0-0007-4000-8000-000000000055', 'b0b0b0b0-0007-4000-8000-000000000056');
SELECT pg_catalog.set_config('app.org_id', '', true);
