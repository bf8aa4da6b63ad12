-- Citus: ON DELETE SET NULL (column) for the foreign keys Citus cannot declare it on. Runs only on a
-- Citus coordinator, after the migrations and the policies/views; repeatable (CREATE OR REPLACE).
--
-- Citus refuses ON DELETE SET NULL on a distributed table's foreign key that includes the
-- distribution column, even when only the non-key column is nulled (`SET NULL (feedback_id)`).
-- citus/after/20_distribute.sql declares those keys without the action (NO ACTION) and attaches this
-- function to the referenced table as a BEFORE DELETE trigger: it nulls the column in the
-- referencing rows of the same tenant first, which is what PostgreSQL's own action does. Unlike the
-- foreign key's own action, it runs under row-level security: with no tenant set it sees no
-- referencing row, and the foreign key then refuses the delete (23503) instead of leaving a dangling
-- reference.

-- Why: the referencing rows nulled; TG_ARGV: referencing table, column to null, then the referencing
-- and referenced columns of the key, pairwise.
CREATE OR REPLACE FUNCTION app.tg_set_null_references() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_columns text[] := '{}';
    v_values text[] := '{}';
BEGIN
    FOR i IN 2 .. TG_NARGS - 1 BY 2 LOOP
        v_columns := v_columns || pg_catalog.quote_ident(TG_ARGV[i]);
        v_values := v_values || pg_catalog.format('($1).%I', TG_ARGV[i + 1]);
    END LOOP;
    EXECUTE pg_catalog.format('UPDATE %s SET %I = NULL WHERE (%s) = (%s)', TG_ARGV[0]::regclass, TG_ARGV[1],
                              pg_catalog.array_to_string(v_columns, ', '), pg_catalog.array_to_string(v_values, ', '))
        USING OLD;
    RETURN OLD;
END
$fn$;
COMMENT ON FUNCTION app.tg_set_null_references() IS
    'Citus only: BEFORE DELETE trigger doing ON DELETE SET NULL (column) for a foreign key Citus cannot declare it on.';
REVOKE EXECUTE ON FUNCTION app.tg_set_null_references() FROM PUBLIC;
-- Why: created as the migrator, then handed to the owner: Citus records a new function on the workers
-- only for a superuser (created as the owner role, the workers refuse it).
ALTER FUNCTION app.tg_set_null_references() OWNER TO app_owner;
