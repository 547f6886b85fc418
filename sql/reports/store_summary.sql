-- store_summary: what the store holds, for `icsbench status`.
-- Grain: one row per (org_code, setting). Inputs: activity, cost_lines.
--   periods: first and last year/period held; records: activity rows; cost_lines, cost (£): their cost lines.
WITH a AS (
    SELECT org_code, setting, count(*) AS records,
           min(fin_year || ' P' || lpad(CAST(period AS VARCHAR), 2, '0')) AS first_period,
           max(fin_year || ' P' || lpad(CAST(period AS VARCHAR), 2, '0')) AS last_period
    FROM activity GROUP BY org_code, setting
),
c AS (
    SELECT org_code, setting, count(*) AS cost_lines, sum(cost) AS cost
    FROM cost_lines GROUP BY org_code, setting
)
SELECT coalesce(a.org_code, c.org_code) AS org_code, coalesce(a.setting, c.setting) AS setting,
       coalesce(a.first_period, '') || ' to ' || coalesce(a.last_period, '') AS periods,
       coalesce(a.records, 0) AS records, coalesce(c.cost_lines, 0) AS cost_lines, coalesce(c.cost, 0) AS cost
FROM a FULL OUTER JOIN c ON a.org_code = c.org_code AND a.setting = c.setting
ORDER BY org_code, setting;
