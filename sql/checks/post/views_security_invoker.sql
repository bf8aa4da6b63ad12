-- Check: every product view an application role can read is security_invoker, so the caller's
-- privileges and row-level security apply. A view without it reads as its owner, whose policies
-- include the explicit all-tenants opt-out (app.all_tenants), a setting any session can set: such a
-- view would show every tenant's rows. Owner-only views (no app role can select them) are exempt.
SELECT format('%I.%I', n.nspname, c.relname) AS view_name, r.rolname || ' can read it' AS problem
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN pg_catalog.pg_roles AS r
WHERE c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun') AND n.nspname !~ '^pg_'
  AND r.rolname IN ('app_rw', 'app_ro', 'app_auth')
  AND pg_catalog.has_any_column_privilege(r.oid, c.oid, 'SELECT')
  AND NOT EXISTS (SELECT FROM pg_catalog.unnest(c.reloptions) AS o (option)
                  WHERE o.option ~* '^security_invoker=(true|on|yes|1)$')
ORDER BY 1, 2;
