-- Migration: client_subscriptions
-- Inverse of the up file: drops agency.client_subscriptions and its classification rows.
-- Locks: ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'agency' AND table_name = 'client_subscriptions';
DROP TABLE agency.client_subscriptions;
