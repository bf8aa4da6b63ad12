-- View: agency.unified_client_dashboard, agency.module_integration_view
-- The seed's two cross-system views, corrected. Both are security_invoker: the caller's privileges
-- and RLS apply (tenant and manager scope included), so each shows only what the caller may see.
-- The seed joined every one-to-many table at once and grouped, which multiplies counts (3
-- installations x 4 configurations counted 12 of each); here every count is its own LATERAL
-- aggregate over one table, and "the current workflow / open package" is one row (the newest) from a
-- LATERAL LIMIT 1 instead of one output row per match. No license key (nor its HMAC), payment
-- reference or credentials reference is exposed.

SET LOCAL ROLE app_owner;

-- Why: one row per client with its delivery status; counts computed per table (no fan-out).
CREATE OR REPLACE VIEW agency.unified_client_dashboard WITH (security_invoker = true) AS
SELECT
    c.organization_id,
    c.client_id,
    c.name AS client_name,
    c.company_name,
    c.status AS client_status,
    c.assigned_manager_id,
    mods.active_modules,
    apps.configured_apps,
    wf.workflow_name AS current_workflow,
    wf.status AS workflow_status,
    wf.current_step,
    hp.package_name AS handover_package,
    hp.delivery_status,
    sc.system_configurations,
    dc.deployment_configurations,
    cb.subscription_tier,
    cb.subscription_status,
    c.created_at,
    c.updated_at
FROM agency.clients AS c
CROSS JOIN LATERAL (
    SELECT pg_catalog.count(*) AS active_modules FROM agency.module_installations AS mi
    WHERE mi.organization_id = c.organization_id AND mi.client_id = c.client_id AND mi.status = 'active'
) AS mods
CROSS JOIN LATERAL (
    SELECT pg_catalog.count(*) AS configured_apps FROM agency.client_app_overrides AS cao
    WHERE cao.organization_id = c.organization_id AND cao.client_id = c.client_id
) AS apps
CROSS JOIN LATERAL (
    SELECT pg_catalog.count(*) AS system_configurations FROM agency.system_configurations AS s
    WHERE s.organization_id = c.organization_id AND s.client_id = c.client_id
) AS sc
CROSS JOIN LATERAL (
    SELECT pg_catalog.count(*) AS deployment_configurations FROM agency.deployment_configurations AS d
    WHERE d.organization_id = c.organization_id AND d.client_id = c.client_id
) AS dc
LEFT JOIN LATERAL (
    SELECT ow.workflow_name, ow.status, ow.current_step FROM agency.orchestration_workflows AS ow
    WHERE ow.organization_id = c.organization_id AND ow.client_id = c.client_id
      AND ow.status IN ('pending', 'in_progress')
    ORDER BY ow.created_at DESC, ow.workflow_id
    LIMIT 1
) AS wf ON true
LEFT JOIN LATERAL (
    SELECT p.package_name, p.delivery_status FROM agency.handover_packages AS p
    WHERE p.organization_id = c.organization_id AND p.client_id = c.client_id AND p.delivery_status <> 'delivered'
    ORDER BY p.created_at DESC, p.package_id
    LIMIT 1
) AS hp ON true
LEFT JOIN agency.client_subscriptions AS cb ON cb.organization_id = c.organization_id AND cb.client_id = c.client_id;

COMMENT ON VIEW agency.unified_client_dashboard IS
    'One row per client the caller may see: module, app, configuration counts (each counted on its own), the newest '
    'open workflow and undelivered package, and the subscription. security_invoker: the caller''s RLS applies.';

-- Why: one row per installation (and one per catalog module with none visible); overrides counted,
-- the license summarised, never its key.
CREATE OR REPLACE VIEW agency.module_integration_view WITH (security_invoker = true) AS
SELECT
    mm.module_id,
    mm.slug AS module_slug,
    mm.name AS module_name,
    mm.version,
    mm.category,
    mi.organization_id,
    mi.installation_id,
    mi.client_id,
    mi.status AS installation_status,
    ov.override_count,
    ov.enabled_override_count,
    mm.rating_average,
    mm.install_count,
    mm.pricing_model,
    lic.license_status,
    lic.license_expires_at,
    mi.installed_at,
    mm.updated_at AS module_updated_at
FROM agency.marketplace_modules AS mm
LEFT JOIN agency.module_installations AS mi ON mi.module_id = mm.module_id
LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*) AS override_count,
           pg_catalog.count(*) FILTER (WHERE cao.enabled) AS enabled_override_count
    FROM agency.client_app_overrides AS cao
    WHERE cao.organization_id = mi.organization_id AND cao.client_id = mi.client_id
      AND cao.installation_id = mi.installation_id
) AS ov ON mi.installation_id IS NOT NULL
LEFT JOIN LATERAL (
    SELECT ml.status AS license_status, ml.expires_at AS license_expires_at FROM agency.module_licenses AS ml
    WHERE ml.organization_id = mi.organization_id AND ml.client_id = mi.client_id AND ml.module_id = mm.module_id
) AS lic ON mi.installation_id IS NOT NULL;

COMMENT ON VIEW agency.module_integration_view IS
    'Catalog modules with each visible installation: its overrides counted, its license status and expiry (never the '
    'key). security_invoker: the caller''s RLS applies.';

-- Why: granted by the owner, as the other view files do (on Citus the views are distributed objects:
-- a grant as another role in the same transaction deadlocks with the owner's connections to the workers).
GRANT SELECT ON agency.unified_client_dashboard, agency.module_integration_view TO app_rw, app_ro;

RESET ROLE;
