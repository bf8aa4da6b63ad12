-- Migration: audit_events_transaction_id_index
-- dbrun: transactional=false
-- Inverse of the up file: drops the index without blocking the audit triggers.
-- Locks: SHARE UPDATE EXCLUSIVE on audit.events (DROP INDEX CONCURRENTLY): reads and writes continue.

DROP INDEX CONCURRENTLY IF EXISTS audit.idx_events_transaction_id;
