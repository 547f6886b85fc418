-- benchmark_scores: each provider's rate in each benchmark cell, the ICS rate and median, and the funnel's raw z-score.
-- Grain: one row per benchmark family, financial year, cell and provider (as benchmark_inputs).
-- Inputs: benchmark_inputs
-- Published: no
-- About: Internal: the first half of the benchmark method (benchmark_cells is the second). Rates are per the cell's
--   unit of count: the ICS rate is all providers' value / all providers' units, so larger providers weigh more; the
--   median is of the providers' rates, each provider counting once. The spread of the records' values about the ICS
--   rate gives each provider's standard error on the log scale (costs are skewed, and a ratio to the ICS rate is what
--   matters), s = ICS standard deviation x sqrt(cases) / units / ICS rate, and z = log(rate / ICS rate) / s before
--   any overdispersion; both blank where the spread cannot be measured (a single record, identical values, a family
--   without it) or the rate is not positive.
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
--   national_rate [shown] the national average in the unit of count for the provider's records (market forces
--     adjusted when configured): its own case mix at national prices
--   ics_national_rate [shown] the same for every provider's records together: the ICS's case mix at national prices
--   national_basis [shown] as benchmark_inputs
--   log_se [from cases] the provider's standard error on the log scale, before overdispersion
--   z [from cases] log(rate / ics_rate) / log_se
WITH rated AS (
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases, units, value,
           value_squared, value_units, units_squared, national_cost, national_basis,
           CAST(value AS DOUBLE) / nullif(CAST(units AS DOUBLE), 0) AS rate,
           ROW_NUMBER() OVER (
               PARTITION BY family, fin_year, setting, pod, tfc, hrg, detail
               ORDER BY CAST(value AS DOUBLE) / nullif(CAST(units AS DOUBLE), 0), org_code
           ) AS position,
           COUNT(CAST(value AS DOUBLE) / nullif(CAST(units AS DOUBLE), 0)) OVER (
               PARTITION BY family, fin_year, setting, pod, tfc, hrg, detail
           ) AS providers
    FROM benchmark_inputs
),
ics AS (
    SELECT family, fin_year, setting, pod, tfc, hrg, detail,
           sum(cases) AS ics_cases,
           sum(units) AS ics_units,
           CAST(sum(value) AS DOUBLE) / nullif(CAST(sum(units) AS DOUBLE), 0) AS ics_rate,
           CAST(sum(value_squared) AS DOUBLE) AS ics_value_squared,
           CAST(sum(value_units) AS DOUBLE) AS ics_value_units,
           CAST(sum(units_squared) AS DOUBLE) AS ics_units_squared,
           CASE WHEN count(national_cost) = count(*)
                THEN CAST(sum(national_cost) AS DOUBLE) / nullif(CAST(sum(units) AS DOUBLE), 0)
           END AS ics_national_rate,
           -- The rates are numbered from the lowest, and `providers` counts them: position * 2 is the count, or the
           -- count + 1 or + 2, only for the middle rate (an odd count) or the two middle rates (an even count).
           avg(CASE WHEN position * 2 IN (providers, providers + 1, providers + 2) THEN rate END) AS ics_median_rate
    FROM rated
    GROUP BY family, fin_year, setting, pod, tfc, hrg, detail
),
spread AS (
    -- The ICS variance of a record's value about the ICS rate times its units, (sum of (y - R x)^2) / (N - 1),
    -- from the sums of y^2, x y and x^2: for one unit per record it is the plain variance of the records' values.
    SELECT i.*,
           CASE WHEN i.ics_cases > 1 AND i.ics_rate > 0
                THEN (i.ics_value_squared - 2 * i.ics_rate * i.ics_value_units
                      + i.ics_rate * i.ics_rate * i.ics_units_squared) / NULLIF((i.ics_cases - 1), 0)
           END AS ics_variance
    FROM ics AS i
),
scored AS (
    -- Each provider's standard error on the log scale, s = (ICS sd x sqrt(cases) / units) / ICS rate.
    SELECT r.family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.detail, r.org_code, r.rate,
           CASE WHEN s.ics_variance > 0 AND r.units > 0
                THEN sqrt(s.ics_variance) * sqrt(r.cases) / NULLIF(CAST(r.units AS DOUBLE), 0) / NULLIF(s.ics_rate, 0) END AS log_se
    FROM rated AS r
    JOIN spread AS s
        ON s.family = r.family AND s.fin_year = r.fin_year AND s.setting = r.setting AND s.pod = r.pod
       AND s.tfc = r.tfc AND s.hrg = r.hrg AND s.detail = r.detail
)
SELECT r.family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.detail, r.org_code, r.unit_of_count, r.cases, r.units,
       r.value, r.rate, s.ics_cases, s.ics_units, s.ics_rate, s.ics_median_rate, r.providers,
       CAST(r.national_cost AS DOUBLE) / nullif(CAST(r.units AS DOUBLE), 0) AS national_rate, s.ics_national_rate,
       r.national_basis,
       c.log_se,
       CASE WHEN c.log_se > 0 AND r.rate > 0 THEN LN(r.rate / NULLIF(s.ics_rate, 0)) / NULLIF(c.log_se, 0) END AS z
FROM rated AS r
JOIN spread AS s
    ON s.family = r.family AND s.fin_year = r.fin_year AND s.setting = r.setting AND s.pod = r.pod
   AND s.tfc = r.tfc AND s.hrg = r.hrg AND s.detail = r.detail
JOIN scored AS c
    ON c.family = r.family AND c.fin_year = r.fin_year AND c.setting = r.setting AND c.pod = r.pod
   AND c.tfc = r.tfc AND c.hrg = r.hrg AND c.detail = r.detail AND c.org_code = r.org_code
