-- Migration: market_segments
-- Inverse of the up file: drops venture.market_segments and its classification rows.
-- Locks: ACCESS EXCLUSIVE on venture.ventures (dropping the table drops its foreign keys'
-- triggers there); ROW EXCLUSIVE on governance.column_classifications (DELETE).

DELETE FROM governance.column_classifications WHERE schema_name = 'venture' AND table_name = 'market_segments';

-- Why: indexes, policies and triggers go with the table.
DROP TABLE venture.market_segments;
