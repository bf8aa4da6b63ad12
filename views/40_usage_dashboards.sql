-- View: usage dashboards (usage.daily_usage, usage.error_rate_by_model, usage.top_organizations_by_cost)
-- The dashboard questions, answered from the daily rollups: usage by day for the current
-- organization, error rate by model over a date range, and the top organizations by cost for the
-- reporting role. The first two are SECURITY INVOKER (the caller's RLS shows the current tenant
-- only); the cross-tenant ranking is SECURITY DEFINER, granted to app_ro only, and returns
-- organization ids and totals, nothing else.

SET LOCAL ROLE app_owner;

-- Why: usage by day for the organization of the transaction, all models together.
CREATE OR REPLACE VIEW usage.daily_usage WITH (security_invoker = true) AS
SELECT
    r.organization_id,
    r.day,
    sum(r.requests)::bigint AS requests,
    sum(r.errors)::bigint AS errors,
    sum(r.tokens_in)::bigint AS tokens_in,
    sum(r.tokens_out)::bigint AS tokens_out,
    sum(r.cost) AS cost,
    round(sum(r.latency_ms_sum)::numeric / sum(r.requests), 1) AS latency_ms_avg,
    max(r.latency_ms_max) AS latency_ms_max
FROM usage.daily_rollups AS r
GROUP BY r.organization_id, r.day;

COMMENT ON VIEW usage.daily_usage IS
    'Usage per organization and UTC day over all models, from usage.daily_rollups. Caller''s RLS applies.';
COMMENT ON COLUMN usage.daily_usage.latency_ms_avg IS 'Mean latency in ms over the day''s requests.';

REVOKE ALL ON usage.daily_usage FROM app_rw, app_ro;
GRANT SELECT ON usage.daily_usage TO app_rw, app_ro;

-- Why: error rate by model over [p_from, p_to] (UTC days) for the organization of the transaction.
CREATE OR REPLACE FUNCTION usage.error_rate_by_model(p_from date, p_to date)
RETURNS TABLE (model_id uuid, provider text, model_name text, requests bigint, errors bigint, error_rate numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT r.model_id, m.provider, m.name, sum(r.requests)::bigint, sum(r.errors)::bigint,
           round(sum(r.errors)::numeric / sum(r.requests), 4)
    FROM usage.daily_rollups AS r
    LEFT JOIN core.models AS m ON m.model_id = r.model_id
    WHERE r.day BETWEEN p_from AND p_to
    GROUP BY r.model_id, m.provider, m.name
    ORDER BY 6 DESC, 4 DESC
$fn$;
COMMENT ON FUNCTION usage.error_rate_by_model(date, date) IS
    'Requests, errors and error rate per model over the UTC days [p_from, p_to] for the current tenant (caller''s RLS).';
REVOKE EXECUTE ON FUNCTION usage.error_rate_by_model(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION usage.error_rate_by_model(date, date) TO app_rw, app_ro;

-- Why: a platform report across tenants; runs as the owner with its explicit opt-out. The
-- trailing year (the 12 UTC months ending with the current one, the report's usual range) is read
-- from usage.trailing_year_totals: its top N through the (window, cost) index, N rows read. Other
-- ranges: whole UTC months inside [p_from, p_to] come from the monthly rollups (12 rows per
-- organization for a year), only the days before the first and after the last whole month from the
-- daily rollups. The same sums either way, exact.
CREATE OR REPLACE FUNCTION usage.top_organizations_by_cost(p_from date, p_to date, p_limit integer DEFAULT 10)
RETURNS TABLE (organization_id uuid, requests bigint, errors bigint, cost numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
    -- [v_first_month, v_end_month): the whole months of the range (empty when there is none).
    v_first_month date := pg_catalog.date_trunc('month', (p_from - 1)::timestamp without time zone)::date
                          + interval '1 month';
    v_end_month date := pg_catalog.date_trunc('month', (p_to + 1)::timestamp without time zone)::date;
    v_window date := usage.trailing_year_start(pg_catalog.now());
BEGIN
    -- The owner's explicit opt-out, for this call only (restored below).
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    -- The trailing year, when the refresh has written its totals (rows of a window exist only once
    -- it was rebuilt whole; until the first refresh of a month they are of the month before).
    IF p_from = v_window AND p_to = (v_window + interval '12 months')::date - 1
       AND EXISTS (SELECT FROM usage.trailing_year_totals AS t WHERE t.window_start = v_window) THEN
        RETURN QUERY
        SELECT t.organization_id, t.requests, t.errors, t.cost::numeric
        FROM usage.trailing_year_totals AS t
        WHERE t.window_start = v_window
        ORDER BY t.cost DESC, t.organization_id
        LIMIT least(greatest(p_limit, 1), 1000);
        PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
        RETURN;
    END IF;
    IF v_end_month <= v_first_month THEN
        v_first_month := p_to + 1;
        v_end_month := p_to + 1;
    END IF;
    -- Ranked on cost alone (one sum per row is about half the time of three); the counts are then
    -- summed for the organizations ranked, from their primary keys. STABLE: one snapshot for both.
    RETURN QUERY
    WITH ranked AS (
        SELECT t.organization_id, sum(t.cost) AS cost
        FROM (SELECT m.organization_id, m.cost
              FROM usage.monthly_rollups AS m
              WHERE m.month >= v_first_month AND m.month < v_end_month
              UNION ALL
              SELECT r.organization_id, r.cost
              FROM usage.daily_rollups AS r
              WHERE (r.day >= p_from AND r.day < v_first_month) OR (r.day >= v_end_month AND r.day <= p_to)) AS t
        GROUP BY t.organization_id
        ORDER BY 2 DESC, 1
        LIMIT least(greatest(p_limit, 1), 1000)
    )
    SELECT k.organization_id, n.requests, n.errors, k.cost
    FROM ranked AS k
    CROSS JOIN LATERAL (
        SELECT sum(c.requests)::bigint AS requests, sum(c.errors)::bigint AS errors
        FROM (SELECT m.requests, m.errors
              FROM usage.monthly_rollups AS m
              WHERE m.organization_id = k.organization_id AND m.month >= v_first_month AND m.month < v_end_month
              UNION ALL
              SELECT r.requests, r.errors
              FROM usage.daily_rollups AS r
              WHERE r.organization_id = k.organization_id
                AND ((r.day >= p_from AND r.day < v_first_month) OR (r.day >= v_end_month AND r.day <= p_to))) AS c
    ) AS n
    ORDER BY k.cost DESC, k.organization_id;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
END
$fn$;
COMMENT ON FUNCTION usage.top_organizations_by_cost(date, date, integer) IS
    'Organizations with the highest cost over the UTC days [p_from, p_to] (at most 1000), all tenants. For app_ro. '
    'Fastest over the trailing year (usage.trailing_year_totals), then over whole months (usage.monthly_rollups).';
REVOKE EXECUTE ON FUNCTION usage.top_organizations_by_cost(date, date, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION usage.top_organizations_by_cost(date, date, integer) TO app_ro;

RESET ROLE;
