-- Migration: customer_erasure
-- Makes a tenant's customers erasable through the governance erasure flow, the way 202611291200
-- (erasure handlers) documents: registers the subject kind 'customer', lets an erasure request name a
-- customer (governance.erasure_requests.customer_id, a composite foreign key into venture.customers,
-- set exactly for customer requests), and registers the handler venture.erase_customer(), which
-- governance.complete_erasure_request() runs: it deletes the customer's sentiment history and
-- feedback (the free text is personal data; the trends lose the customer's contribution at their next
-- refresh, since deleting feedback marks its days) and removes the customer's external reference,
-- leaving a pseudonymous tombstone with erased_at.
-- Locks: ACCESS EXCLUSIVE on governance.erasure_requests (ADD COLUMN without a default, ADD
-- CONSTRAINT; catalog-only and brief: the table is small), SHARE ROW EXCLUSIVE on venture.customers
-- (the foreign key), SHARE on governance.erasure_requests (CREATE INDEX); ROW EXCLUSIVE on
-- governance.erasure_subjects, governance.erasure_handlers and governance.column_classifications.

SET LOCAL ROLE app_owner;

-- Why: customers are a kind of person the platform did not know how to erase.
INSERT INTO governance.erasure_subjects (subject_type, description)
VALUES ('customer', 'An end customer of an organization (venture.customers); erasure_requests.customer_id names them.');

-- Why: a request names the customer with a composite key (same tenant), kept while the request is (RESTRICT).
ALTER TABLE governance.erasure_requests ADD COLUMN customer_id uuid;
COMMENT ON COLUMN governance.erasure_requests.customer_id IS
    'Customer to erase when subject_type = ''customer'' (composite foreign key: same tenant); NULL otherwise.';
ALTER TABLE governance.erasure_requests
    ADD CONSTRAINT fk_erasure_requests_customer_id FOREIGN KEY (organization_id, customer_id)
        REFERENCES venture.customers (organization_id, customer_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE governance.erasure_requests VALIDATE CONSTRAINT fk_erasure_requests_customer_id; -- noqa: SQ-constraint-missing-not-valid the column is new and empty: validating is a short scan
ALTER TABLE governance.erasure_requests
    ADD CONSTRAINT ck_erasure_requests_customer_subject
        CHECK ((subject_type = 'customer') = (customer_id IS NOT NULL)) NOT VALID;
ALTER TABLE governance.erasure_requests VALIDATE CONSTRAINT ck_erasure_requests_customer_subject; -- noqa: SQ-constraint-missing-not-valid one row per erasure request: validating is a short scan
CREATE INDEX idx_erasure_requests_organization_id_customer_id ON governance.erasure_requests (organization_id, customer_id); -- noqa: SQ-require-concurrent-index-creation one row per erasure request: a short build

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note)
VALUES ('governance', 'erasure_requests', 'customer_id', 'internal', 'pseudonymous customer id');

-- Why: the venture domain's handler. Not SECURITY DEFINER: it runs as the owner inside
-- governance.complete_erasure_request(), with the request's tenant set, so FORCE RLS confines it to
-- that tenant. History first: its rows reference the feedback (and each other: the whole chain goes in
-- one statement). Idempotent: a second run finds nothing to delete and an external_ref already NULL.
CREATE FUNCTION venture.erase_customer(p_request governance.erasure_requests) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_history bigint;
    v_feedback bigint;
    v_customers bigint;
BEGIN
    DELETE FROM venture.customer_sentiment_history AS h
    WHERE h.organization_id = p_request.organization_id AND h.customer_id = p_request.customer_id;
    GET DIAGNOSTICS v_history = ROW_COUNT;

    DELETE FROM venture.feedback_intelligence AS f
    WHERE f.organization_id = p_request.organization_id AND f.customer_id = p_request.customer_id;
    GET DIAGNOSTICS v_feedback = ROW_COUNT;

    UPDATE venture.customers AS c
    SET external_ref = NULL, erased_at = coalesce(c.erased_at, pg_catalog.now())
    WHERE c.organization_id = p_request.organization_id AND c.customer_id = p_request.customer_id
      AND (c.external_ref IS NOT NULL OR c.erased_at IS NULL);
    GET DIAGNOSTICS v_customers = ROW_COUNT;
    RETURN v_history + v_feedback + v_customers;
END
$fn$;
COMMENT ON FUNCTION venture.erase_customer(governance.erasure_requests) IS
    'Erasure handler (subject customer): deletes the customer''s sentiment history and feedback and removes their external '
    'reference (erased_at set). Called only by governance.complete_erasure_request(); returns the rows changed.';
REVOKE EXECUTE ON FUNCTION venture.erase_customer(governance.erasure_requests) FROM PUBLIC;

INSERT INTO governance.erasure_handlers (subject_type, handler, run_order, description)
VALUES ('customer', 'venture.erase_customer(governance.erasure_requests)', 100,
        'Deletes venture.customer_sentiment_history and venture.feedback_intelligence of the customer and removes '
        'venture.customers.external_ref; trends follow at their next refresh.');

RESET ROLE;
