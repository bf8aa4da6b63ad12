-- Citus: the database settings every session on a Citus cluster needs (ALTER DATABASE ... SET, which
-- Citus sends to every node; a session picks them up when it connects). Runs only on a Citus
-- coordinator, in its own transaction, before pending migrations; repeatable and idempotent.
--
-- The application sets its tenant per transaction with `SET LOCAL app.org_id = '...'` (and
-- app.user_id): with citus.propagate_set_commands = 'local', Citus sends those SET LOCALs to every
-- worker the transaction uses, where the policies read them. set_config() is not propagated: there
-- a policy sees no tenant and shows no rows (it fails closed). docs/scale-out.md has the convention.
--
-- Policies and triggers run on the workers, next to the shard: an audit trigger that checks the actor
-- and writes the audit trail runs a query of its own from there. Citus refuses such nested queries
-- unless citus.allow_nested_distributed_execution is on; every one of them is a single-tenant lookup
-- (same organization_id, so the same colocated shard group) or a write to a reference table. (The
-- agency policies' user lookups read the tenant's shard as a local table instead:
-- citus/after/25_user_context.sql.)

-- The owner role distributes the schema (citus/after/20_distribute.sql runs as app_owner, which owns
-- every table); Citus then creates the product schemas on the workers as that role, which needs the
-- CREATE privilege on the database there.

-- Why: the two settings above, for every later session of this database, on every node; and the
-- owner's right to create its schemas on the workers.
DO $settings$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = %L', current_database(), 'local');
    EXECUTE format('ALTER DATABASE %I SET citus.allow_nested_distributed_execution = %L', current_database(), 'on');
    EXECUTE format('GRANT CREATE ON DATABASE %I TO app_owner', current_database());
END
$settings$;
