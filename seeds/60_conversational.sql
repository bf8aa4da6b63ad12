-- Seed: the conversational platform for acme and globex (development)
-- Deterministic and idempotent: fixed ids (far above the identity sequences' early values), fixed
-- timestamps, ON CONFLICT DO NOTHING. Each tenant has one business (its workspace), an owner and an
-- agent, an integration whose credentials are a secret-store reference and one an encrypted envelope,
-- conversations with messages, memory, leads, an FAQ entry, events, an ad asset, a subscription and a
-- payment. Rows are written with the tenant set, as a service writes them (FORCE RLS).

SELECT pg_catalog.set_config('app.org_id', '11111111-1111-4111-8111-111111111111', true);

-- Why: on Citus each user's email is claimed by its tenant first (conversational.user_emails, which
-- only a Citus target has: docs/scale-out.md, "Global keys"); on plain PostgreSQL the table does
-- not exist and this does nothing.
DO $claims$
BEGIN
    IF pg_catalog.to_regclass('conversational.user_emails') IS NOT NULL THEN
        EXECUTE $sql$
            INSERT INTO conversational.user_emails (email, organization_id, claimed_at)
            VALUES
                ('owner@acme.example', '11111111-1111-4111-8111-111111111111', '2026-11-01 10:00:00+00'),
                ('agent@acme.example', '11111111-1111-4111-8111-111111111111', '2026-11-01 10:00:00+00')
            ON CONFLICT DO NOTHING
        $sql$;
    END IF;
END
$claims$;

INSERT INTO conversational.users (id, organization_id, email, hashed_password, full_name, role, created_at, updated_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 'owner@acme.example', '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', 'Acme Owner', 'admin', '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00'),
       (1002, '11111111-1111-4111-8111-111111111111', 'agent@acme.example', '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', 'Acme Agent', 'agent', '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.businesses (id, organization_id, name, owner_id, settings, created_at, updated_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 'Acme Support', 1001, '{"language": "en"}', '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
UPDATE conversational.users SET business_id = 1001 WHERE id IN (1001, 1002) AND business_id IS NULL;
INSERT INTO conversational.channel_integrations (id, organization_id, business_id, channel, channel_name, credentials, webhook_url, created_at, updated_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 1001, 'telegram', 'Acme bot', 'secretref:vault://conversational/acme/telegram', 'https://hooks.acme.example/telegram', '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00'),
       (1002, '11111111-1111-4111-8111-111111111111', 1001, 'web', 'Acme web chat', 'enc:v1:c2VlZC1lbnZlbG9wZS1ub3QtYS1zZWNyZXQ=', NULL, '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.conversations (id, organization_id, business_id, user_id, channel, user_message, bot_reply, intent, session_id, model_id, model_name, tokens_used, created_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 1001, 'end-user-1001', 'telegram', 'What are your opening hours?', 'We are open 9 to 5.', 'hours', 's-1001', '0d0d0d0d-0000-4000-8000-000000000001', 'gpt-dev', 42, '2026-11-01 10:00:00+00'),
       (1002, '11111111-1111-4111-8111-111111111111', 1001, 'end-user-1002', 'web', 'I want a quote.', 'Could you leave your email?', 'quote', 's-1002', NULL, NULL, NULL, '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.messages (id, organization_id, conversation_id, user_id, channel, message_text, is_from_user, intent, message_type, session_id, created_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 1001, 'end-user-1001', 'telegram', 'What are your opening hours?', true, 'hours', 'text', 's-1001', '2026-11-01 10:00:00+00'),
       (1002, '11111111-1111-4111-8111-111111111111', 1001, 'end-user-1001', 'telegram', 'We are open 9 to 5.', false, NULL, 'text', 's-1001', '2026-11-01 10:00:00+00'),
       (1003, '11111111-1111-4111-8111-111111111111', 1002, 'end-user-1002', 'web', 'I want a quote.', true, 'quote', 'text', 's-1002', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.conversation_memory (id, organization_id, business_id, user_id, channel, last_intent, message_count, context_data, session_id, updated_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 1001, 'end-user-1001', 'telegram', 'hours', 2, '{"name_known": false}', 's-1001', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.leads (id, organization_id, business_id, user_id, channel, name, email, phone, status, source_intent, extra_data, created_at, updated_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 1001, 'end-user-1002', 'web', 'Dana Prospect', 'dana@prospect.example', '+15550100', 'new', 'quote', '{"company": "Prospect Ltd"}', '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.knowledge_entries (id, organization_id, business_id, question, answer, keywords, intent, created_at, updated_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 1001, 'What are your opening hours?', 'We are open 9 to 5, Monday to Friday.', '["hours", "open"]', 'hours', '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.analytics_events (id, organization_id, business_id, event_type, event_data, channel, user_id, event_category, event_value, created_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 1001, 'lead_captured', '{"lead_id": 1001}', 'web', 'end-user-1002', 'leads', 1, '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.ad_assets (id, organization_id, business_id, asset_type, title, content, platform, status, file_url, file_size, created_at, updated_at)
VALUES (1001, '11111111-1111-4111-8111-111111111111', 1001, 'video', 'Spring campaign', 'Script: ...', 'youtube', 'draft', 'https://cdn.acme.example/spring.mp4', 1048576, '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.subscriptions (organization_id, subscription_id, business_id, plan, status, billing_cycle, amount, currency, current_period_start, current_period_end, created_at, updated_at)
VALUES ('11111111-1111-4111-8111-111111111111', 1001, 1001, 'pro', 'active', 'monthly', 49.00, 'USD', '2026-11-01 00:00:00+00', '2026-12-01 00:00:00+00', '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.payments (organization_id, payment_id, subscription_id, amount, currency, status, transaction_id, paid_at, created_at, updated_at)
VALUES ('11111111-1111-4111-8111-111111111111', 1001, 1001, 49.00, 'USD', 'succeeded', 'txn_acme_1001', '2026-11-01 00:05:00+00', '2026-11-01 10:00:00+00', '2026-11-01 10:00:00+00')
ON CONFLICT DO NOTHING;

SELECT pg_catalog.set_config('app.org_id', '22222222-2222-4222-8222-222222222222', true);

-- Why: on Citus each user's email is claimed by its tenant first (conversational.user_emails, which
-- only a Citus target has: docs/scale-out.md, "Global keys"); on plain PostgreSQL the table does
-- not exist and this does nothing.
DO $claims$
BEGIN
    IF pg_catalog.to_regclass('conversational.user_emails') IS NOT NULL THEN
        EXECUTE $sql$
            INSERT INTO conversational.user_emails (email, organization_id, claimed_at)
            VALUES
                ('owner@globex.example', '22222222-2222-4222-8222-222222222222', '2026-11-02 10:00:00+00'),
                ('agent@globex.example', '22222222-2222-4222-8222-222222222222', '2026-11-02 10:00:00+00')
            ON CONFLICT DO NOTHING
        $sql$;
    END IF;
END
$claims$;

INSERT INTO conversational.users (id, organization_id, email, hashed_password, full_name, role, created_at, updated_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 'owner@globex.example', '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', 'Globex Owner', 'admin', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00'),
       (2002, '22222222-2222-4222-8222-222222222222', 'agent@globex.example', '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', 'Globex Agent', 'agent', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.businesses (id, organization_id, name, owner_id, settings, created_at, updated_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 'Globex Support', 2001, '{"language": "en"}', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
UPDATE conversational.users SET business_id = 2001 WHERE id IN (2001, 2002) AND business_id IS NULL;
INSERT INTO conversational.channel_integrations (id, organization_id, business_id, channel, channel_name, credentials, webhook_url, created_at, updated_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 2001, 'whatsapp', 'Globex bot', 'secretref:vault://conversational/globex/whatsapp', 'https://hooks.globex.example/whatsapp', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00'),
       (2002, '22222222-2222-4222-8222-222222222222', 2001, 'web', 'Globex web chat', 'enc:v1:c2VlZC1lbnZlbG9wZS1ub3QtYS1zZWNyZXQ=', NULL, '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.conversations (id, organization_id, business_id, user_id, channel, user_message, bot_reply, intent, session_id, model_id, model_name, tokens_used, created_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 2001, 'end-user-2001', 'whatsapp', 'What are your opening hours?', 'We are open 9 to 5.', 'hours', 's-2001', '0d0d0d0d-0000-4000-8000-000000000001', 'gpt-dev', 42, '2026-11-02 10:00:00+00'),
       (2002, '22222222-2222-4222-8222-222222222222', 2001, 'end-user-2002', 'web', 'I want a quote.', 'Could you leave your email?', 'quote', 's-2002', NULL, NULL, NULL, '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.messages (id, organization_id, conversation_id, user_id, channel, message_text, is_from_user, intent, message_type, session_id, created_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 2001, 'end-user-2001', 'whatsapp', 'What are your opening hours?', true, 'hours', 'text', 's-2001', '2026-11-02 10:00:00+00'),
       (2002, '22222222-2222-4222-8222-222222222222', 2001, 'end-user-2001', 'whatsapp', 'We are open 9 to 5.', false, NULL, 'text', 's-2001', '2026-11-02 10:00:00+00'),
       (2003, '22222222-2222-4222-8222-222222222222', 2002, 'end-user-2002', 'web', 'I want a quote.', true, 'quote', 'text', 's-2002', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.conversation_memory (id, organization_id, business_id, user_id, channel, last_intent, message_count, context_data, session_id, updated_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 2001, 'end-user-2001', 'whatsapp', 'hours', 2, '{"name_known": false}', 's-2001', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.leads (id, organization_id, business_id, user_id, channel, name, email, phone, status, source_intent, extra_data, created_at, updated_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 2001, 'end-user-2002', 'web', 'Dana Prospect', 'dana@prospect.example', '+15550100', 'new', 'quote', '{"company": "Prospect Ltd"}', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.knowledge_entries (id, organization_id, business_id, question, answer, keywords, intent, created_at, updated_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 2001, 'What are your opening hours?', 'We are open 9 to 5, Monday to Friday.', '["hours", "open"]', 'hours', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.analytics_events (id, organization_id, business_id, event_type, event_data, channel, user_id, event_category, event_value, created_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 2001, 'lead_captured', '{"lead_id": 2001}', 'web', 'end-user-2002', 'leads', 1, '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.ad_assets (id, organization_id, business_id, asset_type, title, content, platform, status, file_url, file_size, created_at, updated_at)
VALUES (2001, '22222222-2222-4222-8222-222222222222', 2001, 'video', 'Spring campaign', 'Script: ...', 'youtube', 'draft', 'https://cdn.globex.example/spring.mp4', 1048576, '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.subscriptions (organization_id, subscription_id, business_id, plan, status, billing_cycle, amount, currency, current_period_start, current_period_end, created_at, updated_at)
VALUES ('22222222-2222-4222-8222-222222222222', 2001, 2001, 'pro', 'active', 'monthly', 49.00, 'USD', '2026-11-01 00:00:00+00', '2026-12-01 00:00:00+00', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;
INSERT INTO conversational.payments (organization_id, payment_id, subscription_id, amount, currency, status, transaction_id, paid_at, created_at, updated_at)
VALUES ('22222222-2222-4222-8222-222222222222', 2001, 2001, 49.00, 'USD', 'succeeded', 'txn_globex_2001', '2026-11-01 00:05:00+00', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00+00')
ON CONFLICT DO NOTHING;

-- Why: a pending erasure request for acme's lead (subject kind 'lead' of governance.erasure_requests).
-- Dated relative to the day the seeds load, so a development database never starts with an overdue request.
SELECT pg_catalog.set_config('app.org_id', '11111111-1111-4111-8111-111111111111', true);
INSERT INTO governance.erasure_requests (organization_id, erasure_request_id, subject_type, lead_id, status, reason, requested_at, due_at)
VALUES ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-0000000000e2', 'lead', 1001, 'pending',
        'The prospect asked to be forgotten.',
        pg_catalog.date_trunc('day', pg_catalog.now()) - interval '8 days',
        pg_catalog.date_trunc('day', pg_catalog.now()) + interval '22 days')
ON CONFLICT DO NOTHING;

SELECT pg_catalog.set_config('app.org_id', '', true);
