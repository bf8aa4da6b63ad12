-- Migration: models
-- Creates core.models, the model registry shared by all tenants: provider, name and version
-- unique together, lifecycle status, context window, per-1k-token costs and deployment config.
-- App roles may read it and nothing else; it is maintained by migrations (the owner).

SET LOCAL ROLE app_owner;

-- Why: a platform table (no organization_id): one registry for every tenant.
CREATE TABLE core.models (
    model_id uuid NOT NULL DEFAULT gen_random_uuid(),
    provider text NOT NULL,
    name text NOT NULL,
    version text NOT NULL,
    status text NOT NULL DEFAULT 'active',
    context_window integer NOT NULL,
    input_cost_per_1k numeric(12, 6) NOT NULL,
    output_cost_per_1k numeric(12, 6) NOT NULL,
    deployment jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_models PRIMARY KEY (model_id),
    CONSTRAINT uq_models_provider_name_version UNIQUE (provider, name, version),
    CONSTRAINT ck_models_provider_length CHECK (pg_catalog.char_length(provider) BETWEEN 1 AND 100),
    CONSTRAINT ck_models_name_length CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_models_version_length CHECK (pg_catalog.char_length(version) BETWEEN 1 AND 100),
    CONSTRAINT ck_models_status CHECK (status IN ('active', 'deprecated', 'retired')),
    CONSTRAINT ck_models_context_window_positive CHECK (context_window > 0),
    CONSTRAINT ck_models_input_cost_non_negative CHECK (input_cost_per_1k >= 0),
    CONSTRAINT ck_models_output_cost_non_negative CHECK (output_cost_per_1k >= 0),
    CONSTRAINT ck_models_deployment_object CHECK (pg_catalog.jsonb_typeof(deployment) = 'object'),
    CONSTRAINT ck_models_updated_after_created CHECK (updated_at >= created_at)
);
-- Platform table: RLS on (app roles read through a policy); the owner maintains it.
ALTER TABLE core.models ENABLE ROW LEVEL SECURITY;

COMMENT ON TABLE core.models IS 'Model registry shared by all tenants; read-only to app roles.';
COMMENT ON COLUMN core.models.model_id IS 'Surrogate key.';
COMMENT ON COLUMN core.models.provider IS 'Provider, e.g. openai, anthropic, self-hosted.';
COMMENT ON COLUMN core.models.name IS 'Model name at the provider.';
COMMENT ON COLUMN core.models.version IS 'Model version; (provider, name, version) is unique.';
COMMENT ON COLUMN core.models.status IS 'active, deprecated (still served) or retired (not served).';
COMMENT ON COLUMN core.models.context_window IS 'Context window in tokens (> 0).';
COMMENT ON COLUMN core.models.input_cost_per_1k IS 'Cost per 1000 input tokens in USD (>= 0).';
COMMENT ON COLUMN core.models.output_cost_per_1k IS 'Cost per 1000 output tokens in USD (>= 0).';
COMMENT ON COLUMN core.models.deployment IS 'Deployment configuration (JSON object): endpoint, region, limits. No secrets.';
COMMENT ON COLUMN core.models.created_at IS 'When the model was registered.';
COMMENT ON COLUMN core.models.updated_at IS 'Last change, maintained by trg_models_updated_at.';

CREATE TRIGGER trg_models_updated_at
    BEFORE UPDATE ON core.models
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table; a price change must be traceable.
CREATE TRIGGER trg_models_audit
    AFTER INSERT OR UPDATE OR DELETE ON core.models
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('core', 'models', 'model_id', 'public'),
    ('core', 'models', 'provider', 'public'),
    ('core', 'models', 'name', 'public'),
    ('core', 'models', 'version', 'public'),
    ('core', 'models', 'status', 'public'),
    ('core', 'models', 'context_window', 'public'),
    ('core', 'models', 'input_cost_per_1k', 'internal'),
    ('core', 'models', 'output_cost_per_1k', 'internal'),
    ('core', 'models', 'deployment', 'confidential'),
    ('core', 'models', 'created_at', 'public'),
    ('core', 'models', 'updated_at', 'public');

RESET ROLE;
