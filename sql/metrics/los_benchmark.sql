-- los_benchmark: length of stay against the ICS and the best in system, in bed days and in pounds.
-- Grain: one row per financial year, POD, TFC, HRG and provider, for admitted care spells.
-- Inputs: provider_year_quality, benchmark_cells, spells, spell_trim_points, cell_dominance, results.refresh_parameters
-- Published: yes
-- About: The length-of-stay opportunity, per spell. Stays are trimmed as the tariff does: a stay longer than the
--   HRG's trim point (the national one where supplied, else the ICS's own upper quartile + 1.5 x interquartile
--   range for the HRG, POD and year) counts as the trim point, and the days beyond it are shown apart as long-stay
--   excess bed days, so one very long stay does not decide a cell. Excess bed days = (provider's mean trimmed stay -
--   benchmark) x spells, 0 where the provider is at or below the benchmark; the net figure keeps both signs. They
--   are valued at the provider's own ward cost per bed day (its ward cost / ward bed days over all its admitted
--   care that year), which is what a shorter stay would release; this is not the same as, and must not be added to,
--   the cost opportunity in unit_cost_benchmark (ward cost is part of both). Spells take POD and TFC from their
--   first episode and the spell HRG.
-- Columns:
--   fin_year [key] financial year
--   pod [key] point of delivery: EL, NEL, NES, DC or RP
--   tfc [key] treatment function code
--   hrg [key] spell HRG
--   org_code [key] provider ODS code
--   unit_of_count [key] spell
--   spells [count] the provider's spells in the cell
--   bed_days [total from spells] the provider's total length of stay, days (untrimmed)
--   mean_los_untrimmed [from spells] bed_days / spells
--   trim_point [shown] the HRG's trim point for the POD's admission type, days
--   trim_point_source [shown] national (from the config's trim point file) or ics (the ICS's own spells)
--   trimmed_bed_days [total from spells] length of stay with each stay capped at the trim point, days
--   long_stay_bed_days [total from spells] days beyond the trim point, added up
--   mean_los [from spells] trimmed_bed_days / spells: the mean trimmed stay the benchmarks compare
--   total_cost [total from spells] cost of those spells, pounds
--   mean_cost [from spells] average cost per spell, pounds
--   ics_spells [count] spells in the cell across every provider
--   ics_mean_los [from ics_spells] all providers' trimmed bed days / all providers' spells
--   ics_mean_los_untrimmed [from ics_spells] the same untrimmed
--   ics_median_los [benchmark] median of the providers' mean trimmed stays
--   best_in_system_los [benchmark] shortest mean trimmed stay among providers with more than the configured number
--     of spells
--   best_in_system_org [benchmark] the provider that sets it
--   excess_bed_days_vs_ics [total from spells] (mean_los - ics_mean_los) x spells, floored at 0
--   excess_bed_days_vs_best [total from spells vs best_in_system_los] (mean_los - best_in_system_los) x spells, floored at 0; blank when no
--     provider has enough spells
--   net_bed_days_vs_ics [total from spells] (mean_los - ics_mean_los) x spells, either sign
--   ward_cost_per_bed_day [shown] the provider's ward cost per ward bed day over all its admitted care, pounds
--   excess_cost_vs_ics [total from spells] excess_bed_days_vs_ics x ward_cost_per_bed_day, pounds
--   excess_cost_vs_best [total from spells vs best_in_system_los] excess_bed_days_vs_best x ward_cost_per_bed_day, pounds
--   net_cost_vs_ics [total from spells] net_bed_days_vs_ics x ward_cost_per_bed_day, pounds
--   in_headline [from spells] 1 when the cell has enough spells to count in headline totals
--   funnel_z [from spells] log(mean_los / ics_mean_los) / its standard error, overdispersion included
--   outlier_95 [from spells] high, low or within the 95% funnel limits; untested when the spread is unmeasurable
--   outlier_99_8 [from spells] the same at 99.8%
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not (period_alignment)
--   costing_score [shown] the provider's costing data-quality score for the year, 0 to 100 (costing_quality)
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of spells] the provider's cost of the cell's spells by size (a credit counted as
--     positive; cell_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of spells] the cost in the cell of the provider's largest contributor (a
--     patient's spells added up, or a spell without a patient), pounds; never published
--   dominance_second [dominance second of spells] its second largest contributor's cost, pounds; never published
--   dominance_contributors [dominance contributors of spells] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
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
SELECT c.fin_year, c.pod, c.tfc, c.hrg, c.org_code, c.unit_of_count, c.cases AS spells,
       CAST(u.value AS BIGINT) AS bed_days, u.rate AS mean_los_untrimmed, t.trim_point, t.trim_point_source,
       CAST(c.value AS DOUBLE) AS trimmed_bed_days, CAST(u.value - c.value AS DOUBLE) AS long_stay_bed_days,
       c.rate AS mean_los, k.total_cost, CAST(k.total_cost AS DOUBLE) / NULLIF(c.cases, 0) AS mean_cost,
       c.ics_cases AS ics_spells, c.ics_rate AS ics_mean_los, u.ics_rate AS ics_mean_los_untrimmed,
       c.ics_median_rate AS ics_median_los, c.best_in_system_rate AS best_in_system_los, c.best_in_system_org,
       c.opportunity_vs_ics AS excess_bed_days_vs_ics, c.opportunity_vs_best AS excess_bed_days_vs_best,
       c.net_vs_ics AS net_bed_days_vs_ics, w.ward_cost_per_bed_day,
       c.opportunity_vs_ics * w.ward_cost_per_bed_day AS excess_cost_vs_ics,
       c.opportunity_vs_best * w.ward_cost_per_bed_day AS excess_cost_vs_best,
       c.net_vs_ics * w.ward_cost_per_bed_day AS net_cost_vs_ics,
       c.in_headline, c.funnel_z, c.outlier_95, c.outlier_99_8, q.periods_aligned, q.costing_score, s.refresh_id,
       dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors
FROM benchmark_cells AS c
JOIN benchmark_cells AS u
    ON u.family = 'los_untrimmed' AND u.fin_year = c.fin_year AND u.pod = c.pod AND u.tfc = c.tfc
   AND u.hrg = c.hrg AND u.org_code = c.org_code
JOIN spell_trim_points AS t ON t.fin_year = c.fin_year AND t.pod = c.pod AND t.hrg = c.hrg
JOIN costs AS k
    ON k.fin_year = c.fin_year AND k.pod = c.pod AND k.tfc = c.tfc AND k.hrg = c.hrg AND k.org_code = c.org_code
LEFT JOIN ward_rates AS w ON w.fin_year = c.fin_year AND w.org_code = c.org_code
LEFT JOIN provider_year_quality AS q ON q.fin_year = c.fin_year AND q.org_code = c.org_code
LEFT JOIN cell_dominance AS dom
    ON dom.family = 'spell_cost' AND dom.fin_year = c.fin_year AND dom.pod = c.pod AND dom.tfc = c.tfc
   AND dom.hrg = c.hrg AND dom.org_code = c.org_code
CROSS JOIN results.refresh_parameters AS s
WHERE c.family = 'los'
