-- Migration: customer_journeys
-- Inverse of the up file: drops the repeatable view that reads journeys, venture.customer_journeys
-- and its classification rows.
-- Locks: ACCESS EXCLUSIVE on venture.customer_personas (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications (DELETE).

-- Why: the repeatable views/50_venture_dashboards.sql reads journeys; its view goes first.
DROP VIEW IF EXISTS venture.persona_priorities;

DELETE FROM governance.column_classifications WHERE schema_name = 'venture' AND table_name = 'customer_journeys';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE venture.customer_journeys;
