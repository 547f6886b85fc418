-- benchmark_cells: the benchmark method, written once: each provider's rate against the ICS, the median and the best.
-- Grain: one row per benchmark family, financial year, cell and provider (as benchmark_inputs).
-- Inputs: benchmark_scores, results.refresh_parameters
-- Published: no
-- About: Internal: every benchmark table reads its figures from here, so a change to the method is one edit. For
--   each cell, rates are per the cell's unit of count: the ICS rate (all providers' value / all providers' units,
--   so larger providers weigh more); the median of the providers' rates (each provider counts once: the middle
--   rate, or the mean of the two middle ones); the best in system (the lowest rate among providers with more cases
--   than the configured minimum, ties to the first provider code); the funnel plot around the ICS rate; and each
--   opportunity, (rate - benchmark) x units, floored at 0 (the seed's method), and netted (both signs, so a
--   provider's savings in one cell offset its excess in another). The funnel (Spiegelhalter 2005, as FunnelPlotR):
--   the spread of the records' values about the ICS rate gives each provider's standard error and rates are compared
--   on the log scale (benchmark_scores); the z-scores are winsorised at the configured percentiles (10th and 90th by
--   default, [benchmarks] overdispersion_winsorise), and where providers differ more than chance allows (phi > 1
--   over all the family's cells in the year: a cell of three to five providers is too few to tell overdispersion
--   from a real outlier) an additive random effect tau-squared (DerSimonian and Laird) widens every limit. An
--   opportunity is significant when the provider is above the upper limit at the configured level.
-- Columns:
--   family [key] as benchmark_inputs
--   fin_year [key] financial year
--   setting [key] as benchmark_inputs
--   pod [key] as benchmark_inputs
--   tfc [key] as benchmark_inputs
--   hrg [key] as benchmark_inputs
--   detail [key] as benchmark_inputs
--   org_code [key] provider ODS code
--   unit_of_count [key] as benchmark_inputs
--   cases [count] the provider's cases in the cell
--   units [from cases] the provider's units
--   value [from cases] the provider's value
--   rate [from cases] value / units; blank when units is 0
--   ics_cases [count] cases in the cell across every provider
--   ics_units [from ics_cases] units across every provider
--   ics_rate [from ics_cases] all providers' value / all providers' units
--   ics_median_rate [shown] median of the providers' rates
--   providers [shown] providers with a rate in the cell
--   best_in_system_rate [shown] lowest rate among providers with more than the configured number of cases
--   best_in_system_org [shown] the provider that sets it
--   national_rate [shown] the national average in the unit of count for the provider's records (market forces
--     adjusted when configured)
--   ics_national_rate [shown] the same for every provider's records together (the ICS's case mix)
--   national_basis [shown] as benchmark_inputs
--   in_headline [from cases] 1 when the cell has at least the configured minimum cases for headline totals
--   standard_error [from cases] of the provider's rate on the log scale, overdispersion included; blank when the
--     spread cannot be measured (a single record, identical values, or a family without it)
--   overdispersion_phi [shown] the family's mean squared winsorised z-score in the year (about 1 when providers
--     differ by chance)
--   overdispersion_tau2 [shown] the between-provider variance added to every provider's (log scale); 0 when none
--   funnel_z [from cases] log(rate / ics_rate) / standard_error
--   funnel_lower_95 [from cases] lower 95% limit around the ICS rate for this many cases
--   funnel_upper_95 [from cases] upper 95% limit
--   funnel_lower_99_8 [from cases] lower 99.8% limit
--   funnel_upper_99_8 [from cases] upper 99.8% limit
--   outlier_95 [from cases] high or low when outside the 95% limits, within when inside, untested without a
--     standard error
--   outlier_99_8 [from cases] the same at the 99.8% limits
--   opportunity_vs_ics [from cases] (rate - ics_rate) x units, floored at 0
--   opportunity_vs_median [from cases] (rate - ics_median_rate) x units, floored at 0
--   opportunity_vs_best [from cases] (rate - best_in_system_rate) x units, floored at 0; blank without a best
--   opportunity_vs_national [from cases] (rate - national_rate) x units, floored at 0; blank without a national rate
--   net_vs_ics [from cases] (rate - ics_rate) x units, either sign
--   net_vs_median [from cases] (rate - ics_median_rate) x units, either sign
--   net_vs_best [from cases] (rate - best_in_system_rate) x units, either sign; blank without a best
--   net_vs_national [from cases] (rate - national_rate) x units, either sign; blank without a national rate
--   significant_vs_ics [from cases] opportunity_vs_ics where the provider is above the upper funnel limit at the
--     configured level, else 0
WITH z_scores AS (
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, log_se, z,
           ROW_NUMBER() OVER (
               PARTITION BY family, fin_year ORDER BY z, setting, pod, tfc, hrg, detail, org_code
           ) AS z_position,
           COUNT(*) OVER (PARTITION BY family, fin_year) AS scored
    FROM benchmark_scores
    WHERE z IS NOT NULL
),
quantile_positions AS (
    -- Where the winsorising percentiles p and 1 - p of the family's z-scores in the year lie among them
    -- (PERCENTILE_CONT by hand, as it ports): at position 1 + (scored - 1) x p.
    SELECT DISTINCT z.family, z.fin_year,
           1 + (z.scored - 1) * s.overdispersion_winsorise AS low_at,
           1 + (z.scored - 1) * (1 - s.overdispersion_winsorise) AS high_at
    FROM z_scores AS z
    CROSS JOIN results.refresh_parameters AS s
),
z_limits AS (
    -- The percentile between the two z-scores either side of its position, in proportion.
    SELECT z.family, z.fin_year,
           max(CASE WHEN z.z_position = FLOOR(q.low_at) THEN z.z END)
               + (q.low_at - FLOOR(q.low_at))
               * (coalesce(max(CASE WHEN z.z_position = FLOOR(q.low_at) + 1 THEN z.z END),
                           max(CASE WHEN z.z_position = FLOOR(q.low_at) THEN z.z END))
                  - max(CASE WHEN z.z_position = FLOOR(q.low_at) THEN z.z END)) AS z_low,
           max(CASE WHEN z.z_position = FLOOR(q.high_at) THEN z.z END)
               + (q.high_at - FLOOR(q.high_at))
               * (coalesce(max(CASE WHEN z.z_position = FLOOR(q.high_at) + 1 THEN z.z END),
                           max(CASE WHEN z.z_position = FLOOR(q.high_at) THEN z.z END))
                  - max(CASE WHEN z.z_position = FLOOR(q.high_at) THEN z.z END)) AS z_high
    FROM z_scores AS z
    JOIN quantile_positions AS q ON q.family = z.family AND q.fin_year = z.fin_year
    GROUP BY z.family, z.fin_year, q.low_at, q.high_at
),
provider_dispersion AS (
    -- Each provider's winsorised z^2 and weights w = 1 / s^2 and w^2, with running sums over the cell's providers in
    -- code order. Floating-point sums are taken in a fixed order (running sums over a total order, read at the last
    -- row) so that a refresh gives the same last digits however its threads are scheduled; a plain SUM adds in
    -- whatever order the threads finish. The keys are never blank: NULLS FIRST is only there because it is every
    -- engine's ascending order, so the window needs no rewriting for T-SQL.
    SELECT z.family, z.fin_year, z.setting, z.pod, z.tfc, z.hrg, z.detail,
           ROW_NUMBER() OVER (
               PARTITION BY z.family, z.fin_year, z.setting, z.pod, z.tfc, z.hrg, z.detail ORDER BY z.org_code
           ) AS provider_number,
           COUNT(*) OVER (PARTITION BY z.family, z.fin_year, z.setting, z.pod, z.tfc, z.hrg, z.detail) AS k,
           SUM(CASE WHEN z.z < l.z_low THEN l.z_low * l.z_low
                    WHEN z.z > l.z_high THEN l.z_high * l.z_high
                    ELSE z.z * z.z END) OVER (
               PARTITION BY z.family, z.fin_year, z.setting, z.pod, z.tfc, z.hrg, z.detail
               ORDER BY z.org_code NULLS FIRST
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS q,
           SUM(1 / NULLIF((z.log_se * z.log_se), 0)) OVER (
               PARTITION BY z.family, z.fin_year, z.setting, z.pod, z.tfc, z.hrg, z.detail
               ORDER BY z.org_code NULLS FIRST
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS weight,
           SUM(1 / NULLIF((z.log_se * z.log_se * z.log_se * z.log_se), 0)) OVER (
               PARTITION BY z.family, z.fin_year, z.setting, z.pod, z.tfc, z.hrg, z.detail
               ORDER BY z.org_code NULLS FIRST
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS weight_squared
    FROM z_scores AS z
    JOIN z_limits AS l ON l.family = z.family AND l.fin_year = z.fin_year
),
cell_dispersion AS (
    -- Per cell with more than one provider scored: the sum of the winsorised z^2 (Q), the providers scored (k) and
    -- the cell's share of the weights, sum w - sum w^2 / sum w; then the running sums over the family's cells in
    -- the year, in cell order.
    SELECT family, fin_year, k,
           ROW_NUMBER() OVER (PARTITION BY family, fin_year ORDER BY setting, pod, tfc, hrg, detail) AS cell_number,
           COUNT(*) OVER (PARTITION BY family, fin_year) AS cells,
           SUM(q) OVER (
               PARTITION BY family, fin_year ORDER BY setting NULLS FIRST, pod NULLS FIRST, tfc NULLS FIRST,
                        hrg NULLS FIRST, detail NULLS FIRST
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS family_q,
           SUM(k) OVER (
               PARTITION BY family, fin_year ORDER BY setting NULLS FIRST, pod NULLS FIRST, tfc NULLS FIRST,
                        hrg NULLS FIRST, detail NULLS FIRST
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS family_k,
           SUM(weight - weight_squared / NULLIF(weight, 0)) OVER (
               PARTITION BY family, fin_year ORDER BY setting NULLS FIRST, pod NULLS FIRST, tfc NULLS FIRST,
                        hrg NULLS FIRST, detail NULLS FIRST
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS family_spread
    FROM provider_dispersion
    WHERE provider_number = k AND k > 1
),
random_effect AS (
    -- Overdispersion is estimated over all the family's cells in the year together (an ICS has too few providers for
    -- a cell's own estimate: one true outlier among three would be taken for noise):
    -- tau^2 = (sum Q - sum (k - 1)) / sum (sum w - sum w^2 / sum w) when positive (Spiegelhalter 2005, DerSimonian and
    -- Laird), the between-provider variance on the log scale added to every provider's; phi = sum Q / sum k, the
    -- mean squared z-score, reported as Spiegelhalter defines it.
    SELECT family, fin_year,
           family_q / NULLIF(family_k, 0) AS phi,
           CASE WHEN family_q > family_k - cells THEN (family_q - (family_k - cells)) / NULLIF(family_spread, 0) ELSE 0 END AS tau2
    FROM cell_dispersion
    WHERE cell_number = cells
),
best AS (
    SELECT r.family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.detail, r.org_code, r.rate,
           ROW_NUMBER() OVER (
               PARTITION BY r.family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.detail ORDER BY r.rate, r.org_code
           ) AS best_rank
    FROM benchmark_scores AS r
    CROSS JOIN results.refresh_parameters AS s
    WHERE r.cases > s.best_in_system_min_cases AND r.rate IS NOT NULL
),
benchmarked AS (
    SELECT r.family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.detail, r.org_code, r.unit_of_count, r.cases,
           r.units, r.value, r.rate, r.ics_cases, r.ics_units, r.ics_rate, r.ics_median_rate, r.providers,
           b.rate AS best_in_system_rate, b.org_code AS best_in_system_org, r.national_rate, r.ics_national_rate,
           r.national_basis,
           e.phi AS overdispersion_phi, coalesce(e.tau2, 0) AS overdispersion_tau2,
           CASE WHEN r.log_se > 0 THEN sqrt(r.log_se * r.log_se + coalesce(e.tau2, 0)) END AS standard_error
    FROM benchmark_scores AS r
    LEFT JOIN random_effect AS e ON e.family = r.family AND e.fin_year = r.fin_year
    LEFT JOIN best AS b
        ON b.family = r.family AND b.fin_year = r.fin_year AND b.setting = r.setting AND b.pod = r.pod
       AND b.tfc = r.tfc AND b.hrg = r.hrg AND b.detail = r.detail AND b.best_rank = 1
),
flagged AS (
    SELECT x.*,
           CASE WHEN x.cases >= s.headline_min_cases THEN 1 ELSE 0 END AS in_headline,
           CASE WHEN x.rate > 0 AND x.standard_error > 0 THEN LN(x.rate / NULLIF(x.ics_rate, 0)) / NULLIF(x.standard_error, 0) END
               AS funnel_z,
           x.ics_rate * EXP(-s.funnel_z_95 * x.standard_error) AS funnel_lower_95,
           x.ics_rate * EXP(s.funnel_z_95 * x.standard_error) AS funnel_upper_95,
           x.ics_rate * EXP(-s.funnel_z_99_8 * x.standard_error) AS funnel_lower_99_8,
           x.ics_rate * EXP(s.funnel_z_99_8 * x.standard_error) AS funnel_upper_99_8,
           x.ics_rate * EXP(s.funnel_z_significant * x.standard_error) AS significance_limit,
           CASE WHEN x.rate > x.ics_rate THEN (x.rate - x.ics_rate) * CAST(x.units AS DOUBLE) ELSE 0 END
               AS opportunity_vs_ics
    FROM benchmarked AS x
    CROSS JOIN results.refresh_parameters AS s
)
SELECT f.family, f.fin_year, f.setting, f.pod, f.tfc, f.hrg, f.detail, f.org_code, f.unit_of_count, f.cases,
       f.units, f.value, f.rate, f.ics_cases, f.ics_units, f.ics_rate, f.ics_median_rate, f.providers,
       f.best_in_system_rate, f.best_in_system_org, f.national_rate, f.ics_national_rate, f.national_basis,
       f.in_headline,
       f.standard_error, f.overdispersion_phi, f.overdispersion_tau2, f.funnel_z,
       f.funnel_lower_95, f.funnel_upper_95, f.funnel_lower_99_8, f.funnel_upper_99_8,
       CASE WHEN f.standard_error IS NULL OR f.rate IS NULL THEN 'untested'
            WHEN f.rate > f.funnel_upper_95 THEN 'high'
            WHEN f.rate < f.funnel_lower_95 THEN 'low'
            ELSE 'within' END AS outlier_95,
       CASE WHEN f.standard_error IS NULL OR f.rate IS NULL THEN 'untested'
            WHEN f.rate > f.funnel_upper_99_8 THEN 'high'
            WHEN f.rate < f.funnel_lower_99_8 THEN 'low'
            ELSE 'within' END AS outlier_99_8,
       f.opportunity_vs_ics,
       CASE WHEN f.rate > f.ics_median_rate THEN (f.rate - f.ics_median_rate) * CAST(f.units AS DOUBLE) ELSE 0 END
           AS opportunity_vs_median,
       CASE WHEN f.best_in_system_rate IS NULL THEN NULL
            WHEN f.rate > f.best_in_system_rate THEN (f.rate - f.best_in_system_rate) * CAST(f.units AS DOUBLE)
            ELSE 0 END AS opportunity_vs_best,
       CASE WHEN f.national_rate IS NULL THEN NULL
            WHEN f.rate > f.national_rate THEN (f.rate - f.national_rate) * CAST(f.units AS DOUBLE)
            ELSE 0 END AS opportunity_vs_national,
       (f.rate - f.ics_rate) * CAST(f.units AS DOUBLE) AS net_vs_ics,
       (f.rate - f.ics_median_rate) * CAST(f.units AS DOUBLE) AS net_vs_median,
       (f.rate - f.best_in_system_rate) * CAST(f.units AS DOUBLE) AS net_vs_best,
       (f.rate - f.national_rate) * CAST(f.units AS DOUBLE) AS net_vs_national,
       CASE WHEN f.rate > f.significance_limit THEN f.opportunity_vs_ics ELSE 0 END AS significant_vs_ics
FROM flagged AS f
