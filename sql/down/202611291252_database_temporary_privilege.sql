-- Migration: database_temporary_privilege
-- Inverse of the up file: PUBLIC holds TEMPORARY on the database again and app_rw's own grant goes.
-- Locks: none on data (the database's ACL is a catalog row).

DO $temporary$
BEGIN
    IF pg_catalog.has_database_privilege(current_user, pg_catalog.current_database(), 'TEMPORARY WITH GRANT OPTION') THEN
        EXECUTE pg_catalog.format('REVOKE TEMPORARY ON DATABASE %I FROM app_rw', pg_catalog.current_database());
        EXECUTE pg_catalog.format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', pg_catalog.current_database());
    ELSE
        RAISE WARNING 'TEMPORARY on database % left as it is: % does not own it', pg_catalog.current_database(), current_user;
    END IF;
END
$temporary$;
