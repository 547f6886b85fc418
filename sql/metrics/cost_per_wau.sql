-- cost_per_wau: cost per weighted activity unit (WAU) per provider and setting, the Model Health System measure.
-- Grain: one row per financial year, setting and provider.
-- Inputs: benchmark_cells, event_costs, results.refresh_parameters
-- Published: yes
-- About: Productivity on one scale across different case mixes: each record is weighted by the national average
--   unit cost of its POD and HRG (critical care by bed days), and WAU = the sum of those weights / the configured
--   pounds per WAU. Cost per WAU = the cost of the priced records / their WAU, so records the national schedule has
--   no price for are left out of both sides (priced_share says how much of the cost that covers). Below the ICS
--   median is better. priced_cost and wau add up across settings, so a provider's overall cost per WAU is the sum
--   of its priced_cost / the sum of its wau; cost per WAU itself does not add up.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   org_code [key] provider ODS code
--   activity [count] the provider's records in the setting
--   total_cost [from activity] their cost, pounds
--   priced_activity [count] records with a national price
--   priced_cost [from priced_activity] cost of the records with a national price, pounds
--   priced_share [from priced_activity] priced_cost / total_cost
--   wau [from priced_activity] weighted activity units: national cost of the priced records / pounds per WAU
--   cost_per_wau [from priced_activity] priced_cost / wau, pounds
--   ics_cost_per_wau [shown] the same across every provider in the setting, pounds
--   ics_median_cost_per_wau [shown] median of the providers' cost per WAU
--   opportunity_vs_median [from priced_activity] (cost_per_wau - ics_median_cost_per_wau) x wau, floored at 0, pounds
--   refresh_id [shown] the refresh that wrote the row
WITH totals AS (
    SELECT fin_year, setting, org_code, count(*) AS activity, sum(total_cost) AS total_cost
    FROM event_costs
    WHERE has_activity_record = 1
    GROUP BY fin_year, setting, org_code
),
priced AS (
    SELECT fin_year, setting, org_code, cases, units, value, rate, opportunity_vs_median
    FROM benchmark_cells
    WHERE family = 'cost_per_wau'
),
ics AS (
    SELECT DISTINCT fin_year, setting, ics_rate, ics_median_rate FROM benchmark_cells WHERE family = 'cost_per_wau'
)
SELECT t.fin_year, t.setting, t.org_code, t.activity, t.total_cost,
       coalesce(p.cases, 0) AS priced_activity, coalesce(p.value, 0) AS priced_cost,
       CAST(coalesce(p.value, 0) AS DOUBLE) / nullif(t.total_cost, 0) AS priced_share,
       p.units AS wau, p.rate AS cost_per_wau, i.ics_rate AS ics_cost_per_wau,
       i.ics_median_rate AS ics_median_cost_per_wau, coalesce(p.opportunity_vs_median, 0) AS opportunity_vs_median,
       s.refresh_id
FROM totals AS t
LEFT JOIN priced AS p ON p.fin_year = t.fin_year AND p.setting = t.setting AND p.org_code = t.org_code
LEFT JOIN ics AS i ON i.fin_year = t.fin_year AND i.setting = t.setting
CROSS JOIN results.refresh_parameters AS s
