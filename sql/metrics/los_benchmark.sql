-- los_benchmark: length of stay against the ICS and the best in system, in bed days and in pounds.
-- Grain: one row per financial year, POD, TFC, HRG and provider, for admitted care spells.
-- Inputs: benchmark_cells, spells, results.refresh_parameters
-- Published: yes
-- About: The length-of-stay opportunity. Excess bed days = (provider's mean stay - benchmark) x spells, 0 where the
--   provider is at or below the benchmark. They are valued at the provider's own ward cost per bed day (its ward
--   cost / ward bed days over all its admitted care that year), which is what a shorter stay would release; this is
--   not the same as, and must not be added to, the cost opportunity in unit_cost_benchmark (ward cost is part of
--   both). Spells take POD and TFC from their first episode and the spell HRG.
-- Columns:
--   fin_year [key] financial year
--   pod [key] point of delivery: EL, NEL, NES, DC or RP
--   tfc [key] treatment function code
--   hrg [key] spell HRG
--   org_code [key] provider ODS code
--   spells [count] the provider's spells in the cell
--   bed_days [from spells] the provider's total length of stay, days
--   mean_los [from spells] bed_days / spells
--   total_cost [from spells] cost of those spells, pounds
--   mean_cost [from spells] average cost per spell, pounds
--   ics_spells [count] spells in the cell across every provider
--   ics_mean_los [from ics_spells] all providers' bed days / all providers' spells
--   ics_median_los [shown] median of the providers' mean stays
--   best_in_system_los [shown] shortest mean stay among providers with more than the configured number of spells
--   best_in_system_org [shown] the provider that sets it
--   excess_bed_days_vs_ics [from spells] (mean_los - ics_mean_los) x spells, floored at 0
--   excess_bed_days_vs_best [from spells] (mean_los - best_in_system_los) x spells, floored at 0; blank when no
--     provider has enough spells
--   ward_cost_per_bed_day [shown] the provider's ward cost per ward bed day over all its admitted care, pounds
--   excess_cost_vs_ics [from spells] excess_bed_days_vs_ics x ward_cost_per_bed_day, pounds
--   excess_cost_vs_best [from spells] excess_bed_days_vs_best x ward_cost_per_bed_day, pounds
--   funnel_z [from spells] standard errors between the provider's and the ICS mean stay
--   outlier_95 [from spells] high, low or within the 95% funnel limits; untested when the spread is unmeasurable
--   outlier_99_8 [from spells] the same at 99.8%
--   refresh_id [shown] the refresh that wrote the row
WITH costs AS (
    SELECT fin_year, pod, tfc, hrg, org_code, sum(total_cost) AS total_cost
    FROM spells
    WHERE los IS NOT NULL
    GROUP BY fin_year, pod, tfc, hrg, org_code
),
ward_rates AS (
    SELECT fin_year, org_code,
           CAST(sum(ward_cost) AS DOUBLE) / nullif(sum(ward_bed_days), 0) AS ward_cost_per_bed_day
    FROM spells
    GROUP BY fin_year, org_code
)
SELECT c.fin_year, c.pod, c.tfc, c.hrg, c.org_code, c.cases AS spells, CAST(c.value AS BIGINT) AS bed_days,
       c.rate AS mean_los, t.total_cost, CAST(t.total_cost AS DOUBLE) / c.cases AS mean_cost,
       c.ics_cases AS ics_spells, c.ics_rate AS ics_mean_los, c.ics_median_rate AS ics_median_los,
       c.best_in_system_rate AS best_in_system_los, c.best_in_system_org,
       c.opportunity_vs_ics AS excess_bed_days_vs_ics, c.opportunity_vs_best AS excess_bed_days_vs_best,
       w.ward_cost_per_bed_day,
       c.opportunity_vs_ics * w.ward_cost_per_bed_day AS excess_cost_vs_ics,
       c.opportunity_vs_best * w.ward_cost_per_bed_day AS excess_cost_vs_best,
       c.funnel_z, c.outlier_95, c.outlier_99_8, s.refresh_id
FROM benchmark_cells AS c
JOIN costs AS t
    ON t.fin_year = c.fin_year AND t.pod = c.pod AND t.tfc = c.tfc AND t.hrg = c.hrg AND t.org_code = c.org_code
LEFT JOIN ward_rates AS w ON w.fin_year = c.fin_year AND w.org_code = c.org_code
CROSS JOIN results.refresh_parameters AS s
WHERE c.family = 'los'
