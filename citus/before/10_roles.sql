-- Citus: the cluster roles, created before the migrations so that they exist on every node.
-- Runs only on a Citus coordinator, in its own transaction, before pending migrations; repeatable
-- (applied again whenever this file changes, and after every `dbrun down`).
--
-- Citus propagates a role to the workers only when the transaction creating it commits, so a
-- migration that creates a role and then objects owned by it cannot build them on the workers.
-- Created here first, the roles are already everywhere when 202611230900 finds them (it creates
-- each only when missing).
--
-- The coordinator opens its connections to the workers as the current role: a query or DDL run as
-- the owner (the migrations SET ROLE app_owner; SECURITY DEFINER functions run as app_owner or
-- app_auth) connects to each worker as that role. So on Citus these two roles may LOG IN; restrict
-- them to the nodes' addresses in pg_hba.conf and give them credentials for the nodes only
-- (pg_dist_authinfo, or certificates). docs/scale-out.md explains the difference.

-- Why: one role per job, as on plain PostgreSQL; created idempotently (roles are cluster-wide).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_owner') THEN
        CREATE ROLE app_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_rw') THEN
        CREATE ROLE app_rw NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_ro') THEN
        CREATE ROLE app_ro NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_auth') THEN
        CREATE ROLE app_auth LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_migrator') THEN
        CREATE ROLE app_migrator NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_ingest') THEN
        CREATE ROLE app_ingest NOLOGIN;
    END IF;
END
$roles$;

-- Why: the roles whose connections reach the workers (see above) must be able to log in there.
ALTER ROLE app_owner LOGIN;
ALTER ROLE app_auth LOGIN;

-- Why: the memberships 202611230900 grants, here too, so that they are on the workers as well.
GRANT app_owner TO app_migrator;
GRANT app_auth TO app_migrator;
