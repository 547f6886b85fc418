-- service_line_drivers: each service line's cost per case by cost driver and provider against the ICS and the best.
-- Grain: one row per service line, financial year, provider and cost driver.
-- Inputs: benchmark_cells, ref_service_line, cell_dominance, results.period_alignment, results.costing_quality,
--   results.refresh_parameters
-- Published: yes
-- About: Where a service line's cost per unit differs: each driver's cost (ward, theatre, pathology, imaging,
--   overheads, ...) per unit of count, against the ICS and the best in system, with the opportunity floored at 0
--   and netted and the significant part (the benchmark method of every benchmark table). Driver costs add up to the
--   service line's total cost; opportunities by driver do not add up to the service line's (a provider can be dear
--   on theatres and cheap on wards). periods_aligned and costing_score as in service_line_benchmark.
-- Columns:
--   service_line [key] service line name from the config
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   cost_driver [key] the cost driver (collection activity)
--   unit_of_count [key] what one unit is
--   activity [count] the provider's records of the service line
--   units [total from activity] its units of count
--   driver_cost [total from activity] the driver's cost on those records, pounds
--   cost_per_unit [from activity] driver_cost / units, pounds
--   ics_activity [count] records of the service line across every provider
--   ics_cost_per_unit [from ics_activity] all providers' driver cost / all providers' units, pounds
--   best_in_system_cost [benchmark] lowest cost per unit among providers with more than the configured number of cases
--   best_in_system_org [benchmark] the provider that sets it
--   opportunity_vs_ics [total from activity vs ics_cost_per_unit] (cost_per_unit - ics_cost_per_unit) x units, floored at 0, pounds
--   opportunity_vs_best [total from activity vs best_in_system_cost] (cost_per_unit - best_in_system_cost) x units, floored at 0, pounds
--   net_vs_ics [total from activity vs ics_cost_per_unit] (cost_per_unit - ics_cost_per_unit) x units, either sign, pounds
--   net_vs_best [total from activity vs best_in_system_cost] (cost_per_unit - best_in_system_cost) x units, either sign, pounds
--   significant_vs_ics [total from activity vs ics_cost_per_unit] opportunity_vs_ics where the provider is above the upper funnel limit at the
--     configured level, else 0, pounds
--   outlier_95 [from activity] high, low, within or untested at the 95% funnel limits
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not
--   costing_score [shown] the provider's costing data-quality score for the year, 0 to 100
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of activity] the provider's cost on the driver of the service line's records by
--     size (a credit counted as positive; cell_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of activity] the driver cost of the provider's largest contributor (a
--     patient's records added up, or a record without a patient), pounds; never published
--   dominance_second [dominance second of activity] its second largest contributor's, pounds; never published
--   dominance_contributors [dominance contributors of activity] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_activity] the driver cost of the service line across every provider,
--     pounds; never published
--   ics_dominance_largest [dominance largest of ics_activity] its largest contributor's across every provider,
--     pounds; never published
--   ics_dominance_second [dominance second of ics_activity] the second largest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
WITH names AS (
    SELECT DISTINCT service_line
    FROM ref_service_line
),
alignment AS (
    SELECT fin_year, org_code, max(aligned) AS aligned
    FROM results.period_alignment
    GROUP BY fin_year, org_code
),
scores AS (
    SELECT DISTINCT fin_year, org_code, score
    FROM results.costing_quality
    WHERE period = 'year'
),
dominance AS (
    -- The service line driver cells' dominance figures (detail: service line|driver).
    SELECT fin_year, detail, org_code, cost, largest, second, contributors, ics_cost, ics_largest, ics_second,
           ics_contributors
    FROM cell_dominance
    WHERE family = 'service_driver_cost'
)
SELECT n.service_line, c.fin_year, c.org_code, substr(c.detail, length(n.service_line) + 2, 100) AS cost_driver,
       c.unit_of_count, c.cases AS activity, CAST(c.units AS DOUBLE) AS units, c.value AS driver_cost,
       c.rate AS cost_per_unit, c.ics_cases AS ics_activity, c.ics_rate AS ics_cost_per_unit,
       c.best_in_system_rate AS best_in_system_cost, c.best_in_system_org, c.opportunity_vs_ics,
       c.opportunity_vs_best, c.net_vs_ics, c.net_vs_best, c.significant_vs_ics, c.outlier_95,
       CAST(coalesce(a.aligned, 0) AS INTEGER) AS periods_aligned, q.score AS costing_score, s.refresh_id,
       dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors,
       ics_dom.ics_cost AS ics_dominance_cost, ics_dom.ics_largest AS ics_dominance_largest,
       ics_dom.ics_second AS ics_dominance_second, ics_dom.ics_contributors AS ics_dominance_contributors
FROM benchmark_cells AS c
JOIN names AS n ON substr(c.detail, 1, length(n.service_line) + 1) = n.service_line || '|'
LEFT JOIN alignment AS a ON a.fin_year = c.fin_year AND a.org_code = c.org_code
LEFT JOIN scores AS q ON q.fin_year = c.fin_year AND q.org_code = c.org_code
LEFT JOIN dominance AS dom ON dom.fin_year = c.fin_year AND dom.detail = c.detail AND dom.org_code = c.org_code
LEFT JOIN (
    SELECT DISTINCT fin_year, detail, ics_cost, ics_largest, ics_second, ics_contributors
    FROM dominance
) AS ics_dom
    ON ics_dom.fin_year = c.fin_year AND ics_dom.detail = c.detail
CROSS JOIN results.refresh_parameters AS s
WHERE c.family = 'service_driver_cost'
