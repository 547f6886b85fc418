-- unit_cost_benchmark: each provider's cost per unit of activity against the ICS, the best in system and national.
-- Grain: one row per financial year, setting, POD, treatment function (TFC), HRG and provider (the seed's grain).
-- Inputs: provider_year_quality, benchmark_cells, cell_dominance, results.refresh_parameters
-- Published: yes
-- About: The cost opportunity, per the POD's unit of count: an episode for admitted care, an attendance for
--   outpatients and emergency care, a contact for community and mental health contacts, a bed day for mental
--   health inpatients and a critical care day for critical care (unit_of_count says which), the unit the national
--   schedule prices it in. Opportunity = (provider's cost per unit - benchmark) x its units, 0 where it is at or
--   below the benchmark (the seed's method); the net difference keeps both signs, so it can be added up without
--   overstating. Do not add opportunities across benchmarks (they overlap). The funnel limits are around the ICS
--   cost per unit for this many cases, on the log scale and widened where providers differ more than chance allows
--   (overdispersion); 'high' or 'low' at 95% is worth a look, at 99.8% it is very unlikely to be noise, and
--   significant_vs_ics keeps only the opportunity above the configured limit. National prices come from the
--   national cost schedule for the year (national_basis says which price and how specific it is).
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   pod [key] point of delivery
--   tfc [key] treatment function code; blank where the setting has none
--   hrg [key] HRG or currency
--   org_code [key] provider ODS code
--   unit_of_count [key] what one unit is: episode, attendance, contact, bed_day or critical_care_day
--   activity [count] the provider's records in the cell (episodes, attendances, periods or contacts)
--   units [total from activity] the provider's units of count (the records, or their days)
--   total_cost [total from activity] the provider's cost for those records, pounds
--   mean_cost [from activity] total_cost / units: the provider's cost per unit of count, pounds
--   ics_activity [count] records in the cell across every provider
--   ics_mean_cost [from ics_activity] ICS cost per unit: all providers' cost / all providers' units
--   ics_median_cost [benchmark] median of the providers' cost per unit (each provider counts once, whatever its size)
--   providers [shown] providers with activity in the cell
--   best_in_system_cost [benchmark] lowest provider cost per unit among providers with more than the configured number
--     of cases (10 by default); blank when no provider has that many
--   best_in_system_org [benchmark] the provider that sets best_in_system_cost
--   national_mean_cost [from activity] national average cost per unit for the provider's records (its mix of currencies,
--     clinics and department types at national prices, market forces adjusted when configured), pounds
--   ics_national_mean_cost [from ics_activity] the same for every provider's records in the cell together (the ICS's mix), the
--     national benchmark for the cell as a whole, pounds
--   national_basis [shown] which national price: schedule year, how specific, market forces factor
--   in_headline [from activity] 1 when the cell has enough cases to count in headline totals
--   opportunity_vs_ics [total from activity vs ics_mean_cost] (mean_cost - ics_mean_cost) x units, floored at 0, pounds
--   opportunity_vs_median [total from activity vs ics_median_cost] (mean_cost - ics_median_cost) x units, floored at 0, pounds
--   opportunity_vs_best [total from activity vs best_in_system_cost] (mean_cost - best_in_system_cost) x units, floored at 0, pounds
--   opportunity_vs_national [total from activity] (mean_cost - national_mean_cost) x units, floored at 0, pounds
--   net_vs_ics [total from activity vs ics_mean_cost] (mean_cost - ics_mean_cost) x units, either sign, pounds
--   net_vs_median [total from activity vs ics_median_cost] (mean_cost - ics_median_cost) x units, either sign, pounds
--   net_vs_best [total from activity vs best_in_system_cost] (mean_cost - best_in_system_cost) x units, either sign, pounds
--   net_vs_national [total from activity] (mean_cost - national_mean_cost) x units, either sign, pounds
--   significant_vs_ics [total from activity vs ics_mean_cost] opportunity_vs_ics where the provider is above the upper
--     funnel limit at the configured level, else 0, pounds
--   funnel_z [from activity] log(mean_cost / ics_mean_cost) / its standard error, overdispersion included
--   funnel_lower_95 [from activity vs ics_mean_cost] lower 95% funnel limit around the ICS cost per unit for this many
--     cases, pounds (with the upper limit it gives the ICS cost per unit back, so it is hidden with it)
--   funnel_upper_95 [from activity vs ics_mean_cost] upper 95% funnel limit, pounds
--   funnel_lower_99_8 [from activity vs ics_mean_cost] lower 99.8% funnel limit, pounds
--   funnel_upper_99_8 [from activity vs ics_mean_cost] upper 99.8% funnel limit, pounds
--   outlier_95 [from activity] high or low when outside the 95% limits, within when inside, untested when the
--     ICS spread cannot be measured (a single record, or identical costs)
--   outlier_99_8 [from activity] the same at the 99.8% limits
--   overdispersion_tau2 [benchmark] the cell's between-provider variance (log scale) added to every provider's; 0 when
--     providers differ no more than chance allows
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
SELECT c.fin_year, c.setting, c.pod, c.tfc, c.hrg, c.org_code, c.unit_of_count,
       c.cases AS activity, CAST(c.units AS DOUBLE) AS units, c.value AS total_cost, c.rate AS mean_cost,
       c.ics_cases AS ics_activity, c.ics_rate AS ics_mean_cost, c.ics_median_rate AS ics_median_cost, c.providers,
       c.best_in_system_rate AS best_in_system_cost, c.best_in_system_org, c.national_rate AS national_mean_cost,
       c.ics_national_rate AS ics_national_mean_cost, c.national_basis, c.in_headline,
       c.opportunity_vs_ics, c.opportunity_vs_median, c.opportunity_vs_best, c.opportunity_vs_national,
       c.net_vs_ics, c.net_vs_median, c.net_vs_best, c.net_vs_national, c.significant_vs_ics,
       c.funnel_z, c.funnel_lower_95, c.funnel_upper_95, c.funnel_lower_99_8, c.funnel_upper_99_8,
       c.outlier_95, c.outlier_99_8, c.overdispersion_tau2, q.periods_aligned, q.costing_score, s.refresh_id,
       dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors,
       ics_dom.ics_cost AS ics_dominance_cost,
       ics_dom.ics_largest AS ics_dominance_largest, ics_dom.ics_second AS ics_dominance_second,
       ics_dom.ics_contributors AS ics_dominance_contributors
FROM benchmark_cells AS c
LEFT JOIN provider_year_quality AS q ON q.fin_year = c.fin_year AND q.org_code = c.org_code
LEFT JOIN cell_dominance AS dom
    ON dom.family = 'unit_cost' AND dom.fin_year = c.fin_year AND dom.setting = c.setting AND dom.pod = c.pod
   AND dom.tfc = c.tfc AND dom.hrg = c.hrg AND dom.detail = '' AND dom.org_code = c.org_code
LEFT JOIN (
    SELECT DISTINCT family, fin_year, setting, pod, tfc, hrg, detail, ics_cost, ics_largest, ics_second,
           ics_contributors
    FROM cell_dominance
) AS ics_dom
    ON ics_dom.family = 'unit_cost' AND ics_dom.fin_year = c.fin_year AND ics_dom.setting = c.setting
   AND ics_dom.pod = c.pod AND ics_dom.tfc = c.tfc AND ics_dom.hrg = c.hrg AND ics_dom.detail = ''
CROSS JOIN results.refresh_parameters AS s
WHERE c.family = 'unit_cost'
