-- cost_driver_benchmark: an opportunity broken down by cost driver (ward, theatre, imaging, pathology, pharmacy ...).
-- Grain: one row per financial year, setting, POD, TFC, HRG, provider and cost driver, for the drivers any provider
--   has cost on in that cell.
-- Inputs: provider_year_quality, benchmark_cells, cell_dominance, results.refresh_parameters, ref_cost_driver
-- Published: yes
-- About: The drill-down of unit_cost_benchmark: what each provider spends per case on each collection activity,
--   against the ICS. Cost per case is per the POD's unit of count (as unit_cost_benchmark) over all the provider's
--   cases in the cell, including cases with no cost on that driver, so a provider's driver costs per unit add up
--   to its cost per unit in unit_cost_benchmark. Each
--   driver's opportunity is floored at 0 on its own, so driver opportunities do not add up to the cell's
--   opportunity: use them to see where the difference lies, not as a second total. Funnel flags as in
--   unit_cost_benchmark, on the driver's cost per case.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   pod [key] point of delivery
--   tfc [key] treatment function code; blank where the setting has none
--   hrg [key] HRG or currency
--   org_code [key] provider ODS code
--   cost_driver [key] collection activity code: ward, theatre, critical_care, pathology, imaging, pharmacy ...
--   cost_driver_name [key] the driver's name
--   unit_of_count [key] what one unit is: episode, attendance, contact, bed_day or critical_care_day
--   activity [count] the provider's records in the cell
--   units [total from activity] the provider's units of count
--   driver_cost [total from activity] the provider's cost on this driver in the cell, pounds
--   driver_cost_per_case [from activity] driver_cost / units: the driver's cost per unit of count, pounds
--   ics_activity [count] records in the cell across every provider
--   ics_driver_cost_per_case [from ics_activity] all providers' driver cost / all providers' units, pounds
--   ics_median_driver_cost_per_case [benchmark] median of the providers' driver cost per case
--   best_in_system_driver_cost_per_case [benchmark] lowest driver cost per case among providers with more than the
--     configured number of cases (10 by default)
--   best_in_system_org [benchmark] the provider that sets it
--   opportunity_vs_ics [total from activity vs ics_driver_cost_per_case] (driver_cost_per_case -
--     ics_driver_cost_per_case) x activity, floored at 0
--   opportunity_vs_best [total from activity vs best_in_system_driver_cost_per_case] (driver_cost_per_case - best_in_system_driver_cost_per_case) x activity,
--     floored at 0; blank when no provider has enough cases
--   net_vs_ics [total from activity vs ics_driver_cost_per_case] (driver_cost_per_case - ics_driver_cost_per_case) x
--     units, either sign
--   net_vs_best [total from activity vs best_in_system_driver_cost_per_case] (driver_cost_per_case - best_in_system_driver_cost_per_case) x units, either sign
--   in_headline [from activity] 1 when the cell has enough cases to count in headline totals
--   significant_vs_ics [total from activity vs ics_driver_cost_per_case] opportunity_vs_ics where the provider is
--     above the upper funnel limit at the configured level, else 0
--   funnel_z [from activity] log(driver cost per unit / ICS driver cost per unit) / its standard error
--   outlier_95 [from activity] high, low or within the 95% funnel limits; untested when the spread is unmeasurable
--   outlier_99_8 [from activity] the same at 99.8%
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not (period_alignment)
--   costing_score [shown] the provider's costing data-quality score for the year, 0 to 100 (costing_quality)
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of activity] the provider's cost in the cell by size (a credit counted as
--     positive; cell_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of activity] the cost in the cell of the provider's largest contributor (a
--     patient's records added up, or a record without a patient), pounds; never published
--   dominance_second [dominance second of activity] its second largest contributor's cost, pounds; never published
--   dominance_contributors [dominance contributors of activity] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_activity] the cell's cost across every provider, pounds; never published
--   ics_dominance_largest [dominance largest of ics_activity] the largest contributor's cost in the cell across every
--     provider, pounds; never published
--   ics_dominance_second [dominance second of ics_activity] the second largest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
SELECT c.fin_year, c.setting, c.pod, c.tfc, c.hrg, c.org_code, c.detail AS cost_driver, d.cost_driver_name,
       c.unit_of_count, c.cases AS activity, CAST(c.units AS DOUBLE) AS units, c.value AS driver_cost,
       c.rate AS driver_cost_per_case, c.ics_cases AS ics_activity, c.ics_rate AS ics_driver_cost_per_case,
       c.ics_median_rate AS ics_median_driver_cost_per_case,
       c.best_in_system_rate AS best_in_system_driver_cost_per_case, c.best_in_system_org,
       c.opportunity_vs_ics, c.opportunity_vs_best, c.net_vs_ics, c.net_vs_best, c.in_headline, c.significant_vs_ics,
       c.funnel_z, c.outlier_95, c.outlier_99_8, q.periods_aligned, q.costing_score, s.refresh_id,
       dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors,
       ics_dom.ics_cost AS ics_dominance_cost,
       ics_dom.ics_largest AS ics_dominance_largest, ics_dom.ics_second AS ics_dominance_second,
       ics_dom.ics_contributors AS ics_dominance_contributors
FROM benchmark_cells AS c
JOIN ref_cost_driver AS d ON d.cost_driver = c.detail
LEFT JOIN provider_year_quality AS q ON q.fin_year = c.fin_year AND q.org_code = c.org_code
LEFT JOIN cell_dominance AS dom
    ON dom.family = 'driver_cost' AND dom.fin_year = c.fin_year AND dom.setting = c.setting AND dom.pod = c.pod
   AND dom.tfc = c.tfc AND dom.hrg = c.hrg AND dom.detail = c.detail AND dom.org_code = c.org_code
LEFT JOIN (
    SELECT DISTINCT family, fin_year, setting, pod, tfc, hrg, detail, ics_cost, ics_largest, ics_second,
           ics_contributors
    FROM cell_dominance
) AS ics_dom
    ON ics_dom.family = 'driver_cost' AND ics_dom.fin_year = c.fin_year AND ics_dom.setting = c.setting
   AND ics_dom.pod = c.pod AND ics_dom.tfc = c.tfc AND ics_dom.hrg = c.hrg AND ics_dom.detail = c.detail
CROSS JOIN results.refresh_parameters AS s
WHERE c.family = 'driver_cost'
