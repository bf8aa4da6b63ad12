-- Check: PUBLIC holds EXECUTE on no function of a product schema (SECURITY DEFINER or not): each
-- function is granted explicitly to the roles that call it, and the owning roles' default
-- privileges revoke EXECUTE from PUBLIC (202611291210). A definer function executable by PUBLIC
-- runs as its owner for anyone; a definer trigger function could be attached to a caller's table.
SELECT p.oid::regprocedure::text AS function_name,
       CASE WHEN p.prosecdef THEN 'SECURITY DEFINER function executable by PUBLIC'
            ELSE 'function executable by PUBLIC' END AS problem
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND EXISTS (SELECT FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) AS a
              WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                  WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1;
