-- cost_per_wau: cost per weighted activity unit (WAU) of each provider, by setting and trust (Model Health System).
-- Grain: one row per financial year, setting ((all) for the whole trust) and provider.
-- Inputs: provider_year_quality, benchmark_cells, event_costs, ref_market_forces, ref_wau_constant,
--   results.refresh_parameters
-- Published: yes
-- About: Productivity on one scale across different case mixes, as the Model Health System defines it: each record
--   is weighted by the national average unit cost of its currency in the year's national schedule, in the POD's
--   unit of count (a bed day for mental health inpatients, a day for critical care), and WAU = the national cost of
--   the priced records / the year's pounds per WAU (wau_constant; [benchmarks] wau_constants, else wau_unit_cost).
--   Cost per WAU = the cost of the priced records / the provider's market forces factor / WAU, so an area's
--   unavoidable costs (MFF) do not count against it. Records the national schedule has no price for are left out of
--   both sides (priced_share says how much of the cost that covers). Below the ICS median is better. The
--   opportunity is (cost per WAU - ICS median) x WAU, back in the provider's own pounds (x MFF), floored at 0;
--   the net figure keeps both signs. Cost per WAU does not add up; the (all) row is the trust's own figure.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs; (all) for the whole trust
--   org_code [key] provider ODS code
--   activity [count] the provider's records in the setting
--   total_cost [total from activity] their cost, pounds
--   priced_activity [count] records with a national price
--   priced_cost [total from priced_activity] cost of the records with a national price, pounds
--   priced_share [from priced_activity] priced_cost / total_cost
--   market_forces_factor [shown] the provider's MFF; 1 when none is configured
--   wau_constant [shown] pounds of national cost per WAU for the year
--   wau [total from priced_activity] weighted activity units: national cost of the priced records / wau_constant
--   cost_per_wau [from priced_activity] priced_cost / market_forces_factor / wau, pounds
--   ics_cost_per_wau [shown] the same across every provider in the setting, pounds
--   ics_median_cost_per_wau [benchmark] median of the providers' cost per WAU
--   opportunity_vs_median [total from priced_activity vs ics_median_cost_per_wau] (cost_per_wau - ics_median_cost_per_wau) x wau x
--     market_forces_factor, floored at 0, pounds
--   net_vs_median [total from priced_activity vs ics_median_cost_per_wau] the same, either sign, pounds
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not (period_alignment)
--   costing_score [shown] the provider's costing data-quality score for the year, 0 to 100 (costing_quality)
--   refresh_id [shown] the refresh that wrote the row
WITH totals AS (
    SELECT fin_year, setting, org_code, count(*) AS activity, sum(total_cost) AS total_cost
    FROM event_costs
    WHERE has_activity_record = 1
    GROUP BY fin_year, setting, org_code
    UNION ALL
    SELECT fin_year, '(all)' AS setting, org_code, count(*) AS activity, sum(total_cost) AS total_cost
    FROM event_costs
    WHERE has_activity_record = 1
    GROUP BY fin_year, org_code
),
factors AS (
    SELECT t.fin_year, t.org_code,
           coalesce(max(CASE WHEN m.fin_year = t.fin_year THEN m.mff END),
                    max(CASE WHEN m.fin_year = '' THEN m.mff END), 1) AS mff
    FROM (SELECT DISTINCT fin_year, org_code FROM totals) AS t
    LEFT JOIN ref_market_forces AS m ON m.org_code = t.org_code
    GROUP BY t.fin_year, t.org_code
),
priced AS (
    SELECT fin_year, setting, org_code, cases, units, value, rate, ics_rate, ics_median_rate, opportunity_vs_median,
           net_vs_median
    FROM benchmark_cells
    WHERE family = 'cost_per_wau'
),
ics AS (
    SELECT DISTINCT fin_year, setting, ics_rate, ics_median_rate FROM priced
)
SELECT t.fin_year, t.setting, t.org_code, t.activity, t.total_cost,
       coalesce(p.cases, 0) AS priced_activity, coalesce(p.value, 0) AS priced_cost,
       CAST(coalesce(p.value, 0) AS DOUBLE) / nullif(CAST(t.total_cost AS DOUBLE), 0) AS priced_share,
       f.mff AS market_forces_factor, coalesce(k.wau_constant, s.wau_unit_cost) AS wau_constant,
       CAST(p.units AS DOUBLE) / NULLIF(f.mff, 0) AS wau, p.rate AS cost_per_wau, i.ics_rate AS ics_cost_per_wau,
       i.ics_median_rate AS ics_median_cost_per_wau, coalesce(p.opportunity_vs_median, 0) AS opportunity_vs_median,
       p.net_vs_median,
       q.periods_aligned, q.costing_score, s.refresh_id
FROM totals AS t
JOIN factors AS f ON f.fin_year = t.fin_year AND f.org_code = t.org_code
LEFT JOIN priced AS p ON p.fin_year = t.fin_year AND p.setting = t.setting AND p.org_code = t.org_code
LEFT JOIN ics AS i ON i.fin_year = t.fin_year AND i.setting = t.setting
LEFT JOIN ref_wau_constant AS k ON k.fin_year = t.fin_year
LEFT JOIN provider_year_quality AS q ON q.fin_year = t.fin_year AND q.org_code = t.org_code
CROSS JOIN results.refresh_parameters AS s
