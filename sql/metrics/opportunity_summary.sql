-- opportunity_summary: each provider's cost opportunity added up by POD and HRG, for totals and for each cost driver.
-- Grain: one row per financial year, provider, level (the whole provider, a POD, or a POD and HRG) and cost driver
--   ((all) for the total cost).
-- Inputs: results.unit_cost_benchmark, results.cost_driver_benchmark, benchmark_cells, results.refresh_parameters
-- Published: yes
-- About: The opportunities of unit_cost_benchmark and cost_driver_benchmark added up over their cells (POD + TFC + HRG),
--   so that a total for a POD or an HRG is right even where a cell is too small to publish. Each cell is floored at 0
--   before it is added, as in the seed: a provider's savings in one cell are not netted against its excess in another.
--   pod and hrg say (all) where the row adds up every POD or every HRG. Do not add rows of different levels (a POD row
--   already holds its HRG rows), opportunities across benchmarks (they overlap) or cost drivers to the total (the
--   driver rows split it). Mean costs, medians and best in system are at the row's own level; median, best in
--   system and national are only given for a POD and HRG, where the case mix is alike.
-- Columns:
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   pod [key] point of delivery; (all) for the provider's whole activity
--   hrg [key] HRG or currency; (all) for every HRG of the POD
--   cost_driver [key] collection activity code of the cost driver (ward, theatre, imaging ...); (all) for the total
--     cost
--   cells [shown] POD + TFC + HRG cells added up
--   activity [count] the provider's records (episodes, attendances, periods or contacts)
--   cost [from activity] the provider's cost for those records (on the driver, for a driver row), pounds
--   mean_cost [from activity] cost / activity, pounds
--   ics_activity [count] records across every provider at the same level
--   ics_mean_cost [from ics_activity] all providers' cost / all providers' activity at the same level, pounds
--   ics_median_cost [shown] median of the providers' mean costs for the POD and HRG
--   best_in_system_cost [shown] lowest provider mean cost for the POD and HRG among providers with more than the
--     configured number of cases
--   best_in_system_org [shown] the provider that sets best_in_system_cost
--   national_mean_cost [shown] national average unit cost for the POD's department and HRG (total cost only), pounds
--   opportunity_vs_ics [from activity] sum of the cells' opportunity against the ICS average, pounds
--   opportunity_vs_median [from activity] sum of the cells' opportunity against the ICS median (total cost only),
--     pounds
--   opportunity_vs_best [from activity] sum of the cells' opportunity against the best in system, pounds; cells
--     without a best in system add nothing
--   opportunity_vs_national [from activity] sum of the cells' opportunity against the national average (total cost
--     only), pounds; cells without a national price add nothing
--   refresh_id [shown] the refresh that wrote the row
WITH cell_figures AS (
    SELECT fin_year, org_code, pod, hrg, '(all)' AS cost_driver, activity, total_cost AS cost, national_mean_cost,
           opportunity_vs_ics, opportunity_vs_median, opportunity_vs_best, opportunity_vs_national
    FROM results.unit_cost_benchmark
    UNION ALL
    SELECT fin_year, org_code, pod, hrg, cost_driver, activity, driver_cost AS cost, CAST(NULL AS DOUBLE),
           opportunity_vs_ics, CAST(NULL AS DOUBLE), opportunity_vs_best, CAST(NULL AS DOUBLE)
    FROM results.cost_driver_benchmark
),
-- Opportunities to the 10-billionth of a pound before they are added up, so the totals are exact sums, the same
-- whatever order the cells arrive in (a sum of floating-point numbers depends on the order of adding).
cells AS (
    SELECT fin_year, org_code, pod, hrg, cost_driver, activity, cost, national_mean_cost,
           CAST(opportunity_vs_ics AS DECIMAL(38, 10)) AS opportunity_vs_ics,
           CAST(opportunity_vs_median AS DECIMAL(38, 10)) AS opportunity_vs_median,
           CAST(opportunity_vs_best AS DECIMAL(38, 10)) AS opportunity_vs_best,
           CAST(opportunity_vs_national AS DECIMAL(38, 10)) AS opportunity_vs_national
    FROM cell_figures
),
levels AS (
    SELECT fin_year, org_code, '(all)' AS pod, '(all)' AS hrg, cost_driver, count(*) AS cells,
           sum(activity) AS activity, sum(cost) AS cost, CAST(NULL AS DOUBLE) AS national_mean_cost,
           sum(opportunity_vs_ics) AS opportunity_vs_ics, sum(opportunity_vs_median) AS opportunity_vs_median,
           sum(opportunity_vs_best) AS opportunity_vs_best, sum(opportunity_vs_national) AS opportunity_vs_national
    FROM cells
    GROUP BY fin_year, org_code, cost_driver
    UNION ALL
    SELECT fin_year, org_code, pod, '(all)' AS hrg, cost_driver, count(*) AS cells,
           sum(activity) AS activity, sum(cost) AS cost, CAST(NULL AS DOUBLE) AS national_mean_cost,
           sum(opportunity_vs_ics) AS opportunity_vs_ics, sum(opportunity_vs_median) AS opportunity_vs_median,
           sum(opportunity_vs_best) AS opportunity_vs_best, sum(opportunity_vs_national) AS opportunity_vs_national
    FROM cells
    GROUP BY fin_year, org_code, pod, cost_driver
    UNION ALL
    SELECT fin_year, org_code, pod, hrg, cost_driver, count(*) AS cells,
           sum(activity) AS activity, sum(cost) AS cost, max(national_mean_cost) AS national_mean_cost,
           sum(opportunity_vs_ics) AS opportunity_vs_ics, sum(opportunity_vs_median) AS opportunity_vs_median,
           sum(opportunity_vs_best) AS opportunity_vs_best, sum(opportunity_vs_national) AS opportunity_vs_national
    FROM cells
    GROUP BY fin_year, org_code, pod, hrg, cost_driver
),
ics AS (
    SELECT fin_year, pod, hrg, cost_driver,
           sum(activity) AS ics_activity,
           CAST(sum(cost) AS DOUBLE) / sum(activity) AS ics_mean_cost
    FROM levels
    GROUP BY fin_year, pod, hrg, cost_driver
),
pod_hrg_benchmarks AS (
    SELECT DISTINCT fin_year, pod, hrg, detail AS cost_driver, ics_median_rate, best_in_system_rate,
           best_in_system_org
    FROM benchmark_cells
    WHERE family = 'pod_hrg_cost'
)
SELECT l.fin_year, l.org_code, l.pod, l.hrg, l.cost_driver, l.cells, l.activity, l.cost,
       CASE WHEN l.activity > 0 THEN CAST(l.cost AS DOUBLE) / l.activity END AS mean_cost,
       i.ics_activity, i.ics_mean_cost, b.ics_median_rate AS ics_median_cost,
       b.best_in_system_rate AS best_in_system_cost, b.best_in_system_org,
       l.national_mean_cost,
       CAST(l.opportunity_vs_ics AS DOUBLE) AS opportunity_vs_ics,
       CAST(l.opportunity_vs_median AS DOUBLE) AS opportunity_vs_median,
       CAST(l.opportunity_vs_best AS DOUBLE) AS opportunity_vs_best,
       CAST(l.opportunity_vs_national AS DOUBLE) AS opportunity_vs_national,
       s.refresh_id
FROM levels AS l
JOIN ics AS i ON i.fin_year = l.fin_year AND i.pod = l.pod AND i.hrg = l.hrg AND i.cost_driver = l.cost_driver
LEFT JOIN pod_hrg_benchmarks AS b
    ON b.fin_year = l.fin_year AND b.pod = l.pod AND b.hrg = l.hrg AND b.cost_driver = l.cost_driver
CROSS JOIN results.refresh_parameters AS s
