-- Migration: feedback_trends
-- Inverse of the up file: drops the repeatable view that reads the trends, the refresh and marking
-- functions, the marking triggers of venture.feedback_intelligence, the trends, the queue and their
-- classification rows.
-- Locks: ACCESS EXCLUSIVE on venture.feedback_intelligence (DROP TRIGGER) and venture.ventures (the
-- trends' foreign key); ROW EXCLUSIVE on
-- governance.column_classifications (DELETE).

-- Why: the repeatable views/50_venture_dashboards.sql reads the trends; its view goes first.
DROP VIEW IF EXISTS venture.feedback_sentiment_trends;

DROP FUNCTION venture.mark_feedback_trends_dirty(timestamptz, timestamptz);
DROP FUNCTION venture.refresh_feedback_trends(integer);
DROP FUNCTION venture.trend_periods_of_days(uuid [], uuid [], date []);
DROP TRIGGER trg_feedback_intelligence_mark_trends_delete ON venture.feedback_intelligence;
DROP TRIGGER trg_feedback_intelligence_mark_trends_update ON venture.feedback_intelligence;
DROP TRIGGER trg_feedback_intelligence_mark_trends_insert ON venture.feedback_intelligence;
DROP FUNCTION venture.tg_feedback_intelligence_mark_trends();

DELETE FROM governance.column_classifications
WHERE schema_name = 'venture' AND table_name IN ('feedback_trends', 'feedback_trend_marks');

DROP TABLE venture.feedback_trend_marks;
DROP TABLE venture.feedback_trends;
