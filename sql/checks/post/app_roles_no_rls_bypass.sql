-- Check: the application roles (app_rw, app_ro, app_ingest) hold nothing that bypasses row-level security:
-- not superuser or BYPASSRLS, not a member of a role owning a product table (an owner can disable
-- RLS), no TRUNCATE (not subject to RLS) and no TRIGGER privilege on product tables.
SELECT r.rolname::text AS role_name, NULL::text AS table_name, 'superuser or BYPASSRLS' AS problem
FROM pg_catalog.pg_roles AS r
WHERE r.rolname IN ('app_rw', 'app_ro', 'app_ingest') AND (r.rolsuper OR r.rolbypassrls)
UNION ALL
SELECT r.rolname::text, format('%I.%I', n.nspname, c.relname), 'member of the owner ' || c.relowner::regrole::text
FROM pg_catalog.pg_roles AS r
CROSS JOIN pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE r.rolname IN ('app_rw', 'app_ro', 'app_ingest') AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND pg_catalog.pg_has_role(r.oid, c.relowner, 'MEMBER')
UNION ALL
SELECT r.rolname::text, format('%I.%I', n.nspname, c.relname), 'holds ' || priv.name
FROM pg_catalog.pg_roles AS r
CROSS JOIN pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN (VALUES ('TRUNCATE'), ('TRIGGER')) AS priv (name)
WHERE r.rolname IN ('app_rw', 'app_ro', 'app_ingest') AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND pg_catalog.has_table_privilege(r.oid, c.oid, priv.name)
ORDER BY 1, 2;
