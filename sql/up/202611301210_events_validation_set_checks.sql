-- Migration: events_validation_set_checks
-- The schema's own cost on the ingest path (validation trigger and rollup marks) measured +41 % of
-- server CPU over the same table without its triggers at bench scale 1 (goal: at most 25 %). Nearly
-- all of it was usage.tg_events_validate(): per distinct (organization, key) of a batch, i.e. per
-- event at the specification's density, a nested-loop probe of core.api_keys (a LATERAL subquery
-- with a UNION ALL and a LIMIT, rescanned by the executor for every pair), and per event the cost
-- recomputed in numeric arithmetic (two products, a division and a rounding). The same checks, in
-- cheaper forms:
-- - keys: the batch's organizations, sorted, go to one index scan of core.api_keys
--   (`organization_id = ANY (...)`, the B-tree walks the sorted array itself), the keys found are
--   hashed once and every row of the batch is looked up in the hash (a hashed NOT IN);
--   organizations of rows without a key are checked against core.organizations the same way;
-- - costs: in integer micro-dollars with the model's prices scaled once per batch:
--   (tokens_in * input_micro + tokens_out * output_micro + 500) / 1000 equals round((tokens_in *
--   input_cost_per_1k + tokens_out * output_cost_per_1k) / 1000, 6) in micro-dollars, exactly,
--   while the sum stays below 10^14 (then numeric division keeps 9 decimals and rounds once);
--   above it (over 10^8 dollars per 1 000 tokens) the numeric form is still used.
-- Errors, SQLSTATEs and what they name are unchanged (the first failing (organization, key) in
-- order; the request with the smallest id among those with a wrong cost).
-- Locks: none on data (function definition only).

SET LOCAL ROLE app_owner;

-- Why: the checks of 202611291405 in set form (see the header); still as the owner with the owner's
-- opt-out for the call, since app_ingest cannot see organizations or keys. Each statement is
-- planned with the batch's real arrays (force_custom_plan): a generic plan would guess their sizes.
-- work_mem: a NOT IN is hashed only when the planner expects the hash to fit in it; otherwise each
-- row of the batch would scan all the keys found (quadratic). 64 MB holds the keys of ~500 000
-- organizations, far more than a batch names.
CREATE OR REPLACE FUNCTION usage.tg_events_validate() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
SET work_mem = '64MB'
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    v_orgs uuid[];
    v_keyless boolean;
    v_org uuid;
    v_key uuid;
    v_keyless_org uuid;
    v_org_known boolean;
    v_bad bigint;
    v_request text;
    v_cost numeric;
    v_expected numeric;
BEGIN
    -- For this call only, restored below (an error aborts the (sub)transaction, which restores it too).
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    -- The batch's organizations, repeats included: the B-tree sorts the array of an `= ANY` and
    -- drops repeats itself, and walks the index in that order (a DISTINCT here sorted it again).
    SELECT pg_catalog.array_agg(r.organization_id), pg_catalog.bool_or(r.api_key_id IS NULL)
    INTO v_orgs, v_keyless
    FROM new_rows AS r;
    -- The first (organization, key) of the batch that is not a key of that organization: the keys
    -- of the batch's organizations, read by one index scan and hashed once (a hashed NOT IN), each
    -- row of the batch looked up in that hash. No DISTINCT or sort of the batch: only failing rows
    -- are ordered.
    SELECT r.organization_id, r.api_key_id INTO v_org, v_key
    FROM new_rows AS r
    WHERE r.api_key_id IS NOT NULL
      AND (r.organization_id, r.api_key_id) NOT IN (SELECT k.organization_id, k.api_key_id FROM core.api_keys AS k
                                                    WHERE k.organization_id = ANY (v_orgs))
    ORDER BY r.organization_id, r.api_key_id
    LIMIT 1;
    -- A key's row implies its organization (the keys' foreign key); rows without one name theirs.
    IF v_keyless THEN
        SELECT r.organization_id INTO v_keyless_org
        FROM new_rows AS r
        WHERE r.api_key_id IS NULL
          AND r.organization_id NOT IN (SELECT o.organization_id FROM core.organizations AS o
                                        WHERE o.organization_id = ANY (v_orgs))
        ORDER BY r.organization_id
        LIMIT 1;
        -- The first failing pair in (organization, key) order; a row without a key sorts after its
        -- organization's keys, as NULL does.
        IF v_keyless_org IS NOT NULL AND (v_org IS NULL OR v_keyless_org < v_org) THEN
            v_org := v_keyless_org;
            v_key := NULL;
        END IF;
    END IF;
    IF v_org IS NOT NULL THEN
        v_org_known := EXISTS (SELECT FROM core.organizations AS o WHERE o.organization_id = v_org);
        IF NOT v_org_known THEN
            RAISE EXCEPTION 'usage.events: unknown organization %', v_org
                USING ERRCODE = 'foreign_key_violation', HINT = 'events must belong to an existing organization';
        END IF;
        RAISE EXCEPTION 'usage.events: API key % is not a key of organization %', v_key, v_org
            USING ERRCODE = 'foreign_key_violation';
    END IF;

    -- Costs in integer micro-dollars: the prices (numeric(12, 6)) scaled to integers once per
    -- model; per event two integer products. The numeric form where the sum could reach 10^14.
    SELECT pg_catalog.count(*), pg_catalog.min(r.request_id) INTO v_bad, v_request
    FROM new_rows AS r
    JOIN (SELECT m.model_id, m.input_cost_per_1k, m.output_cost_per_1k,
                 (m.input_cost_per_1k * 1000000)::bigint AS input_micro,
                 (m.output_cost_per_1k * 1000000)::bigint AS output_micro,
                 99999999999999 / GREATEST((m.input_cost_per_1k * 1000000)::bigint
                                           + (m.output_cost_per_1k * 1000000)::bigint, 1) AS tokens_limit
          FROM core.models AS m
          OFFSET 0) AS m ON m.model_id = r.model_id  -- computed once per model, not per event
    WHERE CASE WHEN r.tokens_in <= m.tokens_limit AND r.tokens_out <= m.tokens_limit
               THEN (r.cost * 1000000)::bigint <> (r.tokens_in * m.input_micro + r.tokens_out * m.output_micro + 500) / 1000
               ELSE r.cost <> pg_catalog.round((r.tokens_in * m.input_cost_per_1k + r.tokens_out * m.output_cost_per_1k) / 1000, 6)
          END;
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
