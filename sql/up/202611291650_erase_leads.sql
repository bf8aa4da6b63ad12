-- Migration: erase_leads
-- Leads' name, email and phone (and the end user's channel id and free-form extra data) are personal
-- data and erasable through the governance erasure flow, the way 202611291200 (erasure handlers)
-- documents: registers the subject kind 'lead', lets an erasure request name a lead
-- (governance.erasure_requests.lead_id, a composite foreign key into conversational.leads, set exactly
-- for lead requests), and registers the handler conversational.erase_lead(), which
-- governance.complete_erasure_request() runs (plpgsql, VOLATILE, pinned search_path, idempotent,
-- returns the rows changed, executable by nobody but the owner the completion function runs as).
-- Locks: ACCESS EXCLUSIVE on governance.erasure_requests (ADD COLUMN without a default, ADD
-- CONSTRAINT; catalog-only and brief: the table is small), SHARE ROW EXCLUSIVE on conversational.leads
-- (the foreign key), SHARE on governance.erasure_requests (CREATE INDEX); ROW EXCLUSIVE on
-- governance.erasure_subjects, governance.erasure_handlers and governance.column_classifications.

SET LOCAL ROLE app_owner;

-- Why: leads are a kind of person the platform did not know how to erase.
INSERT INTO governance.erasure_subjects (subject_type, description)
VALUES ('lead', 'A lead captured by a conversational business (conversational.leads); erasure_requests.lead_id names them.');

-- Why: a request names the lead with a composite key (same tenant), kept while the request is (RESTRICT).
ALTER TABLE governance.erasure_requests ADD COLUMN lead_id bigint;
COMMENT ON COLUMN governance.erasure_requests.lead_id IS
    'Lead to erase when subject_type = ''lead'' (conversational.leads, composite foreign key: same tenant); NULL otherwise.';
ALTER TABLE governance.erasure_requests
    ADD CONSTRAINT fk_erasure_requests_lead_id FOREIGN KEY (organization_id, lead_id)
        REFERENCES conversational.leads (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE governance.erasure_requests VALIDATE CONSTRAINT fk_erasure_requests_lead_id; -- noqa: SQ-constraint-missing-not-valid the column is new and empty: validating is a short scan
ALTER TABLE governance.erasure_requests
    ADD CONSTRAINT ck_erasure_requests_lead_subject
        CHECK ((subject_type = 'lead') = (lead_id IS NOT NULL)) NOT VALID;
ALTER TABLE governance.erasure_requests VALIDATE CONSTRAINT ck_erasure_requests_lead_subject; -- noqa: SQ-constraint-missing-not-valid one row per erasure request: validating is a short scan
CREATE INDEX idx_erasure_requests_organization_id_lead_id ON governance.erasure_requests (organization_id, lead_id); -- noqa: SQ-require-concurrent-index-creation one row per erasure request: a short build

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('governance', 'erasure_requests', 'lead_id', 'internal');

-- Why: the conversational domain's handler: every personal value of the lead, nulled or emptied. Not
-- SECURITY DEFINER: it runs as the owner inside governance.complete_erasure_request(), with the
-- request's tenant set, so FORCE RLS confines it to that tenant. Idempotent: a second run changes nothing.
CREATE FUNCTION conversational.erase_lead(p_request governance.erasure_requests) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_rows bigint;
BEGIN
    UPDATE conversational.leads AS l
    SET name = NULL, email = NULL, phone = NULL, user_id = 'erased:' || l.id::text, extra_data = '{}'
    WHERE l.organization_id = p_request.organization_id AND l.id = p_request.lead_id
      AND (l.name IS NOT NULL OR l.email IS NOT NULL OR l.phone IS NOT NULL
           OR l.user_id <> 'erased:' || l.id::text OR l.extra_data <> '{}');
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END
$fn$;
COMMENT ON FUNCTION conversational.erase_lead(governance.erasure_requests) IS
    'Erasure handler (subject lead): nulls name, email, phone, replaces the channel user id, empties extra_data. '
    'Called only by governance.complete_erasure_request(); returns the rows changed.';
REVOKE EXECUTE ON FUNCTION conversational.erase_lead(governance.erasure_requests) FROM PUBLIC;

INSERT INTO governance.erasure_handlers (subject_type, handler, run_order, description)
VALUES ('lead', 'conversational.erase_lead(governance.erasure_requests)', 100,
        'Nulls conversational.leads name, email and phone, replaces the channel user id and empties extra_data.');

RESET ROLE;
