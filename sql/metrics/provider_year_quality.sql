-- provider_year_quality: each provider's period alignment and costing data-quality score for a year, for the benchmarks.
-- Grain: one row per financial year and provider with records.
-- Inputs: results.period_alignment, results.costing_quality
-- Published: no
-- About: Internal: the two columns every benchmark table carries beside its figures, so a reader sees how far the
--   provider's data can be trusted where the figure is: periods_aligned (1 when every provider loaded the same
--   months in the year, period_alignment) and costing_score (the costing data-quality score for the whole year,
--   costing_quality).
-- Columns:
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not
--   months_loaded [shown] months the provider loaded in the year
--   costing_score [shown] the provider's costing data-quality score for the year, 0 to 100
WITH alignment AS (
    SELECT fin_year, org_code, max(aligned) AS periods_aligned, max(months_loaded) AS months_loaded
    FROM results.period_alignment
    GROUP BY fin_year, org_code
),
scores AS (
    SELECT fin_year, org_code, max(score) AS costing_score
    FROM results.costing_quality
    WHERE period = 'year'
    GROUP BY fin_year, org_code
)
SELECT a.fin_year, a.org_code, CAST(a.periods_aligned AS INTEGER) AS periods_aligned, a.months_loaded,
       q.costing_score
FROM alignment AS a
LEFT JOIN scores AS q ON q.fin_year = a.fin_year AND q.org_code = a.org_code
