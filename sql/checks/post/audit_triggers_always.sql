-- Check: every trigger that runs an audit function (schema audit: the row audit, the append-only
-- guards, the dbrun log copy) is ENABLE ALWAYS, so a session with session_replication_role =
-- replica cannot change an audited table, or the log itself, unseen.
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS table_name, t.tgname::text AS trigger_name,
       'audit trigger is not ENABLE ALWAYS (tgenabled ' || t.tgenabled::text || ')' AS problem
FROM pg_catalog.pg_trigger AS t
JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace AS pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND pn.nspname = 'audit' AND t.tgenabled <> 'A'
ORDER BY 1, 2;
