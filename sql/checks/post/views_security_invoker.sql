-- Check: every product view an application role can read either runs with the caller's rights
-- (security_invoker, so the caller's privileges and row-level security apply) or is a
-- security_barrier view that filters by the tenant itself (its definition calls
-- app.current_org_id()), like audit.tenant_events. Any other view reads as its owner, whose policies
-- include the explicit all-tenants opt-out (app.all_tenants, a setting any session can set), or who
-- bypasses row-level security where it is not forced: it would show every tenant's rows. Owner-only
-- views (no app role can select them) and an extension's own views are exempt.
SELECT format('%I.%I', n.nspname, c.relname) AS view_name, r.rolname || ' can read it' AS problem
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN pg_catalog.pg_roles AS r
WHERE c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND r.rolname IN ('app_rw', 'app_ro', 'app_auth')
  -- Why: an extension's own views (Citus's public.citus_tables) are not product views.
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS e
                  WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
  AND pg_catalog.has_any_column_privilege(r.oid, c.oid, 'SELECT')
  AND NOT EXISTS (SELECT FROM pg_catalog.unnest(c.reloptions) AS o (option)
                  WHERE o.option ~* '^security_invoker=(true|on|yes|1)$')
  AND NOT (EXISTS (SELECT FROM pg_catalog.unnest(c.reloptions) AS o (option)
                   WHERE o.option ~* '^security_barrier=(true|on|yes|1)$')
           AND pg_catalog.pg_get_viewdef(c.oid) LIKE '%app.current_org_id()%')
ORDER BY 1, 2;
