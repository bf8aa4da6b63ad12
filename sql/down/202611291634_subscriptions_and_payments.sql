-- Migration: subscriptions_and_payments
-- Drops the payments and subscriptions tables and their classification rows.
-- Locks: ACCESS EXCLUSIVE on conversational.payments and conversational.subscriptions (DROP TABLE); SHARE ROW EXCLUSIVE on conversational.businesses

SET LOCAL ROLE app_owner;

DELETE FROM governance.column_classifications
WHERE schema_name = 'conversational' AND table_name IN ('payments', 'subscriptions');
DROP TABLE conversational.payments;
DROP TABLE conversational.subscriptions;

RESET ROLE;
