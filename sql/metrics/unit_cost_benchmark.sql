-- unit_cost_benchmark: each provider's average cost per case against the ICS, the best in system and national.
-- Grain: one row per financial year, setting, POD, treatment function (TFC), HRG and provider (the seed's grain).
-- Inputs: benchmark_cells, results.refresh_parameters
-- Published: yes
-- About: The cost opportunity. Opportunity = (provider's average cost - benchmark) x provider's activity, and 0 where
--   the provider is at or below the benchmark, so it is never negative. Do not add opportunities across benchmarks
--   (they overlap), and take care adding them across cells: each is floored at 0 on its own, so a provider's
--   savings in one cell are not netted against its excess in another. The funnel-plot z-score says whether a
--   provider's average is further from the ICS average than chance would explain for that many cases: 'high' or
--   'low' at 95% is worth a look, at 99.8% it is very unlikely to be noise. National averages come from the national
--   cost schedule (activity weighted), matched on the POD's department and the HRG; blank where the schedule has no
--   price or prices a different unit (critical care is compared per bed day in critical_care).
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   pod [key] point of delivery
--   tfc [key] treatment function code; blank where the setting has none
--   hrg [key] HRG or currency
--   org_code [key] provider ODS code
--   activity [count] the provider's records in the cell (episodes, attendances, periods or contacts)
--   total_cost [from activity] the provider's cost for those records, pounds
--   mean_cost [from activity] total_cost / activity: the provider's average cost per record, pounds
--   ics_activity [count] records in the cell across every provider
--   ics_mean_cost [from ics_activity] ICS average cost per record: all providers' cost / all providers' activity
--   ics_median_cost [shown] median of the providers' average costs (each provider counts once, whatever its size)
--   providers [shown] providers with activity in the cell
--   best_in_system_cost [shown] lowest provider average among providers with more than the configured number of
--     cases (10 by default); blank when no provider has that many
--   best_in_system_org [shown] the provider that sets best_in_system_cost
--   national_mean_cost [shown] national average unit cost for the POD's department and HRG, pounds
--   opportunity_vs_ics [from activity] (mean_cost - ics_mean_cost) x activity, floored at 0, pounds
--   opportunity_vs_median [from activity] (mean_cost - ics_median_cost) x activity, floored at 0, pounds
--   opportunity_vs_best [from activity] (mean_cost - best_in_system_cost) x activity, floored at 0, pounds
--   opportunity_vs_national [from activity] (mean_cost - national_mean_cost) x activity, floored at 0, pounds
--   funnel_z [from activity] (mean_cost - ics_mean_cost) / (ICS standard deviation of cost per record / square root
--     of activity): how many standard errors the provider sits from the ICS average
--   funnel_lower_95 [from activity] lower 95% funnel limit around the ICS average for this many cases, pounds
--   funnel_upper_95 [from activity] upper 95% funnel limit, pounds
--   funnel_lower_99_8 [from activity] lower 99.8% funnel limit, pounds
--   funnel_upper_99_8 [from activity] upper 99.8% funnel limit, pounds
--   outlier_95 [from activity] high or low when outside the 95% limits, within when inside, untested when the
--     ICS spread cannot be measured (a single record, or identical costs)
--   outlier_99_8 [from activity] the same at the 99.8% limits
--   refresh_id [shown] the refresh that wrote the row
SELECT c.fin_year, c.setting, c.pod, c.tfc, c.hrg, c.org_code,
       c.cases AS activity, c.value AS total_cost, c.rate AS mean_cost,
       c.ics_cases AS ics_activity, c.ics_rate AS ics_mean_cost, c.ics_median_rate AS ics_median_cost, c.providers,
       c.best_in_system_rate AS best_in_system_cost, c.best_in_system_org, c.national_rate AS national_mean_cost,
       c.opportunity_vs_ics, c.opportunity_vs_median, c.opportunity_vs_best, c.opportunity_vs_national,
       c.funnel_z, c.funnel_lower_95, c.funnel_upper_95, c.funnel_lower_99_8, c.funnel_upper_99_8,
       c.outlier_95, c.outlier_99_8, s.refresh_id
FROM benchmark_cells AS c
CROSS JOIN results.refresh_parameters AS s
WHERE c.family = 'unit_cost'
