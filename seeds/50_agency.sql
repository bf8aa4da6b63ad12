-- Seed: agency delivery (both development agencies: acme and globex)
-- Deterministic and idempotent: every id is md5(<organization>:<kind>:<n>) as a uuid, timestamps are
-- fixed, every insert is ON CONFLICT DO NOTHING and the marketplace references are filled only where
-- still NULL, so a second run writes nothing. Each agency gets five clients, one in every status,
-- managed so that the visibility rules show: the member manages clients 1 and 2 and created client 4;
-- the viewer manages client 3; client 5 has no manager (admins only). Installations, licenses,
-- deployments, workflows, executions, handover packages and integration events cover every status.
-- Each statement lists the two agencies (organization, admin, member, viewer of seeds/20 and 30).
-- The partitions of the event months: seeds/45_agency_partitions.sql.

-- Why: the platform catalog (no tenant).
INSERT INTO agency.marketplace_modules (module_id, slug, name, version, category, pricing_model, rating_average, install_count,
                                        created_at, updated_at)
VALUES
    ('0e0e0e0e-0000-4000-8000-000000000001', 'seo-toolkit', 'SEO Toolkit', '2.1.0', 'analytics', 'subscription', 4.60, 1200,
     '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00'),
    ('0e0e0e0e-0000-4000-8000-000000000002', 'shop-cart', 'Shop Cart', '5.0.3', 'commerce', 'usage', 4.20, 800,
     '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00'),
    ('0e0e0e0e-0000-4000-8000-000000000003', 'live-chat', 'Live Chat', '1.4.2', 'communication', 'free', NULL, 30,
     '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00'),
    ('0e0e0e0e-0000-4000-8000-000000000004', 'backup-guard', 'Backup Guard', '3.0.0', 'security', 'one_time', 3.90, 150,
     '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00')
ON CONFLICT DO NOTHING;


-- Why: one client in every status; managers chosen to exercise manager-level visibility.
INSERT INTO agency.clients (organization_id, client_id, name, company_name, status, created_by, assigned_manager_id,
                            created_at, updated_at)
SELECT a.org, pg_catalog.md5(a.org || ':client:' || v.n)::uuid, v.name, v.company, v.status,
       CASE WHEN v.n = 4 THEN a.member_id ELSE a.admin_id END,
       CASE v.n WHEN 1 THEN a.member_id WHEN 2 THEN a.member_id WHEN 3 THEN a.viewer_id WHEN 4 THEN a.admin_id END,
       '2026-03-01 00:00:00+00'::timestamptz + v.n * interval '1 day', '2026-09-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (1, 'Northwind Lead', NULL, 'lead'), (2, 'Blue Bakery', 'Blue Bakery Ltd', 'onboarding'),
                   (3, 'Rocket Shoes', 'Rocket Shoes GmbH', 'active'), (4, 'Quiet Hotel', 'Quiet Hotels SA', 'paused'),
                   (5, 'Old Garage', 'Old Garage LLC', 'churned')) AS v (n, name, company, status)
ON CONFLICT DO NOTHING;

-- Why: installations in every status (client n, catalog module m).
INSERT INTO agency.module_installations (organization_id, installation_id, client_id, module_id, status, installed_at,
                                         uninstalled_at, updated_at)
SELECT a.org, pg_catalog.md5(a.org || ':installation:' || v.n || ':' || v.m)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       ('0e0e0e0e-0000-4000-8000-00000000000' || v.m)::uuid, v.status, v.installed_at::timestamptz,
       v.uninstalled_at::timestamptz, '2026-09-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (2, 1, 'installing', '2026-08-01 00:00:00+00', NULL),
                   (3, 1, 'active', '2026-04-01 00:00:00+00', NULL),
                   (3, 2, 'active', '2026-04-02 00:00:00+00', NULL),
                   (3, 3, 'active', '2026-04-03 00:00:00+00', NULL),
                   (4, 3, 'suspended', '2026-05-01 00:00:00+00', NULL),
                   (5, 4, 'uninstalled', '2026-03-10 00:00:00+00', '2026-06-30 00:00:00+00')) AS v (n, m, status, installed_at, uninstalled_at)
ON CONFLICT DO NOTHING;

INSERT INTO agency.client_app_overrides (organization_id, override_id, client_id, app_key, enabled, override_settings,
                                         created_at, updated_at)
SELECT a.org, pg_catalog.md5(a.org || ':override:' || v.n || ':' || v.app_key)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       v.app_key, v.enabled, v.settings::jsonb, '2026-04-01 00:00:00+00', '2026-04-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (1, 'legacy-analytics', true, '{"tracking_id": "UA-1"}'),
                   (2, 'seo-toolkit', true, '{"sitemap": true}'),
                   (3, 'seo-toolkit', true, '{"sitemap": true, "robots": "index"}'),
                   (3, 'shop-cart', true, '{"currency": "EUR"}'),
                   (3, 'custom-theme', true, '{"palette": "dark"}'),
                   (4, 'live-chat', false, '{}')) AS v (n, app_key, enabled, settings)
ON CONFLICT DO NOTHING;

-- Why: the marketplace references, exactly as the phase-2 backfill (202611291530) computes them (the
-- self-join by primary key, not ctid: Citus joins distributed tables on their tenant column only).
UPDATE agency.client_app_overrides AS o
SET marketplace_module_id = m.module_id,
    installation_id = i.installation_id,
    activation_status = CASE WHEN NOT o.enabled THEN 'disabled' WHEN i.status = 'active' THEN 'active' ELSE 'pending' END,
    activation_metadata = '{"seed": true}'
FROM agency.client_app_overrides AS t
LEFT JOIN agency.marketplace_modules AS m ON m.slug = t.app_key
LEFT JOIN LATERAL (
    SELECT x.installation_id, x.status FROM agency.module_installations AS x
    WHERE x.organization_id = t.organization_id AND x.client_id = t.client_id AND x.module_id = m.module_id
      AND x.status <> 'uninstalled'
    ORDER BY x.installed_at DESC, x.installation_id
    LIMIT 1
) AS i ON true
WHERE o.organization_id = t.organization_id AND o.override_id = t.override_id AND t.activation_status IS NULL;

-- Why: licenses in every status; the key is stored as an HMAC only.
INSERT INTO agency.module_licenses (organization_id, license_id, client_id, module_id, license_key_hmac, status, issued_at,
                                    expires_at, updated_at)
SELECT a.org, pg_catalog.md5(a.org || ':license:' || v.n || ':' || v.m)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       ('0e0e0e0e-0000-4000-8000-00000000000' || v.m)::uuid,
       pg_catalog.sha256(pg_catalog.convert_to(a.org || ':license-key:' || v.n || ':' || v.m, 'UTF8')), v.status,
       '2026-04-01 00:00:00+00', v.expires_at::timestamptz, '2026-04-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (3, 1, 'active', '2027-04-01 00:00:00+00'), (3, 2, 'expired', '2026-10-01 00:00:00+00'),
                   (4, 3, 'revoked', NULL)) AS v (n, m, status, expires_at)
ON CONFLICT DO NOTHING;

INSERT INTO agency.system_configurations (organization_id, configuration_id, client_id, namespace, config_key, config_value,
                                          created_at, updated_at)
SELECT a.org, pg_catalog.md5(a.org || ':sysconf:' || v.n || ':' || v.k)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       v.ns, v.k, v.val::jsonb, '2026-04-01 00:00:00+00', '2026-04-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (2, 'seo', 'title', '"Blue Bakery"'), (3, 'seo', 'title', '"Rocket Shoes"'),
                   (3, 'mail.smtp', 'host', '"smtp.example.net"'), (4, 'seo', 'title', '"Quiet Hotel"')) AS v (n, ns, k, val)
ON CONFLICT DO NOTHING;

INSERT INTO agency.deployment_configurations (organization_id, configuration_id, client_id, environment, settings,
                                              created_at, updated_at)
SELECT a.org, pg_catalog.md5(a.org || ':deployconf:' || v.n || ':' || v.env)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       v.env, v.settings::jsonb, '2026-04-01 00:00:00+00', '2026-04-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (2, 'staging', '{"host": "staging.blue.example"}'), (3, 'staging', '{"host": "staging.rocket.example"}'),
                   (3, 'production', '{"host": "rocket.example"}'), (4, 'production', '{"host": "quiet.example"}')) AS v (n, env, settings)
ON CONFLICT DO NOTHING;

-- Why: deployments in every status.
INSERT INTO agency.client_deployments (organization_id, deployment_id, client_id, environment, status, started_at,
                                       completed_at, created_at)
SELECT a.org, pg_catalog.md5(a.org || ':deployment:' || v.d)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       v.env, v.status, v.started_at::timestamptz, v.completed_at::timestamptz, '2026-06-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (1, 2, 'staging', 'pending', NULL, NULL),
                   (2, 3, 'production', 'completed', '2026-06-02 10:00:00+00', '2026-06-02 10:20:00+00'),
                   (3, 3, 'staging', 'failed', '2026-06-03 10:00:00+00', '2026-06-03 10:05:00+00'),
                   (4, 3, 'staging', 'in_progress', '2026-11-20 09:00:00+00', NULL),
                   (5, 4, 'production', 'rolled_back', '2026-06-05 10:00:00+00', '2026-06-05 11:00:00+00')) AS v (d, n, env, status, started_at, completed_at)
ON CONFLICT DO NOTHING;

INSERT INTO agency.client_subscriptions (organization_id, client_id, subscription_tier, subscription_status, monthly_fee,
                                        currency, payment_method_ref, created_at, updated_at)
SELECT a.org, pg_catalog.md5(a.org || ':client:' || v.n)::uuid, v.tier, v.status, v.fee, 'USD', v.ref,
       '2026-04-01 00:00:00+00', '2026-04-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (2, 'starter', 'trialing', 0.00, NULL), (3, 'growth', 'active', 499.00, 'pm_devRocket0001'),
                   (4, 'growth', 'past_due', 499.00, 'pm_devQuiet00002'), (5, 'starter', 'cancelled', 99.00, NULL)) AS v (n, tier, status, fee, ref)
ON CONFLICT DO NOTHING;

-- Why: workflows in every status and type.
INSERT INTO agency.orchestration_workflows (organization_id, workflow_id, client_id, workflow_name, workflow_type,
                                            workflow_definition, current_step, status, steps_completed, steps_failed,
                                            created_at, updated_at, started_at, completed_at)
SELECT a.org, pg_catalog.md5(a.org || ':workflow:' || v.w)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       v.name, v.type, '{"steps": ["kickoff", "configure_modules", "deploy", "handover"]}', v.step, v.status,
       v.done::jsonb, v.failed::jsonb, '2026-05-01 00:00:00+00', '2026-05-02 00:00:00+00',
       v.started_at::timestamptz, v.completed_at::timestamptz
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (1, 1, 'Client onboarding', 'client_onboarding', NULL, 'pending', '[]', '[]', NULL, NULL),
                   (2, 2, 'Client onboarding', 'client_onboarding', 'configure_modules', 'in_progress', '["kickoff"]', '[]',
                    '2026-05-01 01:00:00+00', NULL),
                   (3, 3, 'Client onboarding', 'client_onboarding', NULL, 'completed',
                    '["kickoff", "configure_modules", "deploy", "handover"]', '[]', '2026-05-01 01:00:00+00', '2026-05-02 00:00:00+00'),
                   (4, 3, 'Staging deployment', 'deployment', 'deploy', 'in_progress', '["kickoff"]', '[]', '2026-05-01 01:00:00+00', NULL),
                   (5, 4, 'Live chat activation', 'module_activation', NULL, 'failed', '[]', '["configure_modules"]',
                    '2026-05-01 01:00:00+00', '2026-05-01 02:00:00+00'),
                   (6, 5, 'Handover', 'handover', NULL, 'cancelled', '[]', '[]', NULL, '2026-05-01 03:00:00+00')
) AS v (w, n, name, type, step, status, done, failed, started_at, completed_at)
ON CONFLICT DO NOTHING;

-- Why: executions in every status, retries included.
INSERT INTO agency.workflow_executions (organization_id, execution_id, client_id, workflow_id, step_name, step_type,
                                        execution_order, status, error_data, execution_time_ms, started_at, completed_at,
                                        retry_count, max_retries, created_at)
SELECT a.org, pg_catalog.md5(a.org || ':execution:' || v.w || ':' || v.ord)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       pg_catalog.md5(a.org || ':workflow:' || v.w)::uuid, v.step, v.type, v.ord, v.status, v.err::jsonb, v.ms,
       v.started_at::timestamptz, v.completed_at::timestamptz, v.retries, 3, '2026-05-01 01:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (2, 2, 'kickoff', 'meeting', 1, 'completed', '{}', 1200, '2026-05-01 01:00:00+00', '2026-05-01 01:00:01.2+00', 0),
                   (2, 2, 'configure_modules', 'module_activation', 2, 'running', '{}', NULL, '2026-05-01 02:00:00+00', NULL, 0),
                   (2, 2, 'deploy', 'deployment', 3, 'pending', '{}', NULL, NULL, NULL, 0),
                   (5, 4, 'configure_modules', 'module_activation', 1, 'failed', '{"error": "module suspended"}', 300,
                    '2026-05-01 01:00:00+00', '2026-05-01 01:00:00.3+00', 3),
                   (5, 4, 'notify', 'notification', 2, 'skipped', '{}', 0, '2026-05-01 01:10:00+00', '2026-05-01 01:10:00+00', 0)
) AS v (w, n, step, type, ord, status, err, ms, started_at, completed_at, retries)
ON CONFLICT DO NOTHING;

-- Why: packages in every delivery status; credentials by reference only.
INSERT INTO agency.handover_packages (organization_id, package_id, client_id, workflow_id, deployment_id, package_name,
                                      package_type, sop_documents, admin_credentials_ref, delivery_status, delivery_method,
                                      delivered_at, created_at, updated_at)
SELECT a.org, pg_catalog.md5(a.org || ':package:' || v.p)::uuid, pg_catalog.md5(a.org || ':client:' || v.n)::uuid,
       CASE WHEN v.w IS NOT NULL THEN pg_catalog.md5(a.org || ':workflow:' || v.w)::uuid END,
       CASE WHEN v.d IS NOT NULL THEN pg_catalog.md5(a.org || ':deployment:' || v.d)::uuid END,
       v.name, v.type, v.docs::jsonb, v.ref, v.status, v.method, v.delivered_at::timestamptz,
       '2026-06-01 00:00:00+00', '2026-06-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (1, 2, 2, NULL, 'Blue Bakery launch kit', 'complete', '[]', NULL, 'pending', NULL, NULL),
                   (2, 2, NULL, NULL, 'Blue Bakery SEO notes', 'partial', '[{"title": "SEO", "url": "https://docs.example/seo"}]',
                    NULL, 'preparing', NULL, NULL),
                   (3, 3, NULL, NULL, 'Rocket Shoes shop update', 'update', '[]', 'vault://agency/rocket/shop-admin',
                    'ready', 'portal', NULL),
                   (4, 3, 3, 2, 'Rocket Shoes production handover', 'complete',
                    '[{"title": "Runbook", "url": "https://docs.example/runbook"}]', 'vault://agency/rocket/admin',
                    'delivered', 'meeting', '2026-06-03 00:00:00+00'),
                   (5, 4, NULL, NULL, 'Quiet Hotel chat handover', 'partial', '[]', NULL, 'delivering', 'email', NULL),
                   (6, 4, NULL, NULL, 'Quiet Hotel first attempt', 'partial', '[]', NULL, 'failed', 'email', NULL)
) AS v (p, n, w, d, name, type, docs, ref, status, method, delivered_at)
ON CONFLICT DO NOTHING;

-- Why: package contents through the junction tables (same client by construction of the keys).
INSERT INTO agency.handover_package_installations (organization_id, client_id, package_id, installation_id, created_at)
SELECT a.org, pg_catalog.md5(a.org || ':client:' || v.n)::uuid, pg_catalog.md5(a.org || ':package:' || v.p)::uuid,
       pg_catalog.md5(a.org || ':installation:' || v.n || ':' || v.m)::uuid, '2026-06-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (1, 2, 1), (3, 3, 2), (4, 3, 1), (4, 3, 2), (5, 4, 3)) AS v (p, n, m)
ON CONFLICT DO NOTHING;

INSERT INTO agency.handover_package_system_configurations (organization_id, client_id, package_id, configuration_id, created_at)
SELECT a.org, pg_catalog.md5(a.org || ':client:' || v.n)::uuid, pg_catalog.md5(a.org || ':package:' || v.p)::uuid,
       pg_catalog.md5(a.org || ':sysconf:' || v.n || ':' || v.k)::uuid, '2026-06-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (1, 2, 'title'), (4, 3, 'title'), (4, 3, 'host')) AS v (p, n, k)
ON CONFLICT DO NOTHING;

INSERT INTO agency.handover_package_deployment_configurations (organization_id, client_id, package_id, configuration_id, created_at)
SELECT a.org, pg_catalog.md5(a.org || ':client:' || v.n)::uuid, pg_catalog.md5(a.org || ':package:' || v.p)::uuid,
       pg_catalog.md5(a.org || ':deployconf:' || v.n || ':' || v.env)::uuid, '2026-06-01 00:00:00+00'
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES (1, 2, 'staging'), (4, 3, 'production'), (5, 4, 'production')) AS v (p, n, env)
ON CONFLICT DO NOTHING;

-- Why: events in every processing status, linked by correlation and causation.
INSERT INTO agency.integration_events (organization_id, created_at, event_id, event_type, event_source, event_target, client_id,
                                       event_payload, processing_status, processing_error, processed_at, claimed_by,
                                       claimed_at, attempts, correlation_id, causation_id)
SELECT a.org, v.at::timestamptz, pg_catalog.md5(a.org || ':event:' || v.e)::uuid, v.type, v.source, v.target,
       pg_catalog.md5(a.org || ':client:' || v.n)::uuid, pg_catalog.jsonb_build_object('seed', v.e), v.status, v.err,
       v.processed_at::timestamptz, v.claimed_by, v.claimed_at::timestamptz, v.attempts,
       pg_catalog.md5(a.org || ':correlation:' || v.n)::uuid,
       CASE WHEN v.cause IS NOT NULL THEN pg_catalog.md5(a.org || ':event:' || v.cause)::uuid END
FROM (VALUES ('11111111-1111-4111-8111-111111111111'::uuid, 'aaaaaaaa-0000-4000-8000-000000000002'::uuid,
         'aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'aaaaaaaa-0000-4000-8000-000000000004'::uuid),
        ('22222222-2222-4222-8222-222222222222'::uuid, 'bbbbbbbb-0000-4000-8000-000000000002'::uuid,
         'bbbbbbbb-0000-4000-8000-000000000003'::uuid, 'bbbbbbbb-0000-4000-8000-000000000004'::uuid)
     ) AS a (org, admin_id, member_id, viewer_id)
CROSS JOIN (VALUES
    (1, 3, '2026-11-20 10:00:00+00', 'deployment.completed', 'orchestration', 'handover', 'completed', NULL,
     '2026-11-20 10:00:05+00', 'processor-1', '2026-11-20 10:00:01+00', 1, NULL),
    (2, 3, '2026-11-20 10:00:06+00', 'handover.package_requested', 'handover', 'modules', 'skipped', NULL,
     '2026-11-20 10:00:09+00', 'processor-1', '2026-11-20 10:00:07+00', 1, 1),
    (3, 4, '2026-11-21 09:00:00+00', 'module.activation_failed', 'modules', 'orchestration', 'failed', 'module suspended',
     '2026-11-21 09:00:02+00', 'processor-2', '2026-11-21 09:00:01+00', 3, NULL),
    (4, 2, '2026-11-22 08:00:00+00', 'module.installed', 'marketplace', 'orchestration', 'processing', NULL,
     NULL, 'processor-2', '2026-11-22 08:00:01+00', 1, NULL),
    (5, 2, '2026-11-22 08:05:00+00', 'workflow.step_started', 'orchestration', NULL, 'pending', NULL,
     NULL, NULL, NULL, 0, 4),
    (6, 3, '2026-11-22 08:06:00+00', 'workflow.step_started', 'orchestration', NULL, 'pending', NULL,
     NULL, NULL, NULL, 0, NULL)
) AS v (e, n, at, type, source, target, status, err, processed_at, claimed_by, claimed_at, attempts, cause)
ON CONFLICT DO NOTHING;
