-- Migration: clients
-- Creates agency.clients (the seed's clients_enhanced): the agency's clients, tenant rows of the
-- agency (the organization). A client may be assigned to a manager (a user of the same agency):
-- staff see the clients they manage or created, owners and admins see every client of the agency.
-- agency.visible_client_ids() lists a staff user's clients once per statement, so the policies of
-- every client-scoped table compare client_id with it instead of joining clients per row.

SET LOCAL ROLE app_owner;

-- Why: tenant table; (organization_id, client_id) is what every client-scoped row references.
CREATE TABLE agency.clients (
    organization_id uuid NOT NULL,
    client_id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL,
    company_name text,
    status text NOT NULL DEFAULT 'lead',
    created_by uuid,
    assigned_manager_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_clients PRIMARY KEY (organization_id, client_id),
    CONSTRAINT fk_clients_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT,
    CONSTRAINT fk_clients_created_by FOREIGN KEY (organization_id, created_by)
        REFERENCES core.users (organization_id, user_id) ON DELETE RESTRICT,
    CONSTRAINT fk_clients_assigned_manager_id FOREIGN KEY (organization_id, assigned_manager_id)
        REFERENCES core.users (organization_id, user_id) ON DELETE RESTRICT,
    CONSTRAINT ck_clients_name_length CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_clients_company_name_length CHECK (pg_catalog.char_length(company_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_clients_status CHECK (status IN ('lead', 'onboarding', 'active', 'paused', 'churned')),
    CONSTRAINT ck_clients_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE agency.clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.clients FORCE ROW LEVEL SECURITY;

-- Why: the foreign keys to core.users, and "the clients a manager sees" (visible_client_ids).
CREATE INDEX idx_clients_organization_id_assigned_manager_id ON agency.clients (organization_id, assigned_manager_id);
CREATE INDEX idx_clients_organization_id_created_by ON agency.clients (organization_id, created_by);

COMMENT ON TABLE agency.clients IS 'Clients of an agency (tenant rows). Staff see the clients they manage or created; admins see all.';
COMMENT ON COLUMN agency.clients.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.clients.client_id IS 'Client id (unique within the agency).';
COMMENT ON COLUMN agency.clients.name IS 'Client (brand) name shown in the product.';
COMMENT ON COLUMN agency.clients.company_name IS 'Legal company name, when known.';
COMMENT ON COLUMN agency.clients.status IS 'lead, onboarding, active, paused or churned.';
COMMENT ON COLUMN agency.clients.created_by IS 'User of the agency who created the client; sees it even when not its manager.';
COMMENT ON COLUMN agency.clients.assigned_manager_id IS 'User of the agency who manages the client; staff see the clients they manage.';
COMMENT ON COLUMN agency.clients.created_at IS 'When the client was created.';
COMMENT ON COLUMN agency.clients.updated_at IS 'Last change, maintained by trg_clients_updated_at.';
COMMENT ON INDEX agency.idx_clients_organization_id_assigned_manager_id IS 'FK to core.users; the clients of a manager.';
COMMENT ON INDEX agency.idx_clients_organization_id_created_by IS 'FK to core.users; the clients a user created.';

CREATE TRIGGER trg_clients_updated_at
    BEFORE UPDATE ON agency.clients
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table (who manages which client decides who sees it); ALWAYS: replica mode too.
CREATE TRIGGER trg_clients_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.clients
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.clients ENABLE ALWAYS TRIGGER trg_clients_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'clients', 'organization_id', 'internal'),
    ('agency', 'clients', 'client_id', 'internal'),
    ('agency', 'clients', 'name', 'confidential'),
    ('agency', 'clients', 'company_name', 'confidential'),
    ('agency', 'clients', 'status', 'internal'),
    ('agency', 'clients', 'created_by', 'internal'),
    ('agency', 'clients', 'assigned_manager_id', 'internal'),
    ('agency', 'clients', 'created_at', 'internal'),
    ('agency', 'clients', 'updated_at', 'internal');

-- Why: the clients a staff user may see, computed once per statement (an init-plan in each policy)
-- instead of a join per row. SECURITY INVOKER: the caller's privileges and RLS apply.
CREATE FUNCTION agency.visible_client_ids() RETURNS uuid []
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(pg_catalog.array_agg(c.client_id), '{}')
    FROM agency.clients AS c
    WHERE c.organization_id = app.current_org_id()
      AND app.current_user_role() IS NOT NULL
      AND (c.assigned_manager_id = app.current_user_id() OR c.created_by = app.current_user_id())
$fn$;
COMMENT ON FUNCTION agency.visible_client_ids() IS
    'Clients of the current tenant that the current user manages or created (empty with no live user of the tenant). '
    'Policies use it as (SELECT agency.visible_client_ids()) for staff; admins see every client.';
REVOKE EXECUTE ON FUNCTION agency.visible_client_ids() FROM PUBLIC;

RESET ROLE;

GRANT EXECUTE ON FUNCTION agency.visible_client_ids() TO app_rw, app_ro;
