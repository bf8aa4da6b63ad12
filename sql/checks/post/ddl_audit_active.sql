-- Check (warning): the DDL audit event triggers (202611291245) are installed and ENABLE ALWAYS.
-- Creating event triggers needs superuser, so on a managed database they may be missing: a
-- warning, not a failure; a superuser installs them as docs/schema.md (Audit) says.
-- dbrun: severity=warning
-- dbrun: requires=audit.ddl_audit_active()
SELECT 'DDL audit inactive' AS problem,
       'schema changes made outside dbrun are not recorded: a superuser must create the event triggers '
       'audit_ddl_command_end and audit_ddl_sql_drop (ENABLE ALWAYS)' AS detail
WHERE NOT audit.ddl_audit_active();
