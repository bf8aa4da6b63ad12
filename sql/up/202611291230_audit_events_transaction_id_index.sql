-- Migration: audit_events_transaction_id_index
-- dbrun: transactional=false
-- Indexes audit.events by transaction for the hash chain (next migration): audit.seal_events()
-- links only events of transactions at or after the horizon of its previous run (every older
-- transaction had finished by then, so its events were sealed then), and finds them through this
-- index instead of scanning the whole log. Built CONCURRENTLY: the audit triggers keep writing.
-- If the build fails it leaves an INVALID index (the built-in post-check names it): drop it with
-- DROP INDEX CONCURRENTLY audit.idx_events_transaction_id, then run dbrun up again.
-- Locks: SHARE UPDATE EXCLUSIVE on audit.events (CREATE INDEX CONCURRENTLY): reads and writes continue.

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_transaction_id ON audit.events (transaction_id);
