-- Migration: usage_retention
-- Creates usage.drop_expired_event_partitions(): applies the governance retention policy of
-- usage.events by detaching and then dropping every monthly partition that ended more than
-- retain_for ago (whole partitions: no DELETE, no bloat, no vacuum), removes the dirty markers of the
-- dropped hours (so a refresh never wipes rollups of data that is gone) and the partitions'
-- classification rows, and reports what it removed. Rollups are kept.

SET LOCAL ROLE app_owner;

-- Why: retention of raw events by partition; a report row per dropped partition.
-- DETACH (non-concurrent: a function runs inside a transaction) takes ACCESS EXCLUSIVE on the parent
-- for a catalog-only change; lock_timeout bounds the wait behind long readers.
CREATE FUNCTION usage.drop_expired_event_partitions(p_now timestamptz DEFAULT now())
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, estimated_rows bigint,
               total_bytes bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_retain interval;
    v_part record;
BEGIN
    SELECT r.retain_for INTO v_retain FROM governance.retention_policies AS r
    WHERE r.schema_name = 'usage' AND r.table_name = 'events' AND r.action = 'delete';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no delete retention policy for usage.events in governance.retention_policies'
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    FOR v_part IN SELECT p.partition_name AS part, p.range_start AS lo, p.range_end AS hi
                  FROM usage.partitions_of('usage.events') AS p
                  WHERE p.range_end <= p_now - v_retain
                  ORDER BY p.range_start LOOP
        partition_name := v_part.part::text;
        range_start := v_part.lo;
        range_end := v_part.hi;
        SELECT greatest(c.reltuples, 0)::bigint, pg_catalog.pg_total_relation_size(c.oid)
        INTO estimated_rows, total_bytes
        FROM pg_catalog.pg_class AS c WHERE c.oid = v_part.part;
        EXECUTE format('ALTER TABLE usage.events DETACH PARTITION %s', v_part.part);
        EXECUTE format('DROP TABLE %s', v_part.part);
        DELETE FROM governance.column_classifications AS k
        WHERE k.schema_name = 'usage' AND k.table_name = pg_catalog.split_part(partition_name, '.', 2);
        DELETE FROM usage.rollup_dirty_hours AS d WHERE d.hour_start >= v_part.lo AND d.hour_start < v_part.hi;
        RETURN NEXT;
    END LOOP;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
END
$fn$;
COMMENT ON FUNCTION usage.drop_expired_event_partitions(timestamptz) IS
    'Detaches and drops the partitions of usage.events that ended more than the retention policy''s retain_for '
    'before p_now; returns each one removed (name, range, estimated rows, bytes). Schedule it daily.';
REVOKE EXECUTE ON FUNCTION usage.drop_expired_event_partitions(timestamptz) FROM PUBLIC;

RESET ROLE;
