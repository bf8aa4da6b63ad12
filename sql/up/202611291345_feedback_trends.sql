-- Migration: feedback_trends
-- Creates venture.feedback_trends (feedback intelligence, seed 000), an aggregate that is refreshed
-- from raw feedback and never written by hand, built like the usage rollups: every insert, update or
-- delete of venture.feedback_intelligence appends marks (organization, venture, UTC day) to
-- venture.feedback_trend_marks in the writer's own transaction (statement-level triggers with
-- transition tables); venture.refresh_feedback_trends() claims marks (FOR UPDATE SKIP LOCKED) and
-- recomputes the daily, weekly (ISO, Monday) and monthly UTC periods of the marked days, and the
-- period after each (its churn trend compares with them), from raw feedback.
-- Locks: SHARE ROW EXCLUSIVE on venture.feedback_intelligence (CREATE TRIGGER) and venture.ventures (the
-- foreign key); ROW EXCLUSIVE on governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: the aggregate; one row per venture and period that has feedback.
CREATE TABLE venture.feedback_trends (
    organization_id uuid NOT NULL,
    venture_id uuid NOT NULL,
    period_type text NOT NULL,
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    total_feedback_count integer NOT NULL,
    average_sentiment numeric(5, 4),
    satisfaction_score numeric(5, 4),
    sentiment_distribution jsonb NOT NULL,
    priority_distribution jsonb NOT NULL,
    high_churn_risk_count integer NOT NULL,
    average_churn_risk numeric(5, 4),
    churn_risk_trend text,
    top_issues jsonb NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_feedback_trends PRIMARY KEY (organization_id, venture_id, period_type, period_start),
    CONSTRAINT fk_feedback_trends_venture_id FOREIGN KEY (organization_id, venture_id)
        REFERENCES venture.ventures (organization_id, venture_id) ON DELETE CASCADE,
    CONSTRAINT ck_feedback_trends_period_type CHECK (period_type IN ('daily', 'weekly', 'monthly')),
    -- Periods are UTC days, ISO weeks (from Monday) and calendar months.
    CONSTRAINT ck_feedback_trends_period_aligned CHECK (
        period_start = pg_catalog.date_trunc(
            CASE period_type WHEN 'daily' THEN 'day' WHEN 'weekly' THEN 'week' ELSE 'month' END, period_start, 'UTC')
    ),
    CONSTRAINT ck_feedback_trends_period_bounds CHECK (
        period_end > period_start
        AND period_end = (period_start AT TIME ZONE 'UTC' + CASE period_type WHEN 'daily' THEN interval '1 day'
                                                                             WHEN 'weekly' THEN interval '7 days'
                                                                             ELSE interval '1 month' END) AT TIME ZONE 'UTC'
    ),
    CONSTRAINT ck_feedback_trends_counts_non_negative CHECK (total_feedback_count >= 0 AND high_churn_risk_count >= 0),
    CONSTRAINT ck_feedback_trends_high_churn_risk_within_total CHECK (high_churn_risk_count <= total_feedback_count),
    CONSTRAINT ck_feedback_trends_average_sentiment_range CHECK (average_sentiment BETWEEN -1 AND 1),
    CONSTRAINT ck_feedback_trends_satisfaction_score_range CHECK (satisfaction_score BETWEEN 0 AND 1),
    CONSTRAINT ck_feedback_trends_average_churn_risk_range CHECK (average_churn_risk BETWEEN 0 AND 1),
    CONSTRAINT ck_feedback_trends_churn_risk_trend CHECK (churn_risk_trend IN ('improving', 'stable', 'declining')),
    CONSTRAINT ck_feedback_trends_sentiment_distribution_object CHECK (
        pg_catalog.jsonb_typeof(sentiment_distribution) = 'object'
    ),
    CONSTRAINT ck_feedback_trends_priority_distribution_object CHECK (
        pg_catalog.jsonb_typeof(priority_distribution) = 'object'
    ),
    CONSTRAINT ck_feedback_trends_top_issues_array CHECK (pg_catalog.jsonb_typeof(top_issues) = 'array')
);
ALTER TABLE venture.feedback_trends ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.feedback_trends FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE venture.feedback_trends IS
    'Feedback of a venture per UTC day, ISO week and calendar month, recomputed from venture.feedback_intelligence '
    'by venture.refresh_feedback_trends(); never written by hand.';
COMMENT ON COLUMN venture.feedback_trends.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.feedback_trends.venture_id IS 'Venture, same tenant (composite foreign key).';
COMMENT ON COLUMN venture.feedback_trends.period_type IS 'daily (UTC day), weekly (ISO week from Monday, UTC) or monthly (UTC calendar month).';
COMMENT ON COLUMN venture.feedback_trends.period_start IS 'Start of the period, aligned to its type (UTC).';
COMMENT ON COLUMN venture.feedback_trends.period_end IS 'End of the period (exclusive): start plus one day, week or month.';
COMMENT ON COLUMN venture.feedback_trends.total_feedback_count IS 'Feedback received in the period (received_at).';
COMMENT ON COLUMN venture.feedback_trends.average_sentiment IS 'Mean sentiment_score, rounded to 4 decimals, in [-1, 1].';
COMMENT ON COLUMN venture.feedback_trends.satisfaction_score IS 'Overall satisfaction in [0, 1]: (mean sentiment + 1) / 2, rounded to 4 decimals.';
COMMENT ON COLUMN venture.feedback_trends.sentiment_distribution IS
    'Counts by primary emotion: {"joy", "anger", "sadness", "fear", "surprise", "trust", "none"} (none: no emotion detected).';
COMMENT ON COLUMN venture.feedback_trends.priority_distribution IS
    'Counts by priority (urgency) level: {"low", "medium", "high", "critical", "none"} (none: not assessed).';
COMMENT ON COLUMN venture.feedback_trends.high_churn_risk_count IS 'Feedback with churn_risk_score >= 0.7; at most total_feedback_count.';
COMMENT ON COLUMN venture.feedback_trends.average_churn_risk IS 'Mean churn_risk_score, rounded to 4 decimals; NULL when none was scored.';
COMMENT ON COLUMN venture.feedback_trends.churn_risk_trend IS
    'Against the previous period of the same type: improving (mean churn risk down by more than 0.05), declining '
    '(up by more than 0.05) or stable; NULL when either period has no churn risk scored.';
COMMENT ON COLUMN venture.feedback_trends.top_issues IS
    'The 5 issue tags mentioned by the most feedback: [{"issue": tag, "count": n}], by count, then tag (C collation).';
COMMENT ON COLUMN venture.feedback_trends.refreshed_at IS 'When the period was last recomputed.';

-- Why: a work queue, appended by writers and claimed by the refresh; a mark names one venture's UTC day.
CREATE TABLE venture.feedback_trend_marks (
    organization_id uuid NOT NULL,
    venture_id uuid NOT NULL,
    day date NOT NULL,
    mark_id bigint GENERATED ALWAYS AS IDENTITY,
    marked_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_feedback_trend_marks PRIMARY KEY (organization_id, mark_id)
);
ALTER TABLE venture.feedback_trend_marks ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.feedback_trend_marks FORCE ROW LEVEL SECURITY;
-- Why: the refresh claims the oldest marks first, across tenants.
CREATE INDEX idx_feedback_trend_marks_mark_id ON venture.feedback_trend_marks (mark_id);

COMMENT ON TABLE venture.feedback_trend_marks IS
    'Queue of (venture, UTC day) whose trends may be stale: appended by the triggers of venture.feedback_intelligence, '
    'claimed and removed by venture.refresh_feedback_trends(). No foreign key: a mark of a deleted venture recomputes nothing.';
COMMENT ON COLUMN venture.feedback_trend_marks.organization_id IS 'Tenant of the venture; part of the key.';
COMMENT ON COLUMN venture.feedback_trend_marks.mark_id IS 'Increasing id: the refresh claims the oldest marks first.';
COMMENT ON COLUMN venture.feedback_trend_marks.venture_id IS 'Venture whose feedback of the day was written.';
COMMENT ON COLUMN venture.feedback_trend_marks.day IS 'UTC day of the written feedback (received_at).';
COMMENT ON COLUMN venture.feedback_trend_marks.marked_at IS 'When the writing transaction started.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('venture', 'feedback_trends', 'organization_id', 'internal'),
    ('venture', 'feedback_trends', 'venture_id', 'internal'),
    ('venture', 'feedback_trends', 'period_type', 'internal'),
    ('venture', 'feedback_trends', 'period_start', 'internal'),
    ('venture', 'feedback_trends', 'period_end', 'internal'),
    ('venture', 'feedback_trends', 'total_feedback_count', 'confidential'),
    ('venture', 'feedback_trends', 'average_sentiment', 'confidential'),
    ('venture', 'feedback_trends', 'satisfaction_score', 'confidential'),
    ('venture', 'feedback_trends', 'sentiment_distribution', 'confidential'),
    ('venture', 'feedback_trends', 'priority_distribution', 'confidential'),
    ('venture', 'feedback_trends', 'high_churn_risk_count', 'confidential'),
    ('venture', 'feedback_trends', 'average_churn_risk', 'confidential'),
    ('venture', 'feedback_trends', 'churn_risk_trend', 'confidential'),
    ('venture', 'feedback_trends', 'top_issues', 'confidential'),
    ('venture', 'feedback_trends', 'refreshed_at', 'internal'),
    ('venture', 'feedback_trend_marks', 'organization_id', 'internal'),
    ('venture', 'feedback_trend_marks', 'venture_id', 'internal'),
    ('venture', 'feedback_trend_marks', 'day', 'internal'),
    ('venture', 'feedback_trend_marks', 'mark_id', 'internal'),
    ('venture', 'feedback_trend_marks', 'marked_at', 'internal');

-- Why: every statement that writes feedback marks the (venture, UTC day) pairs it touched, in its own
-- transaction: a mark becomes visible together with the feedback it marks. Marks are only appended,
-- so writers never wait for each other or for a refresher. SECURITY DEFINER: the app roles hold no
-- privilege on the queue; app.all_tenants = 'on' (set for the call, then restored) is the owner's
-- explicit opt-out of tenant filtering.
CREATE FUNCTION venture.tg_feedback_intelligence_mark_trends() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
BEGIN
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO venture.feedback_trend_marks (organization_id, venture_id, day)
        SELECT DISTINCT r.organization_id, r.venture_id, (r.received_at AT TIME ZONE 'UTC')::date
        FROM new_rows AS r ORDER BY 1, 2, 3;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO venture.feedback_trend_marks (organization_id, venture_id, day)
        SELECT DISTINCT r.organization_id, r.venture_id, (r.received_at AT TIME ZONE 'UTC')::date
        FROM old_rows AS r ORDER BY 1, 2, 3;
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION venture.tg_feedback_intelligence_mark_trends() IS
    'Statement trigger of venture.feedback_intelligence: appends a mark per (organization, venture, UTC day) written.';
REVOKE EXECUTE ON FUNCTION venture.tg_feedback_intelligence_mark_trends() FROM PUBLIC;

CREATE TRIGGER trg_feedback_intelligence_mark_trends_insert
    AFTER INSERT ON venture.feedback_intelligence
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION venture.tg_feedback_intelligence_mark_trends();
CREATE TRIGGER trg_feedback_intelligence_mark_trends_update
    AFTER UPDATE ON venture.feedback_intelligence
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION venture.tg_feedback_intelligence_mark_trends();
CREATE TRIGGER trg_feedback_intelligence_mark_trends_delete
    AFTER DELETE ON venture.feedback_intelligence
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION venture.tg_feedback_intelligence_mark_trends();

-- Why: one definition of "which periods does a day of feedback affect", used by both statements of the
-- refresh: the day's daily, weekly and monthly periods (UTC), and the period after each, whose churn
-- trend is computed against them.
CREATE FUNCTION venture.trend_periods_of_days(p_organization_ids uuid [], p_venture_ids uuid [], p_days date [])
RETURNS TABLE (organization_id uuid, venture_id uuid, period_type text, period_start timestamptz, period_end timestamptz)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT DISTINCT k.organization_id, k.venture_id, t.period_type,
           s.local_start AT TIME ZONE 'UTC', (s.local_start + t.length) AT TIME ZONE 'UTC'
    FROM ROWS FROM (pg_catalog.unnest(p_organization_ids), pg_catalog.unnest(p_venture_ids), pg_catalog.unnest(p_days))
        AS k (organization_id, venture_id, day)
    CROSS JOIN (VALUES ('daily', 'day', interval '1 day'), ('weekly', 'week', interval '7 days'),
                       ('monthly', 'month', interval '1 month')) AS t (period_type, unit, length)
    CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc(t.unit, k.day::timestamp) AS first_start) AS b
    CROSS JOIN LATERAL (VALUES (b.first_start), (b.first_start + t.length)) AS s (local_start)
$fn$;
COMMENT ON FUNCTION venture.trend_periods_of_days(uuid [], uuid [], date []) IS
    'Trend periods (daily, weekly, monthly; UTC) to recompute for the given (organization, venture, day) triples: '
    'the periods containing each day and the period after each.';
REVOKE EXECUTE ON FUNCTION venture.trend_periods_of_days(uuid [], uuid [], date []) FROM PUBLIC;

-- Why: the only writer of the trends. Step by step:
-- 1. claim marks, oldest first (FOR UPDATE SKIP LOCKED: concurrent refreshers take different marks);
-- 2. take a transaction advisory lock per claimed venture, in venture order (no deadlock): two
--    refreshers whose marks share a week or month write its row one after the other, and the second
--    one's statements start after the first committed, so they see its feedback and its rows;
-- 3. delete the affected periods' rows and insert them again from raw feedback (a period left with
--    no feedback keeps no row).
-- Scratch state is kept in arrays, not temporary tables (none in SECURITY DEFINER functions).
CREATE FUNCTION venture.refresh_feedback_trends(p_max_marks integer DEFAULT NULL)
RETURNS TABLE (marks bigint, periods bigint, trend_rows bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_organization_ids uuid [];
    v_venture_ids uuid [];
    v_days date [];
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
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);

    -- 1. Claim.
    WITH claimed AS (
        DELETE FROM venture.feedback_trend_marks AS m
        WHERE (m.organization_id, m.mark_id) IN (
            SELECT q.organization_id, q.mark_id FROM venture.feedback_trend_marks AS q
            ORDER BY q.mark_id LIMIT p_max_marks FOR UPDATE SKIP LOCKED)
        RETURNING m.organization_id, m.venture_id, m.day
    ),
    distinct_days AS (SELECT DISTINCT c.organization_id, c.venture_id, c.day FROM claimed AS c)
    SELECT (SELECT pg_catalog.count(*) FROM claimed),
           pg_catalog.array_agg(d.organization_id ORDER BY d.organization_id, d.venture_id, d.day),
           pg_catalog.array_agg(d.venture_id ORDER BY d.organization_id, d.venture_id, d.day),
           pg_catalog.array_agg(d.day ORDER BY d.organization_id, d.venture_id, d.day)
    INTO marks, v_organization_ids, v_venture_ids, v_days
    FROM distinct_days AS d;
    periods := 0;
    trend_rows := 0;
    IF marks = 0 THEN
        PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
        RETURN NEXT;
        RETURN;
    END IF;

    -- 2. One refresher per venture at a time.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('venture.feedback_trends'),
                                             pg_catalog.hashtext(v.venture_id::text))
    FROM (SELECT DISTINCT u.venture_id FROM pg_catalog.unnest(v_venture_ids) AS u (venture_id) ORDER BY 1) AS v;

    -- 3. Replace the affected periods from raw feedback (each statement sees what earlier refreshers committed).
    DELETE FROM venture.feedback_trends AS t
    USING venture.trend_periods_of_days(v_organization_ids, v_venture_ids, v_days) AS p
    WHERE t.organization_id = p.organization_id AND t.venture_id = p.venture_id
      AND t.period_type = p.period_type AND t.period_start = p.period_start;
    SELECT pg_catalog.count(*) INTO periods FROM venture.trend_periods_of_days(v_organization_ids, v_venture_ids, v_days);

    INSERT INTO venture.feedback_trends (
        organization_id, venture_id, period_type, period_start, period_end, total_feedback_count, average_sentiment,
        satisfaction_score, sentiment_distribution, priority_distribution, high_churn_risk_count, average_churn_risk,
        churn_risk_trend, top_issues
    )
    SELECT p.organization_id, p.venture_id, p.period_type, p.period_start, p.period_end, a.total,
           pg_catalog.round(a.mean_sentiment, 4), pg_catalog.round((a.mean_sentiment + 1) / 2, 4),
           a.sentiment_distribution, a.priority_distribution, a.high_churn_risk, pg_catalog.round(a.mean_churn_risk, 4),
           CASE WHEN a.mean_churn_risk IS NULL OR b.mean_churn_risk IS NULL THEN NULL
                WHEN pg_catalog.round(a.mean_churn_risk, 4) < pg_catalog.round(b.mean_churn_risk, 4) - 0.05 THEN 'improving'
                WHEN pg_catalog.round(a.mean_churn_risk, 4) > pg_catalog.round(b.mean_churn_risk, 4) + 0.05 THEN 'declining'
                ELSE 'stable' END,
           i.top_issues
    FROM venture.trend_periods_of_days(v_organization_ids, v_venture_ids, v_days) AS p
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
        WHERE f.organization_id = p.organization_id AND f.venture_id = p.venture_id
          AND f.received_at >= p.period_start AND f.received_at < p.period_end
    ) AS a
    CROSS JOIN LATERAL (
        SELECT pg_catalog.avg(f.churn_risk_score) AS mean_churn_risk
        FROM venture.feedback_intelligence AS f
        WHERE f.organization_id = p.organization_id AND f.venture_id = p.venture_id
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
            WHERE f.organization_id = p.organization_id AND f.venture_id = p.venture_id
              AND f.received_at >= p.period_start AND f.received_at < p.period_end
            GROUP BY g.tag
            ORDER BY 2 DESC, g.tag COLLATE "C"
            LIMIT 5
        ) AS x
    ) AS i
    WHERE a.total > 0;
    GET DIAGNOSTICS trend_rows = ROW_COUNT;

    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION venture.refresh_feedback_trends(integer) IS
    'Claims the oldest p_max_marks marks of venture.feedback_trend_marks (NULL: all) and recomputes the trend periods '
    'they affect from raw feedback; idempotent and safe to run concurrently (READ COMMITTED). '
    'Returns marks claimed, periods recomputed and trend rows written.';
REVOKE EXECUTE ON FUNCTION venture.refresh_feedback_trends(integer) FROM PUBLIC;

-- Why: a way to recompute a time range on purpose (trends rebuilt, raw data fixed by hand): marks every
-- (venture, UTC day) with feedback or trends in [p_from, p_to).
CREATE FUNCTION venture.mark_feedback_trends_dirty(p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_marked bigint;
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR p_from >= p_to THEN
        RAISE EXCEPTION 'mark_feedback_trends_dirty needs p_from < p_to, not [%, %)', p_from, p_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    INSERT INTO venture.feedback_trend_marks (organization_id, venture_id, day)
    SELECT d.organization_id, d.venture_id, d.day
    FROM (
        SELECT f.organization_id, f.venture_id, (f.received_at AT TIME ZONE 'UTC')::date AS day
        FROM venture.feedback_intelligence AS f WHERE f.received_at >= p_from AND f.received_at < p_to
        UNION
        SELECT t.organization_id, t.venture_id, (t.period_start AT TIME ZONE 'UTC')::date
        FROM venture.feedback_trends AS t WHERE t.period_start >= p_from AND t.period_start < p_to
    ) AS d
    ORDER BY 1, 2, 3;
    GET DIAGNOSTICS v_marked = ROW_COUNT;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN v_marked;
END
$fn$;
COMMENT ON FUNCTION venture.mark_feedback_trends_dirty(timestamptz, timestamptz) IS
    'Marks for recomputation every (organization, venture, UTC day) with feedback or trend periods starting in '
    '[p_from, p_to); returns the number of marks. The next venture.refresh_feedback_trends() recomputes them. For maintenance.';
REVOKE EXECUTE ON FUNCTION venture.mark_feedback_trends_dirty(timestamptz, timestamptz) FROM PUBLIC;

RESET ROLE;

-- Why: a scheduler connected as a service refreshes the trends; marking ranges is maintenance (owner only).
GRANT EXECUTE ON FUNCTION venture.refresh_feedback_trends(integer) TO app_rw;
