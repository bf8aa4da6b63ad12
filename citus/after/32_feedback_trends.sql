-- Citus: venture.feedback_intelligence's trend marks and venture.refresh_feedback_trends() in a form
-- Citus runs. Runs only on a Citus coordinator, after 20_distribute.sql, in its own transaction;
-- repeatable and idempotent.
--
-- On plain PostgreSQL statement triggers with transition tables append the marks
-- (venture.tg_feedback_intelligence_mark_trends); Citus does not run those on shards. The marks
-- table, venture.feedback_trend_marks, is already a tenant table colocated with the feedback, so on
-- Citus a row trigger on the shard, venture.tg_feedback_intelligence_mark_trends_row(), appends one
-- mark per written row to the colocated shard on its own node (mark_id from the node's range of the
-- table's identity sequence). The statement triggers are disabled, not dropped (migrations name them).
-- venture.refresh_feedback_trends() is replaced by a form whose statements Citus can plan: the claim
-- is one multi-shard DELETE ... RETURNING, and the periods are recomputed one organization at a time
-- (every table filtered on that organization_id: a router query to its shard group). It writes the
-- same trend rows as the plain form. Refreshers run one at a time (a tried advisory lock).

-- Why: triggers on distributed tables (created, disabled) need Citus's opt-in.
SET LOCAL citus.enable_unsafe_triggers = on;

-- Why: the refresh's per-organization statements run on the shards, which call it.
SELECT create_distributed_function('venture.trend_periods_of_days(uuid[], uuid[], date[])');

-- Why: the statement trigger's marks, per row, on the shard (see above). SECURITY DEFINER with the
-- owner's opt-out set locally on the worker (and restored): the app roles hold nothing on the queue.
CREATE OR REPLACE FUNCTION venture.tg_feedback_intelligence_mark_trends_row() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_insert text := pg_catalog.format(
        'INSERT INTO %s (organization_id, venture_id, day, mark_id) VALUES ($1, $2, $3, pg_catalog.nextval($4))',
        app.local_shard('venture.feedback_trend_marks', coalesce(NEW.organization_id, OLD.organization_id)));
    v_sequence text := pg_catalog.pg_get_serial_sequence('venture.feedback_trend_marks', 'mark_id');
BEGIN
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE v_insert USING NEW.organization_id, NEW.venture_id, (NEW.received_at AT TIME ZONE 'UTC')::date, v_sequence;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE v_insert USING OLD.organization_id, OLD.venture_id, (OLD.received_at AT TIME ZONE 'UTC')::date, v_sequence;
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION venture.tg_feedback_intelligence_mark_trends_row() IS
    'Citus only: row trigger of venture.feedback_intelligence on the shards: appends a mark (organization, venture, '
    'UTC day) of the written row to the colocated shard of venture.feedback_trend_marks.';
REVOKE EXECUTE ON FUNCTION venture.tg_feedback_intelligence_mark_trends_row() FROM PUBLIC;
ALTER FUNCTION venture.tg_feedback_intelligence_mark_trends_row() OWNER TO app_owner;

-- Why: Citus cannot run the statement triggers with transition tables on the shards; the row trigger
-- above does their work. A transition-table trigger this file does not know stops it.
SELECT app.disable_transition_table_triggers(
    'venture.feedback_intelligence', ARRAY['venture.tg_feedback_intelligence_mark_trends()']::regprocedure [],
    'citus/after/32_feedback_trends.sql');
DROP TRIGGER IF EXISTS trg_feedback_intelligence_mark_trends_row ON venture.feedback_intelligence;
CREATE TRIGGER trg_feedback_intelligence_mark_trends_row
    AFTER INSERT OR UPDATE OR DELETE ON venture.feedback_intelligence
    FOR EACH ROW EXECUTE FUNCTION venture.tg_feedback_intelligence_mark_trends_row();

-- Why: the only writer of the trends, in statements Citus can plan:
-- 1. claim marks, oldest first (one multi-shard DELETE ... RETURNING; refreshers run one at a time);
-- 2. per claimed organization, delete the affected periods' rows and insert them again from raw
--    feedback: the statements of the plain form, filtered on that organization (router queries).
CREATE OR REPLACE FUNCTION venture.refresh_feedback_trends(p_max_marks integer DEFAULT NULL)
RETURNS TABLE (marks bigint, periods bigint, trend_rows bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_org_setting text := coalesce(pg_catalog.current_setting('app.org_id', true), '');
    v_organization_ids uuid [];
    v_venture_ids uuid [];
    v_days date [];
    v_keys text [];
    v_org uuid;
    v_org_ids uuid [];
    v_org_ventures uuid [];
    v_org_days date [];
    v_count bigint;
    v_row record;
BEGIN
    IF p_max_marks IS NOT NULL AND p_max_marks < 1 THEN
        RAISE EXCEPTION 'p_max_marks must be positive or NULL (all), not %', p_max_marks
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'venture.refresh_feedback_trends() must run in a READ COMMITTED transaction, not %',
            pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = 'invalid_transaction_state',
                  HINT = 'after waiting for another refresher it must see what that one committed; use the default isolation level';
    END IF;
    marks := 0;
    periods := 0;
    trend_rows := 0;
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('venture.feedback_trend_marks'), 0) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM FROM app.set_local_owner_scope('on', '00000000-0000-0000-0000-000000000000');

    -- 1. Claim.
    WITH claimed AS (
        DELETE FROM venture.feedback_trend_marks AS m
        WHERE p_max_marks IS NULL
           OR (m.organization_id, m.mark_id) IN (
               SELECT q.organization_id, q.mark_id FROM venture.feedback_trend_marks AS q ORDER BY q.mark_id LIMIT p_max_marks)
        RETURNING m.organization_id, m.venture_id, m.day
    )
    SELECT pg_catalog.count(*),
           pg_catalog.array_agg(DISTINCT c.organization_id::text || ' ' || c.venture_id::text || ' ' || c.day::text)
    INTO marks, v_keys
    FROM claimed AS c;
    IF marks = 0 THEN
        PERFORM FROM app.set_local_owner_scope(v_scope, v_org_setting);
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(pg_catalog.split_part(k, ' ', 1)::uuid ORDER BY k),
           pg_catalog.array_agg(pg_catalog.split_part(k, ' ', 2)::uuid ORDER BY k),
           pg_catalog.array_agg(pg_catalog.split_part(k, ' ', 3)::date ORDER BY k)
    INTO v_organization_ids, v_venture_ids, v_days
    FROM pg_catalog.unnest(v_keys) AS k;

    -- 2. One organization at a time.
    FOR v_org IN SELECT DISTINCT o FROM pg_catalog.unnest(v_organization_ids) AS o ORDER BY 1 LOOP
        SELECT pg_catalog.array_agg(k.organization_id), pg_catalog.array_agg(k.venture_id), pg_catalog.array_agg(k.day)
        INTO v_org_ids, v_org_ventures, v_org_days
        FROM ROWS FROM (pg_catalog.unnest(v_organization_ids), pg_catalog.unnest(v_venture_ids), pg_catalog.unnest(v_days))
            AS k (organization_id, venture_id, day)
        WHERE k.organization_id = v_org;

        DELETE FROM venture.feedback_trends AS t
        USING venture.trend_periods_of_days(v_org_ids, v_org_ventures, v_org_days) AS p
        WHERE t.organization_id = v_org AND t.venture_id = p.venture_id
          AND t.period_type = p.period_type AND t.period_start = p.period_start;
        SELECT pg_catalog.count(*) INTO v_count FROM venture.trend_periods_of_days(v_org_ids, v_org_ventures, v_org_days);
        periods := periods + v_count;

        -- Row by row: Citus would run an INSERT ... SELECT it cannot push down as a COPY into the
        -- shards, which it refuses under row-level security.
        v_count := 0;
        FOR v_row IN
            SELECT p.organization_id, p.venture_id, p.period_type, p.period_start, p.period_end, a.total,
                   pg_catalog.round(a.mean_sentiment, 4) AS average_sentiment,
                   pg_catalog.round((a.mean_sentiment + 1) / 2, 4) AS satisfaction_score,
                   a.sentiment_distribution, a.priority_distribution, a.high_churn_risk,
                   pg_catalog.round(a.mean_churn_risk, 4) AS average_churn_risk,
                   CASE WHEN a.mean_churn_risk IS NULL OR b.mean_churn_risk IS NULL THEN NULL
                        WHEN pg_catalog.round(a.mean_churn_risk, 4) < pg_catalog.round(b.mean_churn_risk, 4) - 0.05 THEN 'improving'
                        WHEN pg_catalog.round(a.mean_churn_risk, 4) > pg_catalog.round(b.mean_churn_risk, 4) + 0.05 THEN 'declining'
                        ELSE 'stable' END AS churn_risk_trend,
                   i.top_issues
            FROM venture.trend_periods_of_days(v_org_ids, v_org_ventures, v_org_days) AS p
            CROSS JOIN LATERAL (
                SELECT pg_catalog.count(*)::integer AS total,
                       pg_catalog.avg(f.sentiment_score) AS mean_sentiment,
                       pg_catalog.jsonb_build_object(
                           'joy', pg_catalog.count(*) FILTER (WHERE f.emotion_primary = 'joy'),
                           'anger', pg_catalog.count(*) FILTER (WHERE f.emotion_primary = 'anger'),
                           'sadness', pg_catalog.count(*) FILTER (WHERE f.emotion_primary = 'sadness'),
                           'fear', pg_catalog.count(*) FILTER (WHERE f.emotion_primary = 'fear'),
                           'surprise', pg_catalog.count(*) FILTER (WHERE f.emotion_primary = 'surprise'),
                           'trust', pg_catalog.count(*) FILTER (WHERE f.emotion_primary = 'trust'),
                           'none', pg_catalog.count(*) FILTER (WHERE f.emotion_primary IS NULL)) AS sentiment_distribution,
                       pg_catalog.jsonb_build_object(
                           'low', pg_catalog.count(*) FILTER (WHERE f.urgency_level = 'low'),
                           'medium', pg_catalog.count(*) FILTER (WHERE f.urgency_level = 'medium'),
                           'high', pg_catalog.count(*) FILTER (WHERE f.urgency_level = 'high'),
                           'critical', pg_catalog.count(*) FILTER (WHERE f.urgency_level = 'critical'),
                           'none', pg_catalog.count(*) FILTER (WHERE f.urgency_level IS NULL)) AS priority_distribution,
                       pg_catalog.count(*) FILTER (WHERE f.churn_risk_score >= 0.7)::integer AS high_churn_risk,
                       pg_catalog.avg(f.churn_risk_score) AS mean_churn_risk
                FROM venture.feedback_intelligence AS f
                WHERE f.organization_id = v_org AND f.venture_id = p.venture_id
                  AND f.received_at >= p.period_start AND f.received_at < p.period_end
            ) AS a
            CROSS JOIN LATERAL (
                SELECT pg_catalog.avg(f.churn_risk_score) AS mean_churn_risk
                FROM venture.feedback_intelligence AS f
                WHERE f.organization_id = v_org AND f.venture_id = p.venture_id
                  AND f.received_at >= (p.period_start AT TIME ZONE 'UTC' - CASE p.period_type
                                            WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '7 days'
                                            ELSE interval '1 month' END) AT TIME ZONE 'UTC'
                  AND f.received_at < p.period_start
            ) AS b
            CROSS JOIN LATERAL (
                SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('issue', x.tag, 'count', x.mentions)
                                                     ORDER BY x.mentions DESC, x.tag COLLATE "C"), '[]') AS top_issues
                FROM (
                    SELECT g.tag, pg_catalog.count(DISTINCT f.feedback_id) AS mentions
                    FROM venture.feedback_intelligence AS f
                    CROSS JOIN LATERAL pg_catalog.unnest(f.issue_tags) AS g (tag)
                    WHERE f.organization_id = v_org AND f.venture_id = p.venture_id
                      AND f.received_at >= p.period_start AND f.received_at < p.period_end
                    GROUP BY g.tag
                    ORDER BY 2 DESC, g.tag COLLATE "C"
                    LIMIT 5
                ) AS x
            ) AS i
            WHERE a.total > 0
        LOOP
            INSERT INTO venture.feedback_trends (
                organization_id, venture_id, period_type, period_start, period_end, total_feedback_count,
                average_sentiment, satisfaction_score, sentiment_distribution, priority_distribution,
                high_churn_risk_count, average_churn_risk, churn_risk_trend, top_issues
            )
            VALUES (v_row.organization_id, v_row.venture_id, v_row.period_type, v_row.period_start, v_row.period_end,
                    v_row.total, v_row.average_sentiment, v_row.satisfaction_score, v_row.sentiment_distribution,
                    v_row.priority_distribution, v_row.high_churn_risk, v_row.average_churn_risk, v_row.churn_risk_trend,
                    v_row.top_issues);
            v_count := v_count + 1;
        END LOOP;
        trend_rows := trend_rows + v_count;
    END LOOP;

    PERFORM FROM app.set_local_owner_scope(v_scope, v_org_setting);
    RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION venture.refresh_feedback_trends(integer) IS
    'Citus form: claims the oldest p_max_marks marks of venture.feedback_trend_marks (NULL: all) and recomputes the '
    'trend periods they affect from raw feedback, one organization at a time; one refresher at a time (another '
    'returns 0 marks). Returns marks claimed, periods recomputed and trend rows written.';
