-- Check: the agency delivery data agrees with itself after the unification (phase 3). Rows are
-- violations: an override the marketplace backfill did not reach (activation_status NULL); an override
-- whose app key names a catalog module it is not linked to; an override linked to an installation of
-- another module; a package recorded as delivered for a deployment that did not complete.
-- It reads across tenants: it runs as the runner's login (a superuser or BYPASSRLS role sees every
-- row; the owner's login needs app.all_tenants = 'on' as its role default, see docs/schema.md).
-- dbrun: requires=agency.client_app_overrides,agency.handover_packages
SELECT o.organization_id::text AS organization_id, 'agency.client_app_overrides' AS table_name,
       o.override_id::text AS row_id, 'activation_status not backfilled' AS problem
FROM agency.client_app_overrides AS o
WHERE o.activation_status IS NULL
UNION ALL
SELECT o.organization_id::text, 'agency.client_app_overrides', o.override_id::text,
       'app key names catalog module ' || m.slug || ' but marketplace_module_id is ' || coalesce(o.marketplace_module_id::text, 'NULL')
FROM agency.client_app_overrides AS o
JOIN agency.marketplace_modules AS m ON m.slug = o.app_key
WHERE o.marketplace_module_id IS DISTINCT FROM m.module_id
UNION ALL
SELECT o.organization_id::text, 'agency.client_app_overrides', o.override_id::text,
       'linked to installation ' || i.installation_id::text || ' of another module'
FROM agency.client_app_overrides AS o
JOIN agency.module_installations AS i
  ON i.organization_id = o.organization_id AND i.client_id = o.client_id AND i.installation_id = o.installation_id
WHERE i.module_id IS DISTINCT FROM o.marketplace_module_id
UNION ALL
SELECT p.organization_id::text, 'agency.handover_packages', p.package_id::text,
       'delivered for deployment ' || d.deployment_id::text || ' that is ' || d.status
FROM agency.handover_packages AS p
JOIN agency.client_deployments AS d
  ON d.organization_id = p.organization_id AND d.client_id = p.client_id AND d.deployment_id = p.deployment_id
WHERE p.delivery_status = 'delivered' AND d.status <> 'completed'
ORDER BY 1, 2, 3, 4;
