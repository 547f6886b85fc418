-- What the canonical store holds for each provider, setting and period, to find the periods that differ between the
-- local store and the server. Grain: one row per (setting, org_code, fin_year, period) in activity or cost_lines.
-- Inputs: activity, cost_lines (renamed to ics_canonical.* when run on the server).
--   records  activity records; lines  cost lines; cost  their total cost, pounds (exact)
WITH records AS (
    SELECT setting, org_code, fin_year, period, count(*) AS records
    FROM activity
    GROUP BY setting, org_code, fin_year, period
),
lines AS (
    SELECT setting, org_code, fin_year, period, count(*) AS lines, sum(cost) AS cost
    FROM cost_lines
    GROUP BY setting, org_code, fin_year, period
)
SELECT coalesce(r.setting, l.setting) AS setting,
       coalesce(r.org_code, l.org_code) AS org_code,
       coalesce(r.fin_year, l.fin_year) AS fin_year,
       coalesce(r.period, l.period) AS period,
       coalesce(r.records, 0) AS records,
       coalesce(l.lines, 0) AS lines,
       coalesce(l.cost, 0) AS cost
FROM records AS r
FULL OUTER JOIN lines AS l
    ON r.setting = l.setting AND r.org_code = l.org_code AND r.fin_year = l.fin_year AND r.period = l.period;
