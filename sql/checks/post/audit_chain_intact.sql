-- Check: the audit hash chain is intact: every sealed event matches its payload checksum and its
-- link (audit.verify_chain()). The first row is the first broken event: an event or a link was
-- rewritten or removed after it was sealed. Unsealed events are not covered (audit.seal_events()).
-- dbrun: requires=audit.chain_links
SELECT v.chain_seq, v.event_id, v.problem
FROM audit.verify_chain() AS v
ORDER BY v.chain_seq;
