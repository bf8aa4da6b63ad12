-- Migration: customer_personas
-- Inverse of the up file: drops the repeatable view that reads personas, venture.customer_personas,
-- its classification rows and the array helper.
-- Locks: ACCESS EXCLUSIVE on venture.ventures (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications (DELETE).

-- Why: the repeatable views/50_venture_dashboards.sql reads personas; its view goes first.
DROP VIEW IF EXISTS venture.persona_priorities;

DELETE FROM governance.column_classifications WHERE schema_name = 'venture' AND table_name = 'customer_personas';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE venture.customer_personas;
DROP FUNCTION app.is_nonempty_text_list(text []);
