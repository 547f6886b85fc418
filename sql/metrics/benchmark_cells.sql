-- benchmark_cells: the benchmark method, written once: each provider's rate against the ICS, the median and the best.
-- Grain: one row per benchmark family, financial year, cell and provider (as benchmark_inputs).
-- Inputs: benchmark_inputs, results.refresh_parameters
-- Published: no
-- About: Internal: every benchmark table reads its figures from here, so a change to the method is one edit. For
--   each cell: the ICS rate (all providers' value / all providers' units, so larger providers weigh more); the
--   median of the providers' rates (each provider counts once: the middle rate, or the mean of the two middle
--   ones); the best in system (the lowest rate among providers with more cases than the configured minimum, ties
--   to the first provider code); the funnel plot around the ICS rate (Spiegelhalter 2005: the standard error of a
--   provider's rate is the ICS standard deviation of the records' values / the square root of its cases); and each
--   opportunity, (rate - benchmark) x units, floored at 0. Families without records' spread have no funnel.
-- Columns:
--   family [key] as benchmark_inputs
--   fin_year [key] financial year
--   setting [key] as benchmark_inputs
--   pod [key] as benchmark_inputs
--   tfc [key] as benchmark_inputs
--   hrg [key] as benchmark_inputs
--   detail [key] as benchmark_inputs
--   org_code [key] provider ODS code
--   cases [count] the provider's cases in the cell
--   units [from cases] the provider's units
--   value [from cases] the provider's value
--   rate [from cases] value / units; blank when units is 0
--   ics_cases [count] cases in the cell across every provider
--   ics_rate [from ics_cases] all providers' value / all providers' units
--   ics_median_rate [shown] median of the providers' rates
--   providers [shown] providers with a rate in the cell
--   best_in_system_rate [shown] lowest rate among providers with more than the configured number of cases
--   best_in_system_org [shown] the provider that sets it
--   national_rate [shown] the national average in the family's unit
--   standard_error [from cases] ICS standard deviation of the records' values / square root of the provider's
--     cases; blank when the spread cannot be measured (a single record, identical values, or a family without it)
--   funnel_z [from cases] (rate - ics_rate) / standard_error
--   funnel_lower_95 [from cases] ics_rate - 1.96 standard errors
--   funnel_upper_95 [from cases] ics_rate + 1.96 standard errors
--   funnel_lower_99_8 [from cases] ics_rate - 3.09 standard errors
--   funnel_upper_99_8 [from cases] ics_rate + 3.09 standard errors
--   outlier_95 [from cases] high or low when outside the 95% limits, within when inside, untested without a
--     standard error
--   outlier_99_8 [from cases] the same at the 99.8% limits
--   opportunity_vs_ics [from cases] (rate - ics_rate) x units, floored at 0
--   opportunity_vs_median [from cases] (rate - ics_median_rate) x units, floored at 0
--   opportunity_vs_best [from cases] (rate - best_in_system_rate) x units, floored at 0; blank without a best
--   opportunity_vs_national [from cases] (rate - national_rate) x units, floored at 0; blank without a national rate
WITH rated AS (
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, cases, units, value, value_squared,
           national_rate,
           CAST(value AS DOUBLE) / nullif(units, 0) AS rate,
           ROW_NUMBER() OVER (
               PARTITION BY family, fin_year, setting, pod, tfc, hrg, detail
               ORDER BY CAST(value AS DOUBLE) / nullif(units, 0), org_code
           ) AS position,
           COUNT(CAST(value AS DOUBLE) / nullif(units, 0)) OVER (
               PARTITION BY family, fin_year, setting, pod, tfc, hrg, detail
           ) AS providers
    FROM benchmark_inputs
),
ics AS (
    SELECT family, fin_year, setting, pod, tfc, hrg, detail,
           sum(cases) AS ics_cases,
           CAST(sum(value) AS DOUBLE) / nullif(sum(units), 0) AS ics_rate,
           CAST(sum(value) AS DOUBLE) AS ics_value,
           CAST(sum(value_squared) AS DOUBLE) AS ics_value_squared,
           -- The rates are numbered from the lowest, and `providers` counts them: position * 2 is the count, or the
           -- count + 1 or + 2, only for the middle rate (an odd count) or the two middle rates (an even count).
           avg(CASE WHEN position * 2 IN (providers, providers + 1, providers + 2) THEN rate END) AS ics_median_rate
    FROM rated
    GROUP BY family, fin_year, setting, pod, tfc, hrg, detail
),
spread AS (
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, ics_cases, ics_rate, ics_median_rate,
           CASE WHEN ics_cases > 1
                THEN sqrt(CASE WHEN ics_value_squared - ics_value * ics_value / ics_cases > 0
                               THEN (ics_value_squared - ics_value * ics_value / ics_cases) / (ics_cases - 1)
                               ELSE 0 END)
           END AS ics_sd
    FROM ics
),
best AS (
    SELECT r.family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.detail, r.org_code, r.rate,
           ROW_NUMBER() OVER (
               PARTITION BY r.family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.detail ORDER BY r.rate, r.org_code
           ) AS best_rank
    FROM rated AS r
    CROSS JOIN results.refresh_parameters AS s
    WHERE r.cases > s.best_in_system_min_cases AND r.rate IS NOT NULL
),
benchmarked AS (
    SELECT r.family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.detail, r.org_code, r.cases, r.units, r.value,
           r.rate, i.ics_cases, i.ics_rate, i.ics_median_rate, r.providers,
           b.rate AS best_in_system_rate, b.org_code AS best_in_system_org, r.national_rate,
           CASE WHEN i.ics_sd > 0 THEN i.ics_sd / sqrt(r.cases) END AS standard_error
    FROM rated AS r
    JOIN spread AS i
        ON i.family = r.family AND i.fin_year = r.fin_year AND i.setting = r.setting AND i.pod = r.pod
       AND i.tfc = r.tfc AND i.hrg = r.hrg AND i.detail = r.detail
    LEFT JOIN best AS b
        ON b.family = r.family AND b.fin_year = r.fin_year AND b.setting = r.setting AND b.pod = r.pod
       AND b.tfc = r.tfc AND b.hrg = r.hrg AND b.detail = r.detail AND b.best_rank = 1
)
SELECT x.family, x.fin_year, x.setting, x.pod, x.tfc, x.hrg, x.detail, x.org_code, x.cases, x.units, x.value,
       x.rate, x.ics_cases, x.ics_rate, x.ics_median_rate, x.providers, x.best_in_system_rate, x.best_in_system_org,
       x.national_rate, x.standard_error,
       (x.rate - x.ics_rate) / x.standard_error AS funnel_z,
       x.ics_rate - s.funnel_z_95 * x.standard_error AS funnel_lower_95,
       x.ics_rate + s.funnel_z_95 * x.standard_error AS funnel_upper_95,
       x.ics_rate - s.funnel_z_99_8 * x.standard_error AS funnel_lower_99_8,
       x.ics_rate + s.funnel_z_99_8 * x.standard_error AS funnel_upper_99_8,
       CASE WHEN x.standard_error IS NULL THEN 'untested'
            WHEN x.rate - x.ics_rate > s.funnel_z_95 * x.standard_error THEN 'high'
            WHEN x.ics_rate - x.rate > s.funnel_z_95 * x.standard_error THEN 'low'
            ELSE 'within' END AS outlier_95,
       CASE WHEN x.standard_error IS NULL THEN 'untested'
            WHEN x.rate - x.ics_rate > s.funnel_z_99_8 * x.standard_error THEN 'high'
            WHEN x.ics_rate - x.rate > s.funnel_z_99_8 * x.standard_error THEN 'low'
            ELSE 'within' END AS outlier_99_8,
       CASE WHEN x.rate > x.ics_rate THEN (x.rate - x.ics_rate) * x.units ELSE 0 END AS opportunity_vs_ics,
       CASE WHEN x.rate > x.ics_median_rate THEN (x.rate - x.ics_median_rate) * x.units ELSE 0 END
           AS opportunity_vs_median,
       CASE WHEN x.best_in_system_rate IS NULL THEN NULL
            WHEN x.rate > x.best_in_system_rate THEN (x.rate - x.best_in_system_rate) * x.units
            ELSE 0 END AS opportunity_vs_best,
       CASE WHEN x.national_rate IS NULL THEN NULL
            WHEN x.rate > x.national_rate THEN (x.rate - x.national_rate) * x.units
            ELSE 0 END AS opportunity_vs_national
FROM benchmarked AS x
CROSS JOIN results.refresh_parameters AS s
