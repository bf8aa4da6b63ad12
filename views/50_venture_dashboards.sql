-- View: venture dashboards (venture.persona_priorities, venture.feedback_sentiment_trends)
-- The questions the seeds' dashboards ask: a venture's live personas by priority with how much of
-- their journey is mapped, and the sentiment trend and churn risk of a venture by period. Both are
-- security_invoker: the caller's privileges and RLS apply, so they show the current tenant only.

SET LOCAL ROLE app_owner;

-- Why: one place that derives journey coverage (live stages of 1-4) per live persona.
CREATE OR REPLACE VIEW venture.persona_priorities WITH (security_invoker = true) AS
SELECT
    p.organization_id,
    p.venture_id,
    p.persona_id,
    p.persona_name,
    p.persona_type,
    p.priority_rank,
    p.ai_confidence_score,
    coalesce(j.stages_mapped, 0) AS journey_stages_mapped,
    round(coalesce(j.stages_mapped, 0) / 4.0, 2) AS journey_coverage,
    array(
        SELECT s.stage FROM generate_series(1, 4) AS s (stage)
        WHERE s.stage <> ALL (coalesce(j.stages, '{}'))
        ORDER BY s.stage
    ) AS journey_stages_missing
FROM venture.customer_personas AS p
LEFT JOIN LATERAL (
    SELECT count(*)::integer AS stages_mapped, array_agg(cj.stage::integer ORDER BY cj.stage) AS stages
    FROM venture.customer_journeys AS cj
    WHERE cj.organization_id = p.organization_id AND cj.persona_id = p.persona_id AND cj.deleted_at IS NULL
) AS j ON true
WHERE p.deleted_at IS NULL;

COMMENT ON VIEW venture.persona_priorities IS
    'Live personas per venture with their priority and journey coverage (live stages of 1-4). Caller''s RLS applies; '
    'order by (venture_id, priority_rank).';
COMMENT ON COLUMN venture.persona_priorities.journey_stages_mapped IS 'Live journey stages of the persona (0-4).';
COMMENT ON COLUMN venture.persona_priorities.journey_coverage IS 'journey_stages_mapped / 4, rounded to 2 decimals.';
COMMENT ON COLUMN venture.persona_priorities.journey_stages_missing IS 'Stage numbers (1-4) with no live journey row.';

REVOKE ALL ON venture.persona_priorities FROM app_rw, app_ro;
GRANT SELECT ON venture.persona_priorities TO app_rw, app_ro;

-- Why: sentiment and churn risk by period as the trend dashboard shows them, from the refreshed trends.
CREATE OR REPLACE VIEW venture.feedback_sentiment_trends WITH (security_invoker = true) AS
SELECT
    t.organization_id,
    t.venture_id,
    v.name AS venture_name,
    t.period_type,
    t.period_start,
    t.period_end,
    t.total_feedback_count,
    t.average_sentiment,
    t.average_sentiment - lag(t.average_sentiment) OVER w AS sentiment_change,
    t.satisfaction_score,
    t.high_churn_risk_count,
    round(t.high_churn_risk_count::numeric / nullif(t.total_feedback_count, 0), 4) AS high_churn_risk_share,
    t.average_churn_risk,
    t.churn_risk_trend,
    t.top_issues
FROM venture.feedback_trends AS t
JOIN venture.ventures AS v ON v.organization_id = t.organization_id AND v.venture_id = t.venture_id
WINDOW w AS (PARTITION BY t.organization_id, t.venture_id, t.period_type ORDER BY t.period_start);

COMMENT ON VIEW venture.feedback_sentiment_trends IS
    'Sentiment trend and churn risk of each venture by period (daily, weekly, monthly), from venture.feedback_trends. '
    'Caller''s RLS applies.';
COMMENT ON COLUMN venture.feedback_sentiment_trends.sentiment_change IS
    'average_sentiment minus that of the previous period with feedback of the same type; NULL for the first.';
COMMENT ON COLUMN venture.feedback_sentiment_trends.high_churn_risk_share IS
    'high_churn_risk_count / total_feedback_count, rounded to 4 decimals.';

REVOKE ALL ON venture.feedback_sentiment_trends FROM app_rw, app_ro;
GRANT SELECT ON venture.feedback_sentiment_trends TO app_rw, app_ro;

RESET ROLE;
