"""Helpers for the agency delivery tests (issue 17): the seeded identities of seeds/50_agency.sql, a
bad value for every CHECK of the domain, and the direct counts the dashboard views must agree with."""

from __future__ import annotations

import hashlib
import uuid

from tests.helpers.schema import ORG_A, ORG_B

# Users of seeds/20_acme.sql and seeds/30_globex.sql by role.
ADMINS = {ORG_A: "aaaaaaaa-0000-4000-8000-000000000002", ORG_B: "bbbbbbbb-0000-4000-8000-000000000002"}
MEMBER_A = "aaaaaaaa-0000-4000-8000-000000000003"
VIEWER_A = "aaaaaaaa-0000-4000-8000-000000000004"
OWNER_A = "aaaaaaaa-0000-4000-8000-000000000001"
LEAVER_A = "aaaaaaaa-0000-4000-8000-000000000005"
MODULE_SEO = "0e0e0e0e-0000-4000-8000-000000000001"
MODULE_SHOP = "0e0e0e0e-0000-4000-8000-000000000002"


def seed_id(org: str, kind: str, *parts: object) -> str:
    """The id seeds/50_agency.sql gives a row: md5('<org>:<kind>:<parts joined by :>') as a uuid."""
    text = ":".join([org, kind, *map(str, parts)])
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


A = ORG_A


def _update(table: str, key: str, value: str) -> str:
    """An UPDATE template of one seeded acme row: `{}` takes the SET list."""
    return f"UPDATE agency.{table} SET {{}} WHERE organization_id = '{A}' AND {key} = '{value}'"


CLIENT = _update("clients", "client_id", seed_id(A, "client", 1))
OVR = _update("client_app_overrides", "override_id", seed_id(A, "override", 2, "seo-toolkit"))
INS = _update("module_installations", "installation_id", seed_id(A, "installation", 3, 1))
LIC = _update("module_licenses", "license_id", seed_id(A, "license", 3, 1))
SYS = _update("system_configurations", "configuration_id", seed_id(A, "sysconf", 2, "title"))
DCF = _update("deployment_configurations", "configuration_id", seed_id(A, "deployconf", 2, "staging"))
DEP = _update("client_deployments", "deployment_id", seed_id(A, "deployment", 1))
DEP_DONE = _update("client_deployments", "deployment_id", seed_id(A, "deployment", 2))
SUB = _update("client_subscriptions", "client_id", seed_id(A, "client", 3))
WF = _update("orchestration_workflows", "workflow_id", seed_id(A, "workflow", 2))
WF_DONE = _update("orchestration_workflows", "workflow_id", seed_id(A, "workflow", 3))
EXE = _update("workflow_executions", "execution_id", seed_id(A, "execution", 2, 1))
PKG = _update("handover_packages", "package_id", seed_id(A, "package", 1))
EVT = _update("integration_events", "event_id", seed_id(A, "event", 5))
EVT_DONE = _update("integration_events", "event_id", seed_id(A, "event", 1))
EVT_FAILED = _update("integration_events", "event_id", seed_id(A, "event", 3))
MOD = f"UPDATE agency.marketplace_modules SET {{}} WHERE module_id = '{MODULE_SEO}'"
FUTURE = "created_at = '2999-01-01'"

# One bad value per CHECK, violating that CHECK only (tests/schema/test_constraints.py runs them all).
AGENCY_CASES: dict[str, str] = {
    "ck_marketplace_modules_slug_format": MOD.format("slug = 'Bad Slug'"),
    "ck_marketplace_modules_name_length": MOD.format("name = ''"),
    "ck_marketplace_modules_version_length": MOD.format("version = ''"),
    "ck_marketplace_modules_category": MOD.format("category = 'games'"),
    "ck_marketplace_modules_pricing_model": MOD.format("pricing_model = 'barter'"),
    "ck_marketplace_modules_rating_average_range": MOD.format("rating_average = 5.5"),
    "ck_marketplace_modules_install_count_non_negative": MOD.format("install_count = -1"),
    "ck_marketplace_modules_updated_after_created": MOD.format(FUTURE),
    "ck_clients_name_length": CLIENT.format("name = ''"),
    "ck_clients_company_name_length": CLIENT.format("company_name = ''"),
    "ck_clients_status": CLIENT.format("status = 'frozen'"),
    "ck_clients_updated_after_created": CLIENT.format(FUTURE),
    "ck_client_app_overrides_app_key_format": OVR.format("app_key = 'Bad Key'"),
    "ck_client_app_overrides_override_settings_object": OVR.format("override_settings = '[]'"),
    "ck_client_app_overrides_updated_after_created": OVR.format(FUTURE),
    "ck_client_app_overrides_activation_status": OVR.format("activation_status = 'on'"),
    "ck_client_app_overrides_activation_metadata_object": OVR.format("activation_metadata = '[]'"),
    "ck_module_installations_status": INS.format("status = 'broken'"),
    "ck_module_installations_uninstalled_consistent": INS.format("status = 'uninstalled'"),
    "ck_module_installations_uninstalled_after_installed":
        INS.format("status = 'uninstalled', uninstalled_at = installed_at - interval '1 day'"),
    "ck_module_licenses_license_key_hmac_length": LIC.format("license_key_hmac = '\\x00'"),
    "ck_module_licenses_status": LIC.format("status = 'lost'"),
    "ck_module_licenses_expires_after_issued": LIC.format("expires_at = issued_at"),
    "ck_system_configurations_namespace_format": SYS.format("namespace = 'Bad NS'"),
    "ck_system_configurations_config_key_length": SYS.format("config_key = ''"),
    "ck_system_configurations_updated_after_created": SYS.format(FUTURE),
    "ck_deployment_configurations_environment": DCF.format("environment = 'qa'"),
    "ck_deployment_configurations_settings_object": DCF.format("settings = '[]'"),
    "ck_deployment_configurations_updated_after_created": DCF.format(FUTURE),
    "ck_client_deployments_environment": DEP.format("environment = 'qa'"),
    "ck_client_deployments_status": DEP.format("status = 'lost', started_at = created_at"),
    "ck_client_deployments_completed_consistent": DEP.format("status = 'completed', started_at = created_at"),
    "ck_client_deployments_started_consistent": DEP.format("status = 'in_progress'"),
    "ck_client_deployments_completed_after_started": DEP_DONE.format("completed_at = started_at - interval '1 minute'"),
    "ck_client_subscriptions_subscription_tier": SUB.format("subscription_tier = 'gold'"),
    "ck_client_subscriptions_subscription_status": SUB.format("subscription_status = 'frozen'"),
    "ck_client_subscriptions_monthly_fee_non_negative": SUB.format("monthly_fee = -1"),
    "ck_client_subscriptions_currency_format": SUB.format("currency = 'usd'"),
    "ck_client_subscriptions_payment_method_ref_format": SUB.format("payment_method_ref = '4111111111111111'"),
    "ck_client_subscriptions_updated_after_created": SUB.format(FUTURE),
    "ck_orchestration_workflows_workflow_name_length": WF.format("workflow_name = ''"),
    "ck_orchestration_workflows_workflow_type": WF.format("workflow_type = 'party'"),
    "ck_orchestration_workflows_workflow_definition_object": WF.format("workflow_definition = '[]'"),
    "ck_orchestration_workflows_current_step_length": WF.format("current_step = ''"),
    "ck_orchestration_workflows_status": WF.format("status = 'paused'"),
    "ck_orchestration_workflows_steps_completed_array": WF.format("steps_completed = '{}'"),
    "ck_orchestration_workflows_steps_failed_array": WF.format("steps_failed = '{}'"),
    "ck_orchestration_workflows_metadata_object": WF.format("metadata = '[]'"),
    "ck_orchestration_workflows_started_consistent": WF.format("started_at = NULL"),
    "ck_orchestration_workflows_completed_consistent": WF.format("status = 'completed'"),
    "ck_orchestration_workflows_completed_after_started": WF_DONE.format("completed_at = started_at - interval '1 day'"),
    "ck_orchestration_workflows_updated_after_created": WF.format(FUTURE),
    "ck_workflow_executions_step_name_length": EXE.format("step_name = ''"),
    "ck_workflow_executions_step_type_length": EXE.format("step_type = ''"),
    "ck_workflow_executions_execution_order_positive": EXE.format("execution_order = 0"),
    "ck_workflow_executions_status": EXE.format("status = 'lost'"),
    "ck_workflow_executions_input_data_object": EXE.format("input_data = '[]'"),
    "ck_workflow_executions_output_data_object": EXE.format("output_data = '[]'"),
    "ck_workflow_executions_error_data_object": EXE.format("error_data = '[]'"),
    "ck_workflow_executions_execution_time_ms_non_negative": EXE.format("execution_time_ms = -1"),
    "ck_workflow_executions_retry_count_range": EXE.format("retry_count = max_retries + 1"),
    "ck_workflow_executions_completed_after_started": EXE.format("completed_at = started_at - interval '1 second'"),
    "ck_handover_packages_package_name_length": PKG.format("package_name = ''"),
    "ck_handover_packages_package_type": PKG.format("package_type = 'zip'"),
    "ck_handover_packages_module_configurations_object": PKG.format("module_configurations = '[]'"),
    "ck_handover_packages_sop_documents_array": PKG.format("sop_documents = '{}'"),
    "ck_handover_packages_tutorial_videos_array": PKG.format("tutorial_videos = '{}'"),
    "ck_handover_packages_admin_credentials_ref_format": PKG.format("admin_credentials_ref = 'admin:hunter2'"),
    "ck_handover_packages_delivery_status": PKG.format("delivery_status = 'lost'"),
    "ck_handover_packages_delivery_method": PKG.format("delivery_method = 'pigeon'"),
    "ck_handover_packages_delivered_consistent": PKG.format("delivery_status = 'delivered'"),
    "ck_handover_packages_delivery_confirmation_object": PKG.format("delivery_confirmation = '[]'"),
    "ck_handover_packages_package_metadata_object": PKG.format("package_metadata = '[]'"),
    "ck_handover_packages_updated_after_created": PKG.format(FUTURE),
    "ck_integration_events_event_type_format": EVT.format("event_type = 'Bad'"),
    "ck_integration_events_event_source": EVT.format("event_source = 'email'"),
    "ck_integration_events_event_target_length": EVT.format("event_target = ''"),
    "ck_integration_events_event_payload_object": EVT.format("event_payload = '[]'"),
    "ck_integration_events_event_metadata_object": EVT.format("event_metadata = '[]'"),
    "ck_integration_events_processing_status": EVT.format("processing_status = 'lost'"),
    "ck_integration_events_processed_at_consistent": EVT.format("processing_status = 'completed'"),
    "ck_integration_events_processed_after_created": EVT_DONE.format("processed_at = created_at - interval '1 second'"),
    "ck_integration_events_error_consistent": EVT.format("processing_status = 'failed', processed_at = created_at"),
    "ck_integration_events_processing_error_length": EVT_FAILED.format("processing_error = repeat('x', 2001)"),
    "ck_integration_events_claim_consistent": EVT.format("processing_status = 'processing'"),
    "ck_integration_events_claimed_by_length": EVT.format("claimed_by = ''"),
    "ck_integration_events_attempts_non_negative": EVT.format("attempts = -1"),
}

# Direct counts per client, each from its own table: what unified_client_dashboard must show.
DIRECT_CLIENT_COUNTS = """
    SELECT c.client_id::text,
           (SELECT count(*) FROM agency.module_installations i
            WHERE i.organization_id = c.organization_id AND i.client_id = c.client_id AND i.status = 'active'),
           (SELECT count(*) FROM agency.client_app_overrides o
            WHERE o.organization_id = c.organization_id AND o.client_id = c.client_id),
           (SELECT count(*) FROM agency.system_configurations s
            WHERE s.organization_id = c.organization_id AND s.client_id = c.client_id),
           (SELECT count(*) FROM agency.deployment_configurations d
            WHERE d.organization_id = c.organization_id AND d.client_id = c.client_id)
    FROM agency.clients c ORDER BY 1"""
VIEW_CLIENT_COUNTS = """
    SELECT client_id::text, active_modules, configured_apps, system_configurations, deployment_configurations
    FROM agency.unified_client_dashboard ORDER BY 1"""

# The last phase-0 migration, the phase-1 migrations (zero-downtime extension), and the backfills.
PHASE0_LAST = "202611291509"
PHASE1 = ["202611291520", "202611291521", "202611291522", "202611291523", "202611291524", "202611291525",
          "202611291526", "202611291527", "202611291528", "202611291529"]
BACKFILL_OVERRIDES = "202611291530"
LAST_BACKFILL = "202611291534"
VALIDATE = "202611291540"


def populate_phase0_sql(clients_per_agency: int) -> str:
    """Data in the tables as they were before the unification (phase 0), for both seeded agencies:
    clients in every status, two installations and three overrides per client (two name catalog
    modules, one does not), and one production deployment per client (completed for active clients)."""
    n = clients_per_agency
    return f"""
    INSERT INTO agency.marketplace_modules (module_id, slug, name, version, category)
    VALUES ('{MODULE_SEO}', 'seo-toolkit', 'SEO Toolkit', '1.0', 'analytics'),
           ('{MODULE_SHOP}', 'shop-cart', 'Shop Cart', '1.0', 'commerce');
    INSERT INTO agency.clients (organization_id, client_id, name, status, created_by, assigned_manager_id, created_at)
    SELECT o.org, md5(o.org || ':pc:' || g)::uuid, 'Client ' || g,
           (ARRAY['lead', 'onboarding', 'active', 'paused', 'churned'])[1 + g % 5], o.admin,
           CASE WHEN g % 2 = 0 THEN o.member END, '2026-03-01'
    FROM (VALUES ('{ORG_A}'::uuid, '{ADMINS[ORG_A]}'::uuid, '{MEMBER_A}'::uuid),
                 ('{ORG_B}'::uuid, '{ADMINS[ORG_B]}'::uuid, 'bbbbbbbb-0000-4000-8000-000000000003'::uuid)
         ) AS o (org, admin, member)
    CROSS JOIN generate_series(1, {n}) AS g;
    INSERT INTO agency.module_installations
        (organization_id, installation_id, client_id, module_id, status, installed_at)
    SELECT c.organization_id, md5(c.client_id || ':pi:' || m.k)::uuid, c.client_id, m.module_id,
           CASE WHEN m.k = 1 THEN 'active' ELSE 'installing' END, '2026-04-01'
    FROM agency.clients AS c CROSS JOIN (VALUES (1, '{MODULE_SEO}'::uuid), (2, '{MODULE_SHOP}'::uuid)) AS m (k, module_id);
    INSERT INTO agency.client_app_overrides (organization_id, client_id, app_key, enabled)
    SELECT c.organization_id, c.client_id, a.k, a.k <> 'shop-cart'
    FROM agency.clients AS c CROSS JOIN (VALUES ('seo-toolkit'), ('shop-cart'), ('legacy-widget')) AS a (k);
    INSERT INTO agency.client_deployments
        (organization_id, client_id, environment, status, started_at, completed_at, created_at)
    SELECT c.organization_id, c.client_id, 'production', CASE WHEN c.status = 'active' THEN 'completed' ELSE 'pending' END,
           CASE WHEN c.status = 'active' THEN timestamptz '2026-06-01 10:00' END,
           CASE WHEN c.status = 'active' THEN timestamptz '2026-06-01 11:00' END, '2026-06-01'
    FROM agency.clients AS c;
    ANALYZE agency.clients, agency.client_app_overrides, agency.module_installations, agency.client_deployments;
    """
