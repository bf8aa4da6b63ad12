-- Migration: customer_sentiment_history
-- Inverse of the up file: drops venture.customer_sentiment_history, its trigger function and its
-- classification rows.
-- Locks: ACCESS EXCLUSIVE on venture.ventures, venture.customers and
-- venture.feedback_intelligence (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications
WHERE schema_name = 'venture' AND table_name = 'customer_sentiment_history';

-- Why: indexes, policies and triggers go with the table; then the trigger's function.
DROP TABLE venture.customer_sentiment_history;
DROP FUNCTION venture.tg_customer_sentiment_history_link_previous();
