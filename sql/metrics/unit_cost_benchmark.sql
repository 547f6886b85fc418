-- unit_cost_benchmark: each provider's average cost per case against the ICS, the best in system and national.
-- Grain: one row per financial year, setting, POD, treatment function (TFC), HRG and provider (the seed's grain).
-- Inputs: event_costs, results.refresh_settings, ref_pod, ref_national_schedule
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
WITH provider_cells AS (
    SELECT fin_year, setting, pod, tfc, hrg, org_code,
           count(*) AS activity,
           sum(total_cost) AS total_cost,
           sum(CAST(total_cost AS DOUBLE) * CAST(total_cost AS DOUBLE)) AS cost_squared
    FROM event_costs
    WHERE has_activity_record = 1
    GROUP BY fin_year, setting, pod, tfc, hrg, org_code
),
provider_means AS (
    SELECT fin_year, setting, pod, tfc, hrg, org_code, activity, total_cost, cost_squared,
           CAST(total_cost AS DOUBLE) / activity AS mean_cost,
           ROW_NUMBER() OVER (PARTITION BY fin_year, setting, pod, tfc, hrg ORDER BY CAST(total_cost AS DOUBLE) / activity, org_code)
               AS position,
           COUNT(*) OVER (PARTITION BY fin_year, setting, pod, tfc, hrg) AS providers
    FROM provider_cells
),
eligible AS (
    SELECT m.fin_year, m.setting, m.pod, m.tfc, m.hrg, m.org_code, m.mean_cost,
           ROW_NUMBER() OVER (PARTITION BY m.fin_year, m.setting, m.pod, m.tfc, m.hrg ORDER BY m.mean_cost, m.org_code)
               AS best_rank
    FROM provider_means AS m
    CROSS JOIN results.refresh_settings AS s
    WHERE m.activity > s.best_in_system_min_cases
),
ics AS (
    SELECT fin_year, setting, pod, tfc, hrg,
           sum(activity) AS ics_activity,
           CAST(sum(total_cost) AS DOUBLE) / sum(activity) AS ics_mean_cost,
           sum(CAST(total_cost AS DOUBLE)) AS ics_cost,
           sum(cost_squared) AS ics_cost_squared,
           avg(CASE WHEN position * 2 IN (providers, providers + 1, providers + 2) THEN mean_cost END) AS ics_median_cost
    FROM provider_means
    GROUP BY fin_year, setting, pod, tfc, hrg
),
ics_spread AS (
    SELECT fin_year, setting, pod, tfc, hrg, ics_activity, ics_mean_cost, ics_median_cost,
           CASE WHEN ics_activity > 1
                THEN sqrt(CASE WHEN ics_cost_squared - ics_cost * ics_cost / ics_activity > 0
                               THEN (ics_cost_squared - ics_cost * ics_cost / ics_activity) / (ics_activity - 1)
                               ELSE 0 END)
           END AS ics_sd
    FROM ics
),
national_prices AS (
    SELECT p.pod, n.currency AS hrg, sum(n.total_cost) / sum(n.activity) AS national_mean_cost
    FROM ref_national_schedule AS n
    JOIN ref_pod AS p ON p.national_department = n.department AND p.national_unit = 'record'
    WHERE n.activity > 0
    GROUP BY p.pod, n.currency
),
benchmarked AS (
    SELECT m.fin_year, m.setting, m.pod, m.tfc, m.hrg, m.org_code, m.activity, m.total_cost, m.mean_cost,
           i.ics_activity, i.ics_mean_cost, i.ics_median_cost, m.providers,
           b.mean_cost AS best_in_system_cost, b.org_code AS best_in_system_org,
           n.national_mean_cost,
           CASE WHEN i.ics_sd > 0 THEN i.ics_sd / sqrt(m.activity) END AS standard_error
    FROM provider_means AS m
    JOIN ics_spread AS i
        ON i.fin_year = m.fin_year AND i.setting = m.setting AND i.pod = m.pod AND i.tfc = m.tfc AND i.hrg = m.hrg
    LEFT JOIN eligible AS b
        ON b.fin_year = m.fin_year AND b.setting = m.setting AND b.pod = m.pod AND b.tfc = m.tfc AND b.hrg = m.hrg
       AND b.best_rank = 1
    LEFT JOIN national_prices AS n ON n.pod = m.pod AND n.hrg = m.hrg
)
SELECT x.fin_year, x.setting, x.pod, x.tfc, x.hrg, x.org_code, x.activity, x.total_cost, x.mean_cost,
       x.ics_activity, x.ics_mean_cost, x.ics_median_cost, x.providers, x.best_in_system_cost, x.best_in_system_org,
       x.national_mean_cost,
       CASE WHEN x.mean_cost > x.ics_mean_cost THEN (x.mean_cost - x.ics_mean_cost) * x.activity ELSE 0 END
           AS opportunity_vs_ics,
       CASE WHEN x.mean_cost > x.ics_median_cost THEN (x.mean_cost - x.ics_median_cost) * x.activity ELSE 0 END
           AS opportunity_vs_median,
       CASE WHEN x.best_in_system_cost IS NULL THEN NULL
            WHEN x.mean_cost > x.best_in_system_cost THEN (x.mean_cost - x.best_in_system_cost) * x.activity
            ELSE 0 END AS opportunity_vs_best,
       CASE WHEN x.national_mean_cost IS NULL THEN NULL
            WHEN x.mean_cost > x.national_mean_cost THEN (x.mean_cost - x.national_mean_cost) * x.activity
            ELSE 0 END AS opportunity_vs_national,
       (x.mean_cost - x.ics_mean_cost) / x.standard_error AS funnel_z,
       x.ics_mean_cost - s.funnel_z_95 * x.standard_error AS funnel_lower_95,
       x.ics_mean_cost + s.funnel_z_95 * x.standard_error AS funnel_upper_95,
       x.ics_mean_cost - s.funnel_z_99_8 * x.standard_error AS funnel_lower_99_8,
       x.ics_mean_cost + s.funnel_z_99_8 * x.standard_error AS funnel_upper_99_8,
       CASE WHEN x.standard_error IS NULL THEN 'untested'
            WHEN x.mean_cost - x.ics_mean_cost > s.funnel_z_95 * x.standard_error THEN 'high'
            WHEN x.ics_mean_cost - x.mean_cost > s.funnel_z_95 * x.standard_error THEN 'low'
            ELSE 'within' END AS outlier_95,
       CASE WHEN x.standard_error IS NULL THEN 'untested'
            WHEN x.mean_cost - x.ics_mean_cost > s.funnel_z_99_8 * x.standard_error THEN 'high'
            WHEN x.ics_mean_cost - x.mean_cost > s.funnel_z_99_8 * x.standard_error THEN 'low'
            ELSE 'within' END AS outlier_99_8,
       s.refresh_id
FROM benchmarked AS x
CROSS JOIN results.refresh_settings AS s
