-- Migration: database_temporary_privilege
-- PUBLIC no longer holds TEMPORARY on the database (issue 11); app_rw does. Temporary tables were
-- the vehicle of both escalations: a caller pre-created the scratch tables a SECURITY DEFINER
-- function used, or attached a definer trigger function to its own temporary table. Both holes
-- are closed at their source (no definer function touches temp tables; no trigger function is
-- executable by PUBLIC); without TEMPORARY, app_ro, app_auth and the owner role itself cannot
-- create a temporary table at all, so a definer function running as the owner cannot either.
-- app_rw keeps it for bulk ingest: COPY FROM is refused on tables with row-level security, so a
-- service copies a batch into a temporary staging table and inserts it with INSERT ... SELECT
-- (docs/schema.md). Changing a database's privileges needs its owner (or a superuser): when the
-- migrator is neither, this warns and changes nothing (a DBA runs the two statements by hand).
-- Locks: none on data (the database's ACL is a catalog row).

-- Why: per database, and only its owner can change it: decide at run time, never fail the chain.
DO $temporary$
BEGIN
    IF pg_catalog.has_database_privilege(current_user, pg_catalog.current_database(), 'TEMPORARY WITH GRANT OPTION') THEN
        EXECUTE pg_catalog.format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', pg_catalog.current_database());
        EXECUTE pg_catalog.format('GRANT TEMPORARY ON DATABASE %I TO app_rw', pg_catalog.current_database());
    ELSE
        RAISE WARNING 'PUBLIC keeps TEMPORARY on database %: % does not own it', pg_catalog.current_database(), current_user
            USING HINT = 'the database owner runs: REVOKE TEMPORARY ON DATABASE <db> FROM PUBLIC; GRANT TEMPORARY ON DATABASE <db> TO app_rw';
    END IF;
END
$temporary$;
