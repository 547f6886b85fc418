-- Reconciliation: total cost per provider and financial year in results.system_cost against the cost lines loaded.
-- Grain: one row per (org_code, fin_year) held in either. A refresh succeeds only if every difference is exactly 0.
--   loaded  cost loaded (sum of cost_lines.cost), pounds, exact
--   in_results  cost in results.system_cost, pounds, exact
WITH loaded AS (
    SELECT org_code, fin_year, sum(cost) AS cost FROM cost_lines GROUP BY org_code, fin_year
),
in_results AS (
    SELECT org_code, fin_year, sum(total_cost) AS cost FROM results.system_cost GROUP BY org_code, fin_year
)
SELECT coalesce(l.org_code, r.org_code) AS org_code,
       coalesce(l.fin_year, r.fin_year) AS fin_year,
       coalesce(l.cost, 0) AS loaded,
       coalesce(r.cost, 0) AS in_results
FROM loaded AS l
FULL OUTER JOIN in_results AS r ON l.org_code = r.org_code AND l.fin_year = r.fin_year
ORDER BY 1, 2;
