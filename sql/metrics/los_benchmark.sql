-- los_benchmark: length of stay against the ICS and the best in system, in bed days and in pounds.
-- Grain: one row per financial year, POD, TFC, HRG and provider, for admitted care spells.
-- Inputs: spells, results.refresh_settings
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
WITH provider_cells AS (
    SELECT fin_year, pod, tfc, hrg, org_code,
           count(*) AS spells,
           sum(los) AS bed_days,
           sum(CAST(los AS DOUBLE) * CAST(los AS DOUBLE)) AS los_squared,
           sum(total_cost) AS total_cost
    FROM spells
    WHERE los IS NOT NULL
    GROUP BY fin_year, pod, tfc, hrg, org_code
),
ward_rates AS (
    SELECT fin_year, org_code,
           CAST(sum(ward_cost) AS DOUBLE) / nullif(sum(ward_bed_days), 0) AS ward_cost_per_bed_day
    FROM spells
    GROUP BY fin_year, org_code
),
provider_means AS (
    SELECT fin_year, pod, tfc, hrg, org_code, spells, bed_days, los_squared, total_cost,
           CAST(bed_days AS DOUBLE) / spells AS mean_los,
           ROW_NUMBER() OVER (PARTITION BY fin_year, pod, tfc, hrg ORDER BY CAST(bed_days AS DOUBLE) / spells, org_code)
               AS position,
           COUNT(*) OVER (PARTITION BY fin_year, pod, tfc, hrg) AS providers
    FROM provider_cells
),
ics AS (
    SELECT fin_year, pod, tfc, hrg,
           sum(spells) AS ics_spells,
           CAST(sum(bed_days) AS DOUBLE) / sum(spells) AS ics_mean_los,
           CAST(sum(bed_days) AS DOUBLE) AS ics_bed_days,
           sum(los_squared) AS ics_los_squared,
           avg(CASE WHEN position * 2 IN (providers, providers + 1, providers + 2) THEN mean_los END) AS ics_median_los
    FROM provider_means
    GROUP BY fin_year, pod, tfc, hrg
),
eligible AS (
    SELECT m.fin_year, m.pod, m.tfc, m.hrg, m.org_code, m.mean_los,
           ROW_NUMBER() OVER (PARTITION BY m.fin_year, m.pod, m.tfc, m.hrg ORDER BY m.mean_los, m.org_code) AS best_rank
    FROM provider_means AS m
    CROSS JOIN results.refresh_settings AS s
    WHERE m.spells > s.best_in_system_min_cases
),
benchmarked AS (
    SELECT m.fin_year, m.pod, m.tfc, m.hrg, m.org_code, m.spells, m.bed_days, m.mean_los, m.total_cost,
           CAST(m.total_cost AS DOUBLE) / m.spells AS mean_cost,
           i.ics_spells, i.ics_mean_los, i.ics_median_los,
           b.mean_los AS best_in_system_los, b.org_code AS best_in_system_org,
           w.ward_cost_per_bed_day,
           CASE WHEN i.ics_spells > 1 AND i.ics_los_squared - i.ics_bed_days * i.ics_bed_days / i.ics_spells > 0
                THEN sqrt((i.ics_los_squared - i.ics_bed_days * i.ics_bed_days / i.ics_spells) / (i.ics_spells - 1))
                     / sqrt(m.spells)
           END AS standard_error
    FROM provider_means AS m
    JOIN ics AS i ON i.fin_year = m.fin_year AND i.pod = m.pod AND i.tfc = m.tfc AND i.hrg = m.hrg
    LEFT JOIN eligible AS b
        ON b.fin_year = m.fin_year AND b.pod = m.pod AND b.tfc = m.tfc AND b.hrg = m.hrg AND b.best_rank = 1
    LEFT JOIN ward_rates AS w ON w.fin_year = m.fin_year AND w.org_code = m.org_code
),
excess AS (
    SELECT x.*,
           CASE WHEN x.mean_los > x.ics_mean_los THEN (x.mean_los - x.ics_mean_los) * x.spells ELSE 0 END
               AS excess_bed_days_vs_ics,
           CASE WHEN x.best_in_system_los IS NULL THEN NULL
                WHEN x.mean_los > x.best_in_system_los THEN (x.mean_los - x.best_in_system_los) * x.spells
                ELSE 0 END AS excess_bed_days_vs_best
    FROM benchmarked AS x
)
SELECT x.fin_year, x.pod, x.tfc, x.hrg, x.org_code, x.spells, x.bed_days, x.mean_los, x.total_cost, x.mean_cost,
       x.ics_spells, x.ics_mean_los, x.ics_median_los, x.best_in_system_los, x.best_in_system_org,
       x.excess_bed_days_vs_ics, x.excess_bed_days_vs_best, x.ward_cost_per_bed_day,
       x.excess_bed_days_vs_ics * x.ward_cost_per_bed_day AS excess_cost_vs_ics,
       x.excess_bed_days_vs_best * x.ward_cost_per_bed_day AS excess_cost_vs_best,
       (x.mean_los - x.ics_mean_los) / x.standard_error AS funnel_z,
       CASE WHEN x.standard_error IS NULL THEN 'untested'
            WHEN x.mean_los - x.ics_mean_los > s.funnel_z_95 * x.standard_error THEN 'high'
            WHEN x.ics_mean_los - x.mean_los > s.funnel_z_95 * x.standard_error THEN 'low'
            ELSE 'within' END AS outlier_95,
       CASE WHEN x.standard_error IS NULL THEN 'untested'
            WHEN x.mean_los - x.ics_mean_los > s.funnel_z_99_8 * x.standard_error THEN 'high'
            WHEN x.ics_mean_los - x.mean_los > s.funnel_z_99_8 * x.standard_error THEN 'low'
            ELSE 'within' END AS outlier_99_8,
       s.refresh_id
FROM excess AS x
CROSS JOIN results.refresh_settings AS s
