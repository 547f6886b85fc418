-- period_alignment: whether every provider loaded the same months before a year's benchmarks pool them.
-- Grain: one row per financial year, provider and month loaded by any provider in the year.
-- Inputs: event_costs, results.refresh_parameters
-- Published: yes
-- About: A year pooled from providers with different months loaded compares unlike periods: a provider with nine
--   months against others with twelve looks cheaper in totals and may differ in case mix by season. A month counts
--   as loaded for a provider when it has at least one record in it (any setting). aligned is 0 for every row of a
--   year in which the providers' months differ, and the service tables carry the same flag; with [benchmarks]
--   pool_periods = "common" the service tables keep only the common months (in_common_periods = 1).
-- Columns:
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   period [key] month of the financial year, 1 = April
--   loaded [shown] 1 when the provider has records in the month, 0 when not
--   in_common_periods [shown] 1 when every provider with data in the year has records in the month
--   months_loaded [shown] months the provider loaded in the year
--   common_months [shown] months every provider loaded in the year
--   year_months [shown] months any provider loaded in the year
--   providers [shown] providers with data in the year
--   aligned [shown] 1 when every provider loaded the same months in the year, 0 when not
--   refresh_id [shown] the refresh that wrote the row
WITH provider_months AS (
    SELECT DISTINCT fin_year, org_code, period
    FROM event_costs
    WHERE has_activity_record = 1
),
year_providers AS (
    SELECT fin_year, count(DISTINCT org_code) AS providers, count(DISTINCT period) AS year_months
    FROM provider_months
    GROUP BY fin_year
),
month_providers AS (
    SELECT fin_year, period, count(*) AS providers_loaded
    FROM provider_months
    GROUP BY fin_year, period
),
grid AS (
    SELECT p.fin_year, p.org_code, m.period, m.providers_loaded, y.providers, y.year_months
    FROM (SELECT DISTINCT fin_year, org_code FROM provider_months) AS p
    JOIN month_providers AS m ON m.fin_year = p.fin_year
    JOIN year_providers AS y ON y.fin_year = p.fin_year
),
flagged AS (
    SELECT g.fin_year, g.org_code, g.period,
           CASE WHEN pm.period IS NULL THEN 0 ELSE 1 END AS loaded,
           CASE WHEN g.providers_loaded = g.providers THEN 1 ELSE 0 END AS in_common_periods,
           g.providers, g.year_months
    FROM grid AS g
    LEFT JOIN provider_months AS pm ON pm.fin_year = g.fin_year AND pm.org_code = g.org_code AND pm.period = g.period
),
counted AS (
    SELECT f.*,
           sum(f.loaded) OVER (PARTITION BY f.fin_year, f.org_code) AS months_loaded,
           sum(f.in_common_periods) OVER (PARTITION BY f.fin_year, f.org_code) AS common_months
    FROM flagged AS f
)
SELECT c.fin_year, c.org_code, c.period, c.loaded, c.in_common_periods,
       CAST(c.months_loaded AS BIGINT) AS months_loaded,
       CAST(c.common_months AS BIGINT) AS common_months, c.year_months, c.providers,
       CASE WHEN min(c.in_common_periods) OVER (PARTITION BY c.fin_year) = 1 THEN 1 ELSE 0 END AS aligned,
       s.refresh_id
FROM counted AS c
CROSS JOIN results.refresh_parameters AS s
