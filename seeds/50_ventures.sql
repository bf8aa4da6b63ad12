-- Seed: venture intelligence (one venture per development tenant)
-- Deterministic and idempotent: fixed ids and timestamps, ON CONFLICT DO NOTHING (sentiment history:
-- NOT EXISTS, because its insert trigger refuses a measurement that is not after the latest one, and
-- BEFORE triggers run before ON CONFLICT is considered). Per tenant, the same shape: one venture with
-- three personas (the first with all four journey stages, the second with two), a live ICP and a
-- replaced (soft-deleted) one, price research, two market segments, four customers, four weeks of
-- feedback (56 rows, 2026-11-02 to 2026-11-29 UTC, every figure derived from its number), a sentiment
-- history chain per customer; then seeds/51_venture_trends.sql refreshes the trends and
-- seeds/52_venture_reanalysis.sql re-analyses two feedback rows, which leaves their days marked for
-- the next refresh (three files so that on Citus the refresh, as the owner role, commits apart from
-- the migrator's writes). A second run inserts nothing, refreshes the marked days and re-applies the
-- same re-analysis: row counts do not change. Ids: <tenant prefix>-<kind>-...
-- with kinds 0000 venture, 0001 persona, 0002 journey, 0003 ICP, 0004 WTP, 0005 segment, 0006
-- customer, 0007 feedback, 0008 sentiment measurement, 0009 erasure request (docs/seeds.md). Customer 4
-- of each tenant has a pending erasure request.

-- Why: one template for both tenants; tenant tables accept rows of the tenant set for the transaction only.
DO $seed$
DECLARE
    v_tenant record;
    v_model constant uuid := '0d0d0d0d-0000-4000-8000-000000000001';
BEGIN
    FOR v_tenant IN
        SELECT t.org, t.prefix, t.venture_name, t.slug
        FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'a0a0a0a0', 'Acme Route Planner', 'acme'),
                     ('22222222-2222-4222-8222-222222222222'::uuid, 'b0b0b0b0', 'Globex Clinic Scheduler', 'globex'))
            AS t (org, prefix, venture_name, slug)
    LOOP
        PERFORM pg_catalog.set_config('app.org_id', v_tenant.org::text, true);

        INSERT INTO venture.ventures (organization_id, venture_id, name, stage, description, created_at, updated_at)
        VALUES (v_tenant.org, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid, v_tenant.venture_name,
                'validation', 'Seeded venture for development and tests.', '2026-10-01 00:00:00+00', '2026-10-01 00:00:00+00')
        ON CONFLICT DO NOTHING;

        INSERT INTO venture.customer_personas (
            organization_id, persona_id, venture_id, persona_name, persona_type, priority_rank, demographics,
            psychographics, pain_points, jobs_to_be_done, ai_confidence_score, created_at, updated_at
        )
        VALUES
            (v_tenant.org, (v_tenant.prefix || '-0001-4000-8000-000000000001')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             'Operations Olivia', 'primary', 1, '{"age_range": "30-45", "role": "operations manager", "company_size": "10-50"}',
             '{"values": ["efficiency", "predictability"], "risk_appetite": "low"}',
             '{"Manual planning takes hours","Late deliveries cost customers"}', '{"Plan tomorrow''s routes in minutes"}',
             0.85, '2026-10-02 00:00:00+00', '2026-10-02 00:00:00+00'),
            (v_tenant.org, (v_tenant.prefix || '-0001-4000-8000-000000000002')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             'Founder Felix', 'secondary', 2, '{"age_range": "25-40", "role": "founder", "company_size": "1-10"}',
             '{"values": ["growth"], "risk_appetite": "high"}',
             '{"No time for tooling"}', '{"Grow without hiring a planner","Keep costs visible"}',
             0.72, '2026-10-02 00:00:00+00', '2026-10-02 00:00:00+00'),
            (v_tenant.org, (v_tenant.prefix || '-0001-4000-8000-000000000003')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             'Enterprise Erin', 'negative', 3, '{"age_range": "35-55", "role": "procurement", "company_size": "1000+"}',
             '{"values": ["compliance"]}', '{"Needs a two-year procurement cycle"}', '{"Buy from an approved vendor list"}',
             NULL, '2026-10-02 00:00:00+00', '2026-10-02 00:00:00+00')
        ON CONFLICT DO NOTHING;

        INSERT INTO venture.customer_journeys (
            organization_id, journey_id, persona_id, stage, stage_name, description, touchpoints, friction_points,
            conversion_rate, created_at, updated_at
        )
        SELECT v_tenant.org, (v_tenant.prefix || '-0002-4000-8000-' || pg_catalog.lpad(j.n::text, 12, '0'))::uuid,
               (v_tenant.prefix || '-0001-4000-8000-00000000000' || j.persona)::uuid, j.stage,
               (ARRAY['awareness', 'consideration', 'decision', 'retention'])[j.stage], j.description,
               j.touchpoints, j.frictions, j.conversion, '2026-10-03 00:00:00+00', '2026-10-03 00:00:00+00'
        FROM (VALUES (1, 1, 1, 'Hears about route planning from peers.', '{"trade fair","peer referral"}'::text[], '{}'::text[], 0.40),
                     (2, 1, 2, 'Compares three tools on a trial.', '{"website","free trial"}', '{"unclear pricing"}', 0.25),
                     (3, 1, 3, 'Needs the owner''s sign-off.', '{"sales call"}', '{"annual contract"}', 0.60),
                     (4, 1, 4, 'Uses it daily; renews if routes stay reliable.', '{"in-app","support"}', '{}', 0.85),
                     (5, 2, 1, 'Finds it through a founder community.', '{"community forum"}', '{}', 0.30),
                     (6, 2, 2, 'Tries it on one weekend.', '{"free trial"}', '{"setup time"}', NULL))
            AS j (n, persona, stage, description, touchpoints, frictions, conversion)
        ON CONFLICT DO NOTHING;

        INSERT INTO venture.icp_profiles (
            organization_id, icp_profile_id, venture_id, profile_name, firmographics, firmographic_fit_score,
            pain_intensity_score, ability_to_pay_score, reachability_score, created_at, updated_at, deleted_at
        )
        VALUES
            (v_tenant.org, (v_tenant.prefix || '-0003-4000-8000-000000000001')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             'First draft ICP', '{"industry": "logistics", "employees": "50-500"}', 20, 15, 10, 5,
             '2026-10-04 00:00:00+00', '2026-10-20 00:00:00+00', '2026-10-20 00:00:00+00'),
            (v_tenant.org, (v_tenant.prefix || '-0003-4000-8000-000000000002')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             'Small fleets with daily routes', '{"industry": "logistics", "employees": "10-50", "fleet_size": "5-40", "region": "EU"}',
             34.5, 26, 14.25, 8, '2026-10-20 00:00:00+00', '2026-10-20 00:00:00+00', NULL)
        ON CONFLICT DO NOTHING;

        INSERT INTO venture.willingness_to_pay (
            organization_id, wtp_id, venture_id, persona_id, pricing_model, price_min, optimal_price, price_max, currency,
            research_method, confidence_score, notes, created_at, updated_at
        )
        VALUES
            (v_tenant.org, (v_tenant.prefix || '-0004-4000-8000-000000000001')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             (v_tenant.prefix || '-0001-4000-8000-000000000001')::uuid, 'subscription_monthly', 49.00, 89.00, 149.00, 'EUR',
             'van_westendorp', 0.70, '24 interviews in October.', '2026-10-25 00:00:00+00', '2026-10-25 00:00:00+00'),
            (v_tenant.org, (v_tenant.prefix || '-0004-4000-8000-000000000002')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             NULL, 'usage_based', 0.10, 0.25, 0.40, 'EUR', 'ai_estimate', 0.40, NULL, '2026-10-25 00:00:00+00', '2026-10-25 00:00:00+00')
        ON CONFLICT DO NOTHING;

        INSERT INTO venture.market_segments (
            organization_id, segment_id, venture_id, segment_name, description, characteristics, tam, sam, som, currency,
            priority_score, created_at, updated_at
        )
        VALUES
            (v_tenant.org, (v_tenant.prefix || '-0005-4000-8000-000000000001')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             'EU small fleets', 'Fleets of 5-40 vehicles in the EU.', '{"vehicles": "5-40"}', 1200000000.00, 180000000.00,
             9000000.00, 'EUR', 90, '2026-10-26 00:00:00+00', '2026-10-26 00:00:00+00'),
            (v_tenant.org, (v_tenant.prefix || '-0005-4000-8000-000000000002')::uuid, (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
             'Couriers', 'Independent couriers with one vehicle.', '{"vehicles": "1"}', 300000000.00, 30000000.00,
             600000.00, 'EUR', 35.5, '2026-10-26 00:00:00+00', '2026-10-26 00:00:00+00')
        ON CONFLICT DO NOTHING;

        INSERT INTO venture.customers (organization_id, customer_id, external_ref, created_at, updated_at)
        SELECT v_tenant.org, (v_tenant.prefix || '-0006-4000-8000-00000000000' || c.n)::uuid,
               pg_catalog.format('%s-crm-%s', v_tenant.slug, pg_catalog.lpad(c.n::text, 4, '0')),
               '2026-10-30 00:00:00+00', '2026-10-30 00:00:00+00'
        FROM pg_catalog.generate_series(1, 4) AS c (n)
        ON CONFLICT DO NOTHING;

        -- Feedback number n: customer 1 + n % 4, twice a day, figures derived from n.
        INSERT INTO venture.feedback_intelligence (
            organization_id, feedback_id, venture_id, customer_id, feedback_text, feedback_source, received_at,
            sentiment_score, emotion_primary, emotion_intensity, intent_classification, priority_score, urgency_level,
            churn_risk_score, churn_indicators, issue_tags, processed_at, processing_confidence, model_id, model_version,
            created_at, updated_at
        )
        SELECT v_tenant.org, (v_tenant.prefix || '-0007-4000-8000-' || pg_catalog.lpad(f.n::text, 12, '0'))::uuid,
               (v_tenant.prefix || '-0000-4000-8000-000000000001')::uuid,
               (v_tenant.prefix || '-0006-4000-8000-00000000000' || (1 + f.n % 4))::uuid,
               pg_catalog.format('Seed feedback %s on %s.', f.n, v_tenant.venture_name),
               (ARRAY['email', 'survey', 'support', 'social'])[1 + f.n % 4], r.received_at,
               pg_catalog.round(greatest(-1, least(1, ((f.n * 37) % 101 - 60) / 100.0 + f.n / 80.0)), 2),
               (ARRAY[NULL, 'joy', 'anger', 'sadness', 'fear', 'surprise', 'trust'])[1 + f.n % 7],
               CASE WHEN f.n % 7 = 0 THEN NULL ELSE pg_catalog.round(((f.n * 13) % 100) / 100.0, 2) END,
               (ARRAY['complaint', 'praise', 'question', 'request'])[1 + f.n % 4], (f.n * 53) % 101,
               CASE WHEN f.n % 9 = 0 THEN NULL ELSE (ARRAY['low', 'medium', 'high', 'critical'])[1 + (f.n * 3) % 4] END,
               CASE WHEN f.n % 11 = 0 THEN NULL ELSE pg_catalog.round(((f.n * 29) % 100) / 100.0, 2) END,
               pg_catalog.jsonb_build_object('cancellation_mentioned', f.n % 5 = 0, 'competitor_mentioned', f.n % 6 = 0),
               (ARRAY['{pricing,onboarding}', '{slow_support}', '{pricing}', '{}', '{missing_integration,pricing}'])[1 + f.n % 5]::text[],
               r.received_at + interval '5 minutes', 0.80 + (f.n % 20) / 100.0,
               CASE WHEN f.n % 3 = 0 THEN NULL ELSE v_model END,
               CASE WHEN f.n % 3 = 0 THEN 'sentiment-local-1.2' END,
               r.received_at + interval '5 minutes', r.received_at + interval '5 minutes'
        FROM pg_catalog.generate_series(1, 56) AS f (n)
        CROSS JOIN LATERAL (
            SELECT timestamptz '2026-11-02 00:00:00+00' + (f.n - 1) * interval '12 hours'
                   + ((f.n * 37) % 700) * interval '1 minute' AS received_at
        ) AS r
        ON CONFLICT DO NOTHING;

        -- Measurement k (1-3) of customer c follows feedback n = c - 1 + 12k; the latest measurement of a
        -- chain has the lowest id (c * 10 + 4 - k), so the lowest id of the tenant is the end of a chain.
        INSERT INTO venture.customer_sentiment_history (
            organization_id, sentiment_history_id, venture_id, customer_id, measured_at, sentiment_score, trigger_event,
            feedback_id, created_at
        )
        SELECT f.organization_id, (v_tenant.prefix || '-0008-4000-8000-' || pg_catalog.lpad((m.c * 10 + 4 - m.k)::text, 12, '0'))::uuid,
               f.venture_id, f.customer_id, f.received_at + interval '1 hour', f.sentiment_score, 'feedback analysed',
               f.feedback_id, f.received_at + interval '1 hour'
        FROM pg_catalog.generate_series(1, 4) AS cs (c)
        CROSS JOIN LATERAL (SELECT cs.c, k.k FROM pg_catalog.generate_series(1, 3) AS k (k)) AS m
        JOIN venture.feedback_intelligence AS f
            ON f.organization_id = v_tenant.org
           AND f.feedback_id = (v_tenant.prefix || '-0007-4000-8000-' || pg_catalog.lpad((m.c - 1 + 12 * m.k)::text, 12, '0'))::uuid
        WHERE NOT EXISTS (
            SELECT FROM venture.customer_sentiment_history AS h
            WHERE h.organization_id = f.organization_id AND h.customer_id = f.customer_id
              AND h.venture_id = f.venture_id AND h.measured_at = f.received_at + interval '1 hour')
        ORDER BY f.received_at;

        -- Customer 4 asked to be forgotten: a pending request through the governance erasure flow.
        INSERT INTO governance.erasure_requests (
            organization_id, erasure_request_id, subject_type, customer_id, status, reason, requested_at, due_at
        )
        VALUES (v_tenant.org, (v_tenant.prefix || '-0009-4000-8000-000000000001')::uuid, 'customer',
                (v_tenant.prefix || '-0006-4000-8000-000000000004')::uuid, 'pending', 'Customer asked to be forgotten.',
                pg_catalog.date_trunc('day', pg_catalog.now()) - interval '4 days',
                pg_catalog.date_trunc('day', pg_catalog.now()) + interval '26 days')
        ON CONFLICT DO NOTHING;
    END LOOP;
    PERFORM pg_catalog.set_config('app.org_id', '', true);
END
$seed$;
