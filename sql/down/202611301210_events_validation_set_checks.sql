-- Migration: events_validation_set_checks
-- Inverse of the up file: usage.tg_events_validate() as 202611291405 defined it (a primary-key probe
-- per distinct (organization, key) of the batch, costs in numeric arithmetic).
-- Locks: none on data (function definition only).

SET LOCAL ROLE app_owner;

-- Why: the checks must see every organization of a batch, which the ingest role itself cannot.
CREATE OR REPLACE FUNCTION usage.tg_events_validate() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_org uuid;
    v_key uuid;
    v_org_known boolean;
    v_bad bigint;
    v_request text;
    v_cost numeric;
    v_expected numeric;
BEGIN
    -- For this call only, restored below (an error aborts the (sub)transaction, which restores it too).
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    -- One primary-key probe per distinct (organization, key) of the batch: the key when there is one
    -- (a key's row implies its organization through the keys' foreign keys), else the organization.
    -- LATERAL ... LIMIT 1 keeps it a probe: under the cross-tenant policy the planner misjudges the
    -- tables' sizes and hashed both of them whole for every batch.
    SELECT n.organization_id, n.api_key_id INTO v_org, v_key
    FROM (SELECT DISTINCT r.organization_id, r.api_key_id FROM new_rows AS r) AS n
    LEFT JOIN LATERAL (
        SELECT true AS known FROM core.api_keys AS k
        WHERE n.api_key_id IS NOT NULL AND k.organization_id = n.organization_id AND k.api_key_id = n.api_key_id
        UNION ALL
        SELECT true FROM core.organizations AS o
        WHERE n.api_key_id IS NULL AND o.organization_id = n.organization_id
        LIMIT 1) AS v ON true
    WHERE v.known IS NULL
    ORDER BY n.organization_id, n.api_key_id
    LIMIT 1;
    IF FOUND THEN
        v_org_known := EXISTS (SELECT FROM core.organizations AS o WHERE o.organization_id = v_org);
        IF NOT v_org_known THEN
            RAISE EXCEPTION 'usage.events: unknown organization %', v_org
                USING ERRCODE = 'foreign_key_violation', HINT = 'events must belong to an existing organization';
        END IF;
        RAISE EXCEPTION 'usage.events: API key % is not a key of organization %', v_key, v_org
            USING ERRCODE = 'foreign_key_violation';
    END IF;

    SELECT pg_catalog.count(*), pg_catalog.min(r.request_id) INTO v_bad, v_request
    FROM new_rows AS r
    JOIN core.models AS m ON m.model_id = r.model_id
    WHERE r.cost <> pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6);
    IF v_bad > 0 THEN
        SELECT r.cost, pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6)
        INTO v_cost, v_expected
        FROM new_rows AS r
        JOIN core.models AS m ON m.model_id = r.model_id
        WHERE r.request_id = v_request
          AND r.cost <> pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6)
        LIMIT 1;
        RAISE EXCEPTION 'usage.events: cost % of request % does not match the model''s prices (expected %)',
            v_cost, v_request, v_expected
            USING ERRCODE = 'check_violation',
                  DETAIL = format('%s row(s) of the statement have a cost that differs from the model''s prices.', v_bad),
                  HINT = 'cost = round((tokens_in * input_cost_per_1k + tokens_out * output_cost_per_1k) / 1000, 6)';
    END IF;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
    RETURN NULL;
END
$fn$;

RESET ROLE;
