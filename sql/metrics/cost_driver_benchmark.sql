-- cost_driver_benchmark: an opportunity broken down by cost driver (ward, theatre, imaging, pathology, pharmacy ...).
-- Grain: one row per financial year, setting, POD, TFC, HRG, provider and cost driver, for the drivers any provider
--   has cost on in that cell.
-- Inputs: benchmark_cells, results.refresh_parameters, ref_cost_driver
-- Published: yes
-- About: The drill-down of unit_cost_benchmark: what each provider spends per case on each collection activity,
--   against the ICS. Cost per case is over all the provider's cases in the cell, including cases with no cost on
--   that driver, so a provider's driver costs per case add up to its average cost in unit_cost_benchmark. Each
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
--   activity [count] the provider's records in the cell
--   driver_cost [from activity] the provider's cost on this driver in the cell, pounds
--   driver_cost_per_case [from activity] driver_cost / activity, pounds
--   ics_activity [count] records in the cell across every provider
--   ics_driver_cost_per_case [from ics_activity] all providers' driver cost / all providers' activity, pounds
--   ics_median_driver_cost_per_case [shown] median of the providers' driver cost per case
--   best_in_system_driver_cost_per_case [shown] lowest driver cost per case among providers with more than the
--     configured number of cases (10 by default)
--   best_in_system_org [shown] the provider that sets it
--   opportunity_vs_ics [from activity] (driver_cost_per_case - ics_driver_cost_per_case) x activity, floored at 0
--   opportunity_vs_best [from activity] (driver_cost_per_case - best_in_system_driver_cost_per_case) x activity,
--     floored at 0; blank when no provider has enough cases
--   funnel_z [from activity] standard errors between the provider's and the ICS driver cost per case
--   outlier_95 [from activity] high, low or within the 95% funnel limits; untested when the spread is unmeasurable
--   outlier_99_8 [from activity] the same at 99.8%
--   refresh_id [shown] the refresh that wrote the row
SELECT c.fin_year, c.setting, c.pod, c.tfc, c.hrg, c.org_code, c.detail AS cost_driver, d.cost_driver_name,
       c.cases AS activity, c.value AS driver_cost, c.rate AS driver_cost_per_case,
       c.ics_cases AS ics_activity, c.ics_rate AS ics_driver_cost_per_case,
       c.ics_median_rate AS ics_median_driver_cost_per_case,
       c.best_in_system_rate AS best_in_system_driver_cost_per_case, c.best_in_system_org,
       c.opportunity_vs_ics, c.opportunity_vs_best, c.funnel_z, c.outlier_95, c.outlier_99_8, s.refresh_id
FROM benchmark_cells AS c
JOIN ref_cost_driver AS d ON d.cost_driver = c.detail
CROSS JOIN results.refresh_parameters AS s
WHERE c.family = 'driver_cost'
