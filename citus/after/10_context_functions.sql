-- Citus: the tenant context functions distributed (created on every worker), so that a policy
-- evaluated on a shard can call them. Runs only on a Citus coordinator, after the migrations and the
-- policies/views; repeatable and idempotent (distributing a distributed function again is a no-op).

-- Why: the context functions call it for a malformed setting; an SQL function's body is not a
-- dependency Citus follows, so it goes first.
SELECT create_distributed_function('app.invalid_uuid_setting(text)');

-- Why: every policy calls app.current_org_id(); the audit trigger calls app.current_user_id().
SELECT create_distributed_function('app.current_org_id()');
SELECT create_distributed_function('app.current_user_id()');
