-- opportunity_summary: each provider's cost opportunity added up by POD and HRG, for totals and for each cost driver.
-- Grain: one row per financial year, provider, level (the whole provider, a POD, or a POD and HRG) and cost driver
--   ((all) for the total cost).
-- Inputs: provider_year_quality, results.unit_cost_benchmark, results.cost_driver_benchmark, benchmark_cells,
--   cell_dominance, results.refresh_parameters
-- Published: yes
-- About: The headline: the opportunities of unit_cost_benchmark and cost_driver_benchmark added up over their cells
--   (POD + TFC + HRG), so that a total for a POD or an HRG is right even where a cell is too small to publish. Three
--   totals stand side by side, and only cells with at least the configured minimum cases (headline_min_cases, 10
--   by default) count in them, so a handful of cases cannot make a headline: the seed's floored sum (each cell
--   floored at 0 before it is added, so a provider's savings in one cell are not netted against its excess in
--   another: an upper bound), the net difference (both signs: what the provider would save, and lose, at the
--   benchmark's rate everywhere) and the significant opportunity (only cells above the funnel limit, so unlikely to
--   be noise). Every comparison is per the POD's unit of count (critical care per day, mental health inpatients per
--   bed day). pod and hrg say (all) where the row adds up every POD or every HRG; mean costs are only given for a
--   POD, whose unit is one. Do not add rows of different levels (a POD row already holds its HRG rows),
--   opportunities across benchmarks (they overlap) or cost drivers to the total (the driver rows split it).
--   Median, best in system and national are only given for a POD and HRG, where the case mix is alike.
-- Columns:
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   pod [key] point of delivery; (all) for the provider's whole activity
--   hrg [key] HRG or currency; (all) for every HRG of the POD
--   cost_driver [key] collection activity code of the cost driver (ward, theatre, imaging ...); (all) for the total
--     cost
--   unit_of_count [key] the POD's unit of count; (mixed) for the provider's whole activity
--   cells [shown] POD + TFC + HRG cells added up
--   cells_in_headline [shown] of those, the cells with enough cases to count in the opportunity totals
--   activity [count] the provider's records (episodes, attendances, periods or contacts)
--   units [total from activity] the provider's units of count; blank for the whole provider (units differ by POD)
--   cost [total from activity] the provider's cost for those records (on the driver, for a driver row), pounds
--   mean_cost [from activity] cost / units, pounds per unit of count; blank for the whole provider
--   ics_activity [count] records across every provider at the same level
--   ics_mean_cost [from ics_activity] all providers' cost / all providers' units at the same level, pounds
--   ics_median_cost [benchmark] median of the providers' cost per unit for the POD and HRG
--   best_in_system_cost [benchmark] lowest provider cost per unit for the POD and HRG among providers with more than the
--     configured number of cases
--   best_in_system_org [benchmark] the provider that sets best_in_system_cost
--   national_mean_cost [from activity] national average cost per unit of the provider's records for the POD and HRG at
--     national prices (total cost only; blank where a cell has no national price), pounds
--   ics_national_mean_cost [from ics_activity] the same for every provider's records together (the ICS's mix), pounds
--   opportunity_vs_ics [total from activity] sum of the headline cells' opportunity against the ICS average (each floored
--     at 0), pounds
--   opportunity_vs_median [total from activity] the same against the ICS median (total cost only), pounds
--   opportunity_vs_best [total from activity] the same against the best in system, pounds; cells without a best in system
--     add nothing
--   opportunity_vs_national [total from activity] the same against the national average (total cost only), pounds; cells
--     without a national price add nothing
--   net_vs_ics [total from activity] sum of the headline cells' net difference against the ICS average (both signs)
--   net_vs_median [total from activity] the same against the ICS median (total cost only)
--   net_vs_best [total from activity] the same against the best in system
--   net_vs_national [total from activity] the same against the national average (total cost only)
--   significant_vs_ics [total from activity] sum of the headline cells' opportunity against the ICS average in cells
--     above the funnel limit only, pounds
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not (period_alignment)
--   costing_score [shown] the provider's costing data-quality score for the year, 0 to 100 (costing_quality)
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of activity] a POD + HRG cost driver row's cost on the driver by size (a credit
--     counted as positive; cell_dominance: pod_hrg_driver, support_cost for pharmacy, imaging and pathology), pounds;
--     blank on other rows (a POD + HRG total's cells, and any higher level's, are checked as the parts they add up);
--     read by the dominance rule, never published
--   dominance_largest [dominance largest of activity] its largest contributor's (a patient's records added up, or a
--     record without a patient) cost on the driver, pounds; never published
--   dominance_second [dominance second of activity] the second largest, pounds; never published
--   dominance_contributors [dominance contributors of activity] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_activity] the same across every provider (the ICS mean cost states
--     it), pounds; never published
--   ics_dominance_largest [dominance largest of ics_activity] its largest contributor's across every provider,
--     pounds; never published
--   ics_dominance_second [dominance second of ics_activity] the second largest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
WITH cell_figures AS (
    SELECT fin_year, org_code, pod, hrg, '(all)' AS cost_driver, unit_of_count, in_headline, activity, units,
           total_cost AS cost, national_mean_cost * units AS national_cost, opportunity_vs_ics, opportunity_vs_median,
           opportunity_vs_best, opportunity_vs_national, net_vs_ics, net_vs_median, net_vs_best, net_vs_national,
           significant_vs_ics
    FROM results.unit_cost_benchmark
    UNION ALL
    SELECT fin_year, org_code, pod, hrg, cost_driver, unit_of_count, in_headline, activity, units,
           driver_cost AS cost, CAST(NULL AS DOUBLE), opportunity_vs_ics, CAST(NULL AS DOUBLE), opportunity_vs_best,
           CAST(NULL AS DOUBLE), net_vs_ics, CAST(NULL AS DOUBLE), net_vs_best, CAST(NULL AS DOUBLE),
           significant_vs_ics
    FROM results.cost_driver_benchmark
),
-- Opportunities to the 10-billionth of a pound before they are added up, so the totals are exact sums, the same
-- whatever order the cells arrive in (a sum of floating-point numbers depends on the order of adding). Cells with
-- too few cases for a headline add nothing to the opportunity totals.
cells AS (
    SELECT fin_year, org_code, pod, hrg, cost_driver, unit_of_count, in_headline, activity,
           CAST(units AS DECIMAL(38, 10)) AS units, cost, CAST(national_cost AS DECIMAL(38, 10)) AS national_cost,
           CASE WHEN national_cost IS NULL THEN 0 ELSE 1 END AS priced,
           CAST(in_headline * opportunity_vs_ics AS DECIMAL(38, 10)) AS opportunity_vs_ics,
           CAST(in_headline * opportunity_vs_median AS DECIMAL(38, 10)) AS opportunity_vs_median,
           CAST(in_headline * opportunity_vs_best AS DECIMAL(38, 10)) AS opportunity_vs_best,
           CAST(in_headline * opportunity_vs_national AS DECIMAL(38, 10)) AS opportunity_vs_national,
           CAST(in_headline * net_vs_ics AS DECIMAL(38, 10)) AS net_vs_ics,
           CAST(in_headline * net_vs_median AS DECIMAL(38, 10)) AS net_vs_median,
           CAST(in_headline * net_vs_best AS DECIMAL(38, 10)) AS net_vs_best,
           CAST(in_headline * net_vs_national AS DECIMAL(38, 10)) AS net_vs_national,
           CAST(in_headline * significant_vs_ics AS DECIMAL(38, 10)) AS significant_vs_ics
    FROM cell_figures
),
levels AS (
    SELECT fin_year, org_code, '(all)' AS pod, '(all)' AS hrg, cost_driver, '(mixed)' AS unit_of_count,
           count(*) AS cells, sum(in_headline) AS cells_in_headline, sum(activity) AS activity,
           CAST(NULL AS DECIMAL(38, 10)) AS units, sum(cost) AS cost, CAST(NULL AS DECIMAL(38, 10)) AS national_cost,
           sum(opportunity_vs_ics) AS opportunity_vs_ics, sum(opportunity_vs_median) AS opportunity_vs_median,
           sum(opportunity_vs_best) AS opportunity_vs_best, sum(opportunity_vs_national) AS opportunity_vs_national,
           sum(net_vs_ics) AS net_vs_ics, sum(net_vs_median) AS net_vs_median, sum(net_vs_best) AS net_vs_best,
           sum(net_vs_national) AS net_vs_national, sum(significant_vs_ics) AS significant_vs_ics
    FROM cells
    GROUP BY fin_year, org_code, cost_driver
    UNION ALL
    SELECT fin_year, org_code, pod, '(all)' AS hrg, cost_driver, unit_of_count,
           count(*) AS cells, sum(in_headline) AS cells_in_headline, sum(activity) AS activity,
           sum(units) AS units, sum(cost) AS cost, CAST(NULL AS DECIMAL(38, 10)) AS national_cost,
           sum(opportunity_vs_ics) AS opportunity_vs_ics, sum(opportunity_vs_median) AS opportunity_vs_median,
           sum(opportunity_vs_best) AS opportunity_vs_best, sum(opportunity_vs_national) AS opportunity_vs_national,
           sum(net_vs_ics) AS net_vs_ics, sum(net_vs_median) AS net_vs_median, sum(net_vs_best) AS net_vs_best,
           sum(net_vs_national) AS net_vs_national, sum(significant_vs_ics) AS significant_vs_ics
    FROM cells
    GROUP BY fin_year, org_code, pod, cost_driver, unit_of_count
    UNION ALL
    SELECT fin_year, org_code, pod, hrg, cost_driver, unit_of_count,
           count(*) AS cells, sum(in_headline) AS cells_in_headline, sum(activity) AS activity,
           sum(units) AS units, sum(cost) AS cost,
           CASE WHEN min(priced) = 1 AND cost_driver = '(all)' THEN sum(national_cost) END AS national_cost,
           sum(opportunity_vs_ics) AS opportunity_vs_ics, sum(opportunity_vs_median) AS opportunity_vs_median,
           sum(opportunity_vs_best) AS opportunity_vs_best, sum(opportunity_vs_national) AS opportunity_vs_national,
           sum(net_vs_ics) AS net_vs_ics, sum(net_vs_median) AS net_vs_median, sum(net_vs_best) AS net_vs_best,
           sum(net_vs_national) AS net_vs_national, sum(significant_vs_ics) AS significant_vs_ics
    FROM cells
    GROUP BY fin_year, org_code, pod, hrg, cost_driver, unit_of_count
),
ics AS (
    SELECT fin_year, pod, hrg, cost_driver,
           sum(activity) AS ics_activity,
           CAST(sum(cost) AS DOUBLE) / nullif(CAST(sum(units) AS DOUBLE), 0) AS ics_mean_cost,
           CASE WHEN count(national_cost) = count(*)
                THEN CAST(sum(national_cost) AS DOUBLE) / nullif(CAST(sum(units) AS DOUBLE), 0) END
               AS ics_national_mean_cost
    FROM levels
    GROUP BY fin_year, pod, hrg, cost_driver
),
pod_hrg_benchmarks AS (
    SELECT DISTINCT fin_year, pod, hrg, detail AS cost_driver, ics_median_rate, best_in_system_rate,
           best_in_system_org
    FROM benchmark_cells
    WHERE family = 'pod_hrg_cost'
)
SELECT l.fin_year, l.org_code, l.pod, l.hrg, l.cost_driver, l.unit_of_count, l.cells, l.cells_in_headline,
       l.activity, CAST(l.units AS DOUBLE) AS units, l.cost,
       CAST(l.cost AS DOUBLE) / nullif(CAST(l.units AS DOUBLE), 0) AS mean_cost,
       i.ics_activity, i.ics_mean_cost, b.ics_median_rate AS ics_median_cost,
       b.best_in_system_rate AS best_in_system_cost, b.best_in_system_org,
       CAST(l.national_cost AS DOUBLE) / nullif(CAST(l.units AS DOUBLE), 0) AS national_mean_cost,
       i.ics_national_mean_cost,
       CAST(l.opportunity_vs_ics AS DOUBLE) AS opportunity_vs_ics,
       CAST(l.opportunity_vs_median AS DOUBLE) AS opportunity_vs_median,
       CAST(l.opportunity_vs_best AS DOUBLE) AS opportunity_vs_best,
       CAST(l.opportunity_vs_national AS DOUBLE) AS opportunity_vs_national,
       CAST(l.net_vs_ics AS DOUBLE) AS net_vs_ics,
       CAST(l.net_vs_median AS DOUBLE) AS net_vs_median,
       CAST(l.net_vs_best AS DOUBLE) AS net_vs_best,
       CAST(l.net_vs_national AS DOUBLE) AS net_vs_national,
       CAST(l.significant_vs_ics AS DOUBLE) AS significant_vs_ics,
       q.periods_aligned, q.costing_score, s.refresh_id,
       d.cost AS dominance_cost, d.largest AS dominance_largest, d.second AS dominance_second,
       d.contributors AS dominance_contributors,
       di.ics_cost AS ics_dominance_cost, di.ics_largest AS ics_dominance_largest,
       di.ics_second AS ics_dominance_second, di.ics_contributors AS ics_dominance_contributors
FROM levels AS l
JOIN ics AS i ON i.fin_year = l.fin_year AND i.pod = l.pod AND i.hrg = l.hrg AND i.cost_driver = l.cost_driver
LEFT JOIN pod_hrg_benchmarks AS b
    ON b.fin_year = l.fin_year AND b.pod = l.pod AND b.hrg = l.hrg AND b.cost_driver = l.cost_driver
LEFT JOIN provider_year_quality AS q ON q.fin_year = l.fin_year AND q.org_code = l.org_code
LEFT JOIN cell_dominance AS d
    ON d.family IN ('pod_hrg_driver', 'support_cost') AND d.fin_year = l.fin_year AND d.pod = l.pod
   AND d.hrg = l.hrg AND d.detail = l.cost_driver AND d.org_code = l.org_code
LEFT JOIN (
    -- a POD + HRG driver cell across every provider, by the episodes' HRG as the row adds them up (the same on every
    -- provider's row of cell_dominance)
    SELECT DISTINCT fin_year, pod, hrg, detail, ics_cost, ics_largest, ics_second, ics_contributors
    FROM cell_dominance
    WHERE family IN ('pod_hrg_driver', 'support_cost')
) AS di
    ON di.fin_year = l.fin_year AND di.pod = l.pod AND di.hrg = l.hrg AND di.detail = l.cost_driver
CROSS JOIN results.refresh_parameters AS s
