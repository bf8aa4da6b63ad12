-- Migration: backfill_client_workflows
-- Inverse of the up file: deletes exactly the workflows the backfill created (metadata.backfill =
-- 202611291531), also after a half-done run; packages pointing at them lose the reference (SET NULL).
-- Locks: ROW EXCLUSIVE on agency.orchestration_workflows.

DELETE FROM agency.orchestration_workflows WHERE metadata ->> 'backfill' = '202611291531';
