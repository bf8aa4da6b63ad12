-- Check: no erasure request is still pending past its due date (at most 30 days after it was
-- made), in any tenant: the specification requires personal data erased within 30 days.
-- Complete them with governance.complete_erasure_request(id) (or reject them).
-- dbrun: requires=governance.overdue_erasure_requests()
SELECT o.organization_id, o.erasure_request_id, o.subject_type, o.requested_at, o.due_at
FROM governance.overdue_erasure_requests() AS o
ORDER BY o.due_at;
