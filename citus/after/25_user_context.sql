-- Citus: the user context of agency's manager-level policies, in a form a shard can run. Runs only on
-- a Citus coordinator, after the migrations, the policies/views and the distribution; repeatable
-- (CREATE OR REPLACE: a run that applies migrations runs it again, after any migration that replaced
-- one of these functions with its plain-PostgreSQL form).
--
-- The policies of 14 agency tables call app.current_user_role() (through app.current_user_is_admin())
-- and agency.visible_client_ids(). On Citus a policy runs on the worker, inside the shard query, and
-- the plain-PostgreSQL form of these functions queries core.users and agency.clients, two distributed
-- tables, from there: Citus cannot prune a shard by app.current_org_id() in the query, so the nested
-- query went to every shard, which a worker already inside a distributed transaction cannot do (XX000
-- "the backend has already been assigned a transaction id").
--
-- The Citus form reads only colocated data, with no nested distributed query: on a worker it reads
-- the tenant's shard of core.users (and agency.clients) as a table of that node. One tenant's rows of
-- every table live in one shard group, so wherever a policy checks a row of the tenant, the tenant's
-- users and clients are on the same node. A worker holding none of the tenant's shards answers no
-- role (a query without the tenant key runs the policy on every shard; nothing of the tenant is
-- there). On the coordinator (a service calling the function itself) it is an ordinary query, which
-- Citus routes to the tenant's shard. Same answers as on plain PostgreSQL: the role is still derived
-- from core.users (a service cannot claim one), with no tenant or no live user of the tenant there is
-- no role and no client, and the reads run under the caller's row-level security. Each is PARALLEL
-- RESTRICTED here (a parallel worker cannot run a Citus query). docs/scale-out.md, "Agency's
-- per-user policies", has the differences and the cost.

-- Why: the role of app.user_id in app.org_id (see above). SECURITY INVOKER here,
-- unlike plain PostgreSQL (SECURITY DEFINER, the owner reading users): Citus refuses a query on
-- placements that another role modified in the same transaction, so after a service's first write,
-- a policy looking the role up as the owner failed (25001 "placements that were modified in this
-- transaction by a different user"). The roles whose policies call it (app_rw, app_ro, app_owner)
-- read core.users' role and deleted_at of their tenant, under the same tenant policy: same answer.
CREATE OR REPLACE FUNCTION app.current_user_role() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY INVOKER COST 10000
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_org constant uuid := app.current_org_id();
    v_user constant uuid := app.current_user_id();
    v_shard bigint;
    v_role text;
BEGIN
    IF v_org IS NULL OR v_user IS NULL THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.citus_is_coordinator() THEN
        -- A query of a service: Citus routes it to the tenant's shard.
        SELECT u.role INTO v_role
        FROM core.users AS u
        WHERE u.organization_id = v_org AND u.user_id = v_user AND u.deleted_at IS NULL;
        RETURN v_role;
    END IF;
    -- On a worker, inside a shard query: the tenant's shard of core.users, read as a table of this
    -- node. A worker holding none of the tenant's shards answers no role: a policy of a query that
    -- reads every shard runs this on workers holding none of the tenant's rows, and nothing of the
    -- tenant is there to show.
    v_shard := pg_catalog.get_shard_id_for_distribution_column('core.users', v_org);
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_placement AS p
                   JOIN pg_catalog.pg_dist_local_group AS l ON l.groupid = p.groupid
                   WHERE p.shardid = v_shard) THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format('SELECT u.role FROM %s AS u WHERE u.organization_id = $1 AND u.user_id = $2 '
                              'AND u.deleted_at IS NULL', pg_catalog.shard_name('core.users', v_shard))
        INTO v_role USING v_org, v_user;
    RETURN v_role;
END
$fn$;
COMMENT ON FUNCTION app.current_user_role() IS
    'Role (owner, admin, member, viewer) of the live user app.user_id in the tenant app.org_id; NULL when either is unset or the user is unknown or deleted. '
    'Citus form (citus/after/25_user_context.sql): reads the tenant''s shard on a worker, so a policy can call it there.';

-- Why: the clients the current user may see (see above): every client of the
-- tenant for an owner or admin, those it manages or created for staff (plain PostgreSQL lists the
-- latter only, and its policies test app.current_user_is_admin() per query instead; on Citus the
-- policies compare client_id with this list alone, which the planner evaluates once per index scan:
-- docs/scale-out.md). SECURITY INVOKER as on plain PostgreSQL: the caller's privileges and row-level
-- security apply.
CREATE OR REPLACE FUNCTION agency.visible_client_ids() RETURNS uuid []
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED COST 10000
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_org constant uuid := app.current_org_id();
    v_user constant uuid := app.current_user_id();
    v_role constant text := app.current_user_role();
    v_ids uuid [];
BEGIN
    -- No role: no tenant, no live user of it, or (on a worker) none of the tenant's shards here.
    IF v_role IS NULL THEN
        RETURN '{}';
    END IF;
    IF pg_catalog.citus_is_coordinator() THEN
        SELECT coalesce(pg_catalog.array_agg(c.client_id), '{}') INTO v_ids
        FROM agency.clients AS c
        WHERE c.organization_id = v_org
          AND (v_role IN ('owner', 'admin') OR c.assigned_manager_id = v_user OR c.created_by = v_user);
        RETURN v_ids;
    END IF;
    -- The tenant has a role here, so its shard group, agency.clients' shard included, is on this node.
    EXECUTE pg_catalog.format(
        'SELECT coalesce(pg_catalog.array_agg(c.client_id), ''{}'') FROM %s AS c WHERE c.organization_id = $1 '
        'AND ($2 IN (''owner'', ''admin'') OR c.assigned_manager_id = $3 OR c.created_by = $3)',
        pg_catalog.shard_name('agency.clients', pg_catalog.get_shard_id_for_distribution_column('agency.clients', v_org)))
        INTO v_ids USING v_org, v_role, v_user;
    RETURN v_ids;
END
$fn$;
COMMENT ON FUNCTION agency.visible_client_ids() IS
    'Clients of the current tenant the current user may see: all for an owner or admin, those it manages or created for staff; empty with no live user of the tenant. '
    'Citus form (citus/after/25_user_context.sql): reads the tenant''s shard on a worker, so a policy can call it there.';

-- Why: what the planner should know: a call is a query on another table, far dearer than a column
-- comparison, so a plan that evaluates it once (an index condition) beats one that filters with it
-- row by row.
ALTER FUNCTION app.current_user_is_admin() COST 10000;

-- Why: the policies run them on the workers; already distributed as the policies' dependencies when
-- the tables were distributed, said here so that it does not rest on that (a no-op when done).
SELECT create_distributed_function('app.current_user_role()');
SELECT create_distributed_function('agency.visible_client_ids()');
