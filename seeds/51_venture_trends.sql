-- Seed: venture trends (the refresh of the feedback of seeds/50_ventures.sql)
-- Idempotent: refreshes whatever is marked. A file of its own so that on Citus the refresh (as the
-- owner role) commits apart from the migrator's writes before and after it.

-- Why: the trends of the seeded feedback (all marked days of every tenant).
SELECT * FROM venture.refresh_feedback_trends();
