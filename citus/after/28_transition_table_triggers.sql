-- Citus: the helper that 30_usage_rollups.sql and 32_feedback_trends.sql use to switch off a table's
-- statement triggers with transition tables once a row trigger does their work. Runs only on a Citus
-- coordinator, after the distribution; repeatable (CREATE OR REPLACE).

-- Why: Citus does not run a statement trigger with transition tables on the shards ("could not find
-- named tuplestore"). Such triggers are disabled rather than dropped, so that a migration (or its
-- down) naming them still applies; a transition-table trigger the calling file does not list stops
-- the run, since its work would silently be lost. Runs on the coordinator only (not distributed):
-- ALTER TABLE ... DISABLE TRIGGER is propagated to the shards by Citus.
CREATE OR REPLACE FUNCTION app.disable_transition_table_triggers(
    p_table regclass, p_replaced regprocedure [], p_file text
) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_trigger record;
BEGIN
    FOR v_trigger IN
        SELECT t.tgname, t.tgfoid::regprocedure AS fn, t.tgenabled
        FROM pg_catalog.pg_trigger AS t
        WHERE t.tgrelid = p_table AND NOT t.tgisinternal
          AND (t.tgoldtable IS NOT NULL OR t.tgnewtable IS NOT NULL)
    LOOP
        IF NOT v_trigger.fn = ANY (p_replaced) THEN
            RAISE EXCEPTION '% has a trigger with transition tables % does not know: % (%)',
                p_table, p_file, v_trigger.tgname, v_trigger.fn
                USING ERRCODE = 'feature_not_supported',
                      HINT = pg_catalog.format('Citus does not run it on the shards: do its work in a row trigger and list it in %s', p_file);
        END IF;
        IF v_trigger.tgenabled <> 'D' THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', p_table, v_trigger.tgname);
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION app.disable_transition_table_triggers(regclass, regprocedure [], text) IS
    'Citus only: disables p_table''s statement triggers with transition tables whose functions are in p_replaced '
    '(a row trigger does their work); any other such trigger raises 0A000 naming p_file.';
REVOKE EXECUTE ON FUNCTION app.disable_transition_table_triggers(regclass, regprocedure [], text) FROM PUBLIC;
ALTER FUNCTION app.disable_transition_table_triggers(regclass, regprocedure [], text) OWNER TO app_owner;
