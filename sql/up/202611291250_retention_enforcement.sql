-- Migration: retention_enforcement
-- Enforces governance.retention_policies (issue 11): the rows were stored but nothing applied them,
-- while the specification asks that personal data be purged or anonymised in time, analytics
-- included. governance.apply_retention(now) is the one function the platform's scheduler calls
-- (daily, as the migrator): for every policy it acts on the rows whose timestamp column is older
-- than now - retain_for, across tenants (the owner's app.all_tenants opt-out, set for the call only),
-- and returns one row per policy saying what it did:
-- - delete: DELETE the rows. A table whose rows are still referenced (an organization with data)
--   is reported as blocked, with the reason, and the other policies still run.
--   usage.events (partitioned) is applied by usage.drop_expired_event_partitions(), whole months.
-- - anonymise: set every column classified pii or secret to NULL (and anonymised_at, when the table
--   has it) on rows that still hold any.
-- - archive: nothing is changed (archiving is an export outside the database); the rows past
--   retention are counted, so the report shows what is due for export.
-- Locks: ROW EXCLUSIVE on the tables it writes, when it is called (the migration itself only
-- creates the function).

SET LOCAL ROLE app_owner;

-- Why: one call applies every policy and reports each, so a scheduler needs one job and a DBA one
-- result to read. A failure other than a blocked delete stops the call (nothing applied).
CREATE FUNCTION governance.apply_retention(p_now timestamptz DEFAULT now())
RETURNS TABLE (schema_name text, table_name text, action text, cutoff timestamptz, rows_affected bigint, detail text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_policy record;
    v_table regclass;
    v_kind "char";
    v_personal text[];
    v_has_anonymised_at boolean;
BEGIN
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    FOR v_policy IN
        SELECT r.schema_name, r.table_name, r.retain_for, r.action, r.timestamp_column
        FROM governance.retention_policies AS r
        ORDER BY r.schema_name, r.table_name
    LOOP
        schema_name := v_policy.schema_name;
        table_name := v_policy.table_name;
        action := v_policy.action;
        cutoff := p_now - v_policy.retain_for;
        rows_affected := 0;
        detail := NULL;
        v_table := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_policy.schema_name, v_policy.table_name));
        IF v_table IS NULL THEN
            RAISE EXCEPTION 'retention policy names %.%, which does not exist', v_policy.schema_name, v_policy.table_name
                USING ERRCODE = 'undefined_table', HINT = 'remove or fix its row in governance.retention_policies';
        END IF;
        SELECT c.relkind INTO v_kind FROM pg_catalog.pg_class AS c WHERE c.oid = v_table;

        IF v_policy.action = 'archive' THEN
            EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s AS t WHERE t.%I < $1',
                                      v_table, v_policy.timestamp_column)
                INTO rows_affected USING cutoff;
            detail := 'due for export to cold storage; nothing changed in the database';
        ELSIF v_kind = 'p' THEN
            IF (v_policy.schema_name, v_policy.table_name, v_policy.action) <> ('usage', 'events', 'delete') THEN
                RAISE EXCEPTION 'no retention path for partitioned table %', v_table
                    USING ERRCODE = 'feature_not_supported',
                          HINT = 'partitioned tables are expired by dropping partitions: add a path here';
            END IF;
            SELECT pg_catalog.count(*), 'partitions dropped: ' || coalesce(pg_catalog.string_agg(d.partition_name, ', '), 'none')
            INTO rows_affected, detail
            FROM usage.drop_expired_event_partitions(p_now) AS d;
            PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);  -- the call restored its own scope
        ELSIF v_policy.action = 'delete' THEN
            BEGIN
                EXECUTE pg_catalog.format('DELETE FROM %s AS t WHERE t.%I < $1', v_table, v_policy.timestamp_column)
                    USING cutoff;
                GET DIAGNOSTICS rows_affected = ROW_COUNT;
            EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN
                rows_affected := 0;
                detail := 'blocked, nothing deleted: ' || SQLERRM;
            END;
        ELSE
            SELECT pg_catalog.array_agg(k.column_name::text ORDER BY k.column_name) INTO v_personal
            FROM governance.column_classifications AS k
            WHERE k.schema_name = v_policy.schema_name AND k.table_name = v_policy.table_name
              AND k.classification IN ('pii', 'secret');
            IF v_personal IS NULL THEN
                detail := 'no pii or secret column: nothing to anonymise';
            ELSE
                v_has_anonymised_at := EXISTS (
                    SELECT FROM pg_catalog.pg_attribute AS a
                    WHERE a.attrelid = v_table AND a.attname = 'anonymised_at' AND NOT a.attisdropped);
                EXECUTE pg_catalog.format(
                    'UPDATE %s AS t SET %s%s WHERE t.%I < $1 AND (%s)',
                    v_table,
                    (SELECT pg_catalog.string_agg(pg_catalog.format('%I = NULL', p.name), ', ') FROM pg_catalog.unnest(v_personal) AS p (name)),
                    CASE WHEN v_has_anonymised_at THEN ', anonymised_at = coalesce(t.anonymised_at, $2)' ELSE '' END,
                    v_policy.timestamp_column,
                    (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I IS NOT NULL', p.name), ' OR ') FROM pg_catalog.unnest(v_personal) AS p (name)))
                    USING cutoff, p_now;
                GET DIAGNOSTICS rows_affected = ROW_COUNT;
                detail := 'set to NULL: ' || pg_catalog.array_to_string(v_personal, ', ');
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
END
$fn$;
COMMENT ON FUNCTION governance.apply_retention(timestamptz) IS
    'Applies every governance.retention_policies row as of p_now, across tenants: delete, anonymise (pii and secret '
    'columns to NULL) or count what is due for archiving; one result row per policy. Owner only: the scheduler calls it daily.';
REVOKE EXECUTE ON FUNCTION governance.apply_retention(timestamptz) FROM PUBLIC;

RESET ROLE;
