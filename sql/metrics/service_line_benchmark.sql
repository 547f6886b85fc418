-- service_line_benchmark: each service line's cost, activity, length of stay and theatre time by provider, per year and quarter.
-- Grain: one row per service line, financial year, period (the year, or a quarter) and provider.
-- Inputs: benchmark_cells, service_records, cell_dominance, results.period_alignment, results.costing_quality,
--   results.refresh_parameters
-- Published: yes
-- About: A service line ([[service_lines]] in the config: HRGs, PODs, TFCs and diagnoses, such as non-elective hip
--   procedures for trauma) benchmarked as a whole, the seed's flagship slide: cases, cost, mean cost per unit of
--   count and length of stay, opportunity against the ICS, the best in system and national prices (floored at 0,
--   netted, and significant: the benchmark method of every benchmark table, benchmark_cells), theatre and
--   anaesthetic minutes and theatre spend, and ward cost per bed day. period is year for the whole year, or Q1 to
--   Q4, so the quarters show the trend: previous_mean_cost is the provider's mean cost in the period before (the
--   year before, or the quarter before, across years), and the rolling columns add up the quarter and the three
--   before it. A year is aligned when every provider loaded the same months (period_alignment); when it is not,
--   periods_aligned is 0 on every row of the year, and [benchmarks] pool_periods = "common" keeps only the common
--   months. costing_score is the provider's costing data-quality score for the period (costing_quality). Year and
--   quarter rows overlap: add up one or the other, and do not add service lines (a record may be in several).
-- Columns:
--   service_line [key] service line name from the config
--   fin_year [key] financial year
--   period [key] year for the whole year, or Q1 to Q4
--   org_code [key] provider ODS code
--   unit_of_count [key] what one unit is (episode for admitted care)
--   activity [count] the provider's records of the service line in the period
--   units [total from activity] its units of count
--   total_cost [total from activity] cost of those records, pounds
--   mean_cost [from activity] total_cost / units, pounds
--   ics_activity [count] records of the service line across every provider
--   ics_total_cost [total from ics_activity] their cost, pounds
--   ics_mean_cost [from ics_activity] ICS cost per unit: all providers' cost / all providers' units, pounds
--   ics_median_cost [benchmark] median of the providers' mean costs
--   providers [shown] providers with the service line in the period
--   best_in_system_cost [benchmark] lowest mean cost among providers with more than the configured number of cases
--   best_in_system_org [benchmark] the provider that sets it
--   national_mean_cost [from activity] the provider's records at national prices, per unit (market forces adjusted when
--     configured), pounds; blank unless every record has a price
--   ics_national_mean_cost [from ics_activity] the same for every provider's records together, pounds
--   national_total_cost [total from activity] the provider's records at national prices, pounds (mean x units)
--   opportunity_vs_ics [total from activity vs ics_mean_cost] (mean_cost - ics_mean_cost) x units, floored at 0, pounds
--   opportunity_vs_best [total from activity vs best_in_system_cost] (mean_cost - best_in_system_cost) x units, floored at 0, pounds
--   opportunity_vs_national [total from activity] (mean_cost - national_mean_cost) x units, floored at 0, pounds
--   net_vs_ics [total from activity vs ics_mean_cost] (mean_cost - ics_mean_cost) x units, either sign, pounds
--   net_vs_best [total from activity vs best_in_system_cost] (mean_cost - best_in_system_cost) x units, either sign, pounds
--   net_vs_national [total from activity] (mean_cost - national_mean_cost) x units, either sign, pounds
--   significant_vs_ics [total from activity vs ics_mean_cost] opportunity_vs_ics where the provider is above the upper funnel limit at the
--     configured level, else 0, pounds
--   funnel_z [from activity] log(mean_cost / ics_mean_cost) / its standard error, overdispersion included
--   funnel_lower_95 [from activity vs ics_mean_cost] lower 95% funnel limit around the ICS mean cost for this many cases, pounds
--   funnel_upper_95 [from activity vs ics_mean_cost] upper 95% funnel limit, pounds
--   funnel_lower_99_8 [from activity vs ics_mean_cost] lower 99.8% funnel limit, pounds
--   funnel_upper_99_8 [from activity vs ics_mean_cost] upper 99.8% funnel limit, pounds
--   outlier_95 [from activity] high, low, within or untested at the 95% limits
--   outlier_99_8 [from activity] the same at the 99.8% limits
--   spells [count] admitted care: the provider's hospital spells of the service line (0 outside admitted care)
--   mean_los [from spells] mean length of stay per spell, days
--   ics_spells [count] admitted care: spells across every provider
--   ics_mean_los [from ics_spells] the ICS's mean length of stay per spell, days
--   theatre_cost [total from activity] theatre cost, pounds
--   theatre_minutes [total from activity] theatre (procedure) minutes
--   anaesthetic_minutes [total from activity] anaesthetic minutes
--   theatre_minutes_per_case [from activity] theatre_minutes / activity (the seed's average procedure time)
--   ics_theatre_minutes_per_case [from ics_activity] the same across every provider
--   ward_cost [total from activity] ward care cost, pounds
--   ward_bed_days [total from activity] bed days on the ward cost lines
--   ward_cost_per_bed_day [from activity] ward_cost / ward_bed_days, pounds
--   ics_ward_cost_per_bed_day [from ics_activity] the same across every provider, pounds
--   previous_mean_cost [from trend_activity] the provider's mean cost in the period before (year before, quarter before)
--   change_vs_previous [from trend_activity] mean_cost / previous_mean_cost - 1 (0.05 = 5% dearer)
--   trend_activity [count] the fewer of the period's and the period before's records: the change is shown only
--     where both are
--   rolling_quarters [shown] quarters loaded among this one and the three before it (quarter rows)
--   rolling_activity [count] records of the provider in those quarters
--   rolling_total_cost [total from rolling_activity] their cost, pounds
--   rolling_mean_cost [from rolling_activity] rolling_total_cost / their units: the rolling four-quarter mean cost
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not (period_alignment)
--   months_loaded [shown] months the provider loaded in the year
--   common_months [shown] months every provider loaded in the year
--   costing_score [shown] the provider's costing data-quality score for the period, 0 to 100 (costing_quality)
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of activity] the provider's cost of the service line in the period by size (a
--     credit counted as positive; cell_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of activity] the cost of the provider's largest contributor (a patient's
--     records added up, or a record without a patient), pounds; never published
--   dominance_second [dominance second of activity] its second largest contributor's cost, pounds; never published
--   dominance_contributors [dominance contributors of activity] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_activity] the service line's cost in the period across every provider,
--     pounds; never published
--   ics_dominance_largest [dominance largest of ics_activity] its largest contributor's cost across every provider,
--     pounds; never published
--   ics_dominance_second [dominance second of ics_activity] the second largest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
--   theatre_dominance_cost [dominance total of activity for theatre] the provider's theatre cost of the service line in
--     the period by size (cell_dominance: service_driver_cost in the year, service_driver_cost_quarter in a quarter),
--     pounds; read by the dominance rule (theatre_cost is published at the row's count), never published
--   theatre_dominance_largest [dominance largest of activity for theatre] its largest contributor's theatre cost,
--     pounds; never published
--   theatre_dominance_second [dominance second of activity for theatre] the second largest, pounds; never published
--   theatre_dominance_contributors [dominance contributors of activity for theatre] how many contributors (patients) of
--     non-zero cost it comes from; read by the threshold rule, never published
--   ward_dominance_cost [dominance total of activity for ward] the provider's ward care cost of the service line in the
--     period by size, pounds; read by the dominance rule (ward_cost and ward_cost_per_bed_day), never published
--   ward_dominance_largest [dominance largest of activity for ward] its largest contributor's ward cost, pounds; never
--     published
--   ward_dominance_second [dominance second of activity for ward] the second largest, pounds; never published
--   ward_dominance_contributors [dominance contributors of activity for ward] how many contributors (patients) of
--     non-zero cost it comes from; read by the threshold rule, never published
--   ics_ward_dominance_cost [dominance total of ics_activity for ward] the service line's ward care cost in the period
--     across every provider by size, pounds; read by the dominance rule (ics_ward_cost_per_bed_day is the ICS's ward
--     cost over its bed days), never published
--   ics_ward_dominance_largest [dominance largest of ics_activity for ward] its largest contributor's ward cost across
--     every provider, pounds; never published
--   ics_ward_dominance_second [dominance second of ics_activity for ward] the second largest, pounds; never published
--   ics_ward_dominance_contributors [dominance contributors of ics_activity for ward] how many contributors (patients)
--     of non-zero cost it comes from; read by the threshold rule, never published
WITH cells AS (
    SELECT CASE WHEN c.family = 'service_cost' THEN 'year' ELSE substr(c.detail, length(c.detail) - 1, 2) END
               AS period,
           CASE WHEN c.family = 'service_cost' THEN c.detail ELSE substr(c.detail, 1, length(c.detail) - 3) END
               AS service_line,
           sum(c.value) OVER (PARTITION BY c.family, c.fin_year, c.detail) AS ics_value,
           c.*
    FROM benchmark_cells AS c
    WHERE c.family IN ('service_cost', 'service_cost_quarter')
),
record_periods AS (
    SELECT service_line, fin_year, 'year' AS period, org_code, spell_id, setting, los, theatre_cost, theatre_minutes,
           anaesthetic_minutes, ward_cost, ward_bed_days
    FROM service_records
    UNION ALL
    SELECT service_line, fin_year, 'Q' || CAST(quarter AS VARCHAR) AS period, org_code, spell_id, setting, los,
           theatre_cost, theatre_minutes, anaesthetic_minutes, ward_cost, ward_bed_days
    FROM service_records
),
activity_sums AS (
    SELECT service_line, fin_year, period, org_code, sum(theatre_cost) AS theatre_cost,
           sum(theatre_minutes) AS theatre_minutes, sum(anaesthetic_minutes) AS anaesthetic_minutes,
           sum(ward_cost) AS ward_cost, sum(ward_bed_days) AS ward_bed_days
    FROM record_periods
    GROUP BY service_line, fin_year, period, org_code
),
spell_los AS (
    SELECT service_line, fin_year, period, org_code, spell_id, max(los) AS los
    FROM record_periods
    WHERE setting = 'apc' AND los IS NOT NULL
    GROUP BY service_line, fin_year, period, org_code, spell_id
),
provider_los AS (
    SELECT service_line, fin_year, period, org_code, count(*) AS spells, sum(los) AS los_days
    FROM spell_los
    GROUP BY service_line, fin_year, period, org_code
),
ics_sums AS (
    SELECT a.service_line, a.fin_year, a.period, sum(a.theatre_minutes) AS theatre_minutes,
           sum(a.ward_cost) AS ward_cost, sum(a.ward_bed_days) AS ward_bed_days,
           sum(coalesce(l.spells, 0)) AS spells, sum(coalesce(l.los_days, 0)) AS los_days
    FROM activity_sums AS a
    LEFT JOIN provider_los AS l
        ON l.service_line = a.service_line AND l.fin_year = a.fin_year AND l.period = a.period
       AND l.org_code = a.org_code
    GROUP BY a.service_line, a.fin_year, a.period
),
indexed AS (
    -- Periods in order: a year by its first calendar year, a quarter by 4 x that year + the quarter (the two never
    -- meet: a year's index is about 2,000, a quarter's about 8,000).
    SELECT c.*,
           CASE WHEN c.period = 'year' THEN CAST(substr(c.fin_year, 1, 4) AS INTEGER)
                ELSE CAST(substr(c.fin_year, 1, 4) AS INTEGER) * 4 + CAST(substr(c.period, 2, 1) AS INTEGER) END
               AS period_index
    FROM cells AS c
),
rolling AS (
    SELECT q.service_line, q.period_index, q.org_code, count(*) AS rolling_quarters,
           sum(r.cases) AS rolling_activity, sum(r.value) AS rolling_total_cost, sum(r.units) AS rolling_units
    FROM indexed AS q
    JOIN indexed AS r
        ON r.service_line = q.service_line AND r.org_code = q.org_code AND r.period <> 'year'
       AND r.period_index BETWEEN q.period_index - 3 AND q.period_index
    WHERE q.period <> 'year'
    GROUP BY q.service_line, q.period_index, q.org_code
),
alignment AS (
    SELECT fin_year, org_code, max(aligned) AS aligned, max(months_loaded) AS months_loaded,
           max(common_months) AS common_months
    FROM results.period_alignment
    GROUP BY fin_year, org_code
),
scores AS (
    SELECT DISTINCT fin_year, period, org_code, score
    FROM results.costing_quality
),
dominance AS (
    -- The service line cells' dominance figures: the year's (detail the service line) and each quarter's (service
    -- line|Q1 to Q4).
    SELECT fin_year, detail, org_code, cost, largest, second, contributors, ics_cost, ics_largest, ics_second,
           ics_contributors
    FROM cell_dominance
    WHERE family IN ('service_cost', 'service_cost_quarter')
),
driver_dominance AS (
    -- Their theatre and ward cost's, the year's (detail service line|driver) and each quarter's (service line|Q1 to
    -- Q4|driver), by the detail of the service line cell they are in.
    SELECT fin_year, substr(detail, 1, length(detail) - length(cost_driver) - 1) AS detail, cost_driver, org_code,
           cost, largest, second, contributors, ics_cost, ics_largest, ics_second, ics_contributors
    FROM (
        SELECT fin_year, detail, org_code, cost, largest, second, contributors, ics_cost, ics_largest, ics_second,
        ics_contributors,
               CASE WHEN detail LIKE '%|theatre' THEN 'theatre' ELSE 'ward' END AS cost_driver
        FROM cell_dominance
        WHERE (family = 'service_driver_cost' AND (detail LIKE '%|theatre' OR detail LIKE '%|ward'))
           OR family = 'service_driver_cost_quarter'
    ) AS driver_cells
)
SELECT c.service_line, c.fin_year, c.period, c.org_code, c.unit_of_count,
       c.cases AS activity, CAST(c.units AS DOUBLE) AS units, c.value AS total_cost, c.rate AS mean_cost,
       c.ics_cases AS ics_activity, c.ics_value AS ics_total_cost,
       c.ics_rate AS ics_mean_cost, c.ics_median_rate AS ics_median_cost, c.providers,
       c.best_in_system_rate AS best_in_system_cost, c.best_in_system_org, c.national_rate AS national_mean_cost,
       c.ics_national_rate AS ics_national_mean_cost,
       c.national_rate * CAST(c.units AS DOUBLE) AS national_total_cost,
       c.opportunity_vs_ics, c.opportunity_vs_best, c.opportunity_vs_national,
       c.net_vs_ics, c.net_vs_best, c.net_vs_national, c.significant_vs_ics,
       c.funnel_z, c.funnel_lower_95, c.funnel_upper_95, c.funnel_lower_99_8, c.funnel_upper_99_8,
       c.outlier_95, c.outlier_99_8,
       CAST(coalesce(l.spells, 0) AS BIGINT) AS spells,
       CAST(l.los_days AS DOUBLE) / nullif(l.spells, 0) AS mean_los,
       CAST(i.spells AS BIGINT) AS ics_spells,
       CAST(i.los_days AS DOUBLE) / nullif(i.spells, 0) AS ics_mean_los,
       a.theatre_cost, CAST(a.theatre_minutes AS DOUBLE) AS theatre_minutes,
       CAST(a.anaesthetic_minutes AS DOUBLE) AS anaesthetic_minutes,
       CAST(a.theatre_minutes AS DOUBLE) / NULLIF(c.cases, 0) AS theatre_minutes_per_case,
       CAST(i.theatre_minutes AS DOUBLE) / NULLIF(c.ics_cases, 0) AS ics_theatre_minutes_per_case,
       a.ward_cost, CAST(a.ward_bed_days AS DOUBLE) AS ward_bed_days,
       CAST(a.ward_cost AS DOUBLE) / nullif(CAST(a.ward_bed_days AS DOUBLE), 0) AS ward_cost_per_bed_day,
       CAST(i.ward_cost AS DOUBLE) / nullif(CAST(i.ward_bed_days AS DOUBLE), 0) AS ics_ward_cost_per_bed_day,
       p.rate AS previous_mean_cost,
       c.rate / nullif(p.rate, 0) - 1 AS change_vs_previous,
       CAST(CASE WHEN p.cases IS NULL OR c.cases <= p.cases THEN c.cases ELSE p.cases END AS BIGINT)
           AS trend_activity,
       CAST(r.rolling_quarters AS BIGINT) AS rolling_quarters, CAST(r.rolling_activity AS BIGINT) AS rolling_activity,
       r.rolling_total_cost,
       CAST(r.rolling_total_cost AS DOUBLE) / nullif(CAST(r.rolling_units AS DOUBLE), 0) AS rolling_mean_cost,
       CAST(coalesce(al.aligned, 0) AS INTEGER) AS periods_aligned, al.months_loaded, al.common_months,
       q.score AS costing_score, s.refresh_id,
       dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors,
       ics_dom.ics_cost AS ics_dominance_cost, ics_dom.ics_largest AS ics_dominance_largest,
       ics_dom.ics_second AS ics_dominance_second, ics_dom.ics_contributors AS ics_dominance_contributors,
       th.cost AS theatre_dominance_cost, th.largest AS theatre_dominance_largest,
       th.second AS theatre_dominance_second, th.contributors AS theatre_dominance_contributors,
       wd.cost AS ward_dominance_cost, wd.largest AS ward_dominance_largest, wd.second AS ward_dominance_second,
       wd.contributors AS ward_dominance_contributors,
       iwd.ics_cost AS ics_ward_dominance_cost, iwd.ics_largest AS ics_ward_dominance_largest,
       iwd.ics_second AS ics_ward_dominance_second, iwd.ics_contributors AS ics_ward_dominance_contributors
FROM indexed AS c
JOIN activity_sums AS a
    ON a.service_line = c.service_line AND a.fin_year = c.fin_year AND a.period = c.period AND a.org_code = c.org_code
JOIN ics_sums AS i ON i.service_line = c.service_line AND i.fin_year = c.fin_year AND i.period = c.period
LEFT JOIN provider_los AS l
    ON l.service_line = c.service_line AND l.fin_year = c.fin_year AND l.period = c.period AND l.org_code = c.org_code
LEFT JOIN indexed AS p
    ON p.service_line = c.service_line AND p.org_code = c.org_code AND p.period_index = c.period_index - 1
LEFT JOIN rolling AS r
    ON r.service_line = c.service_line AND r.org_code = c.org_code AND r.period_index = c.period_index
   AND c.period <> 'year'
LEFT JOIN alignment AS al ON al.fin_year = c.fin_year AND al.org_code = c.org_code
LEFT JOIN scores AS q ON q.fin_year = c.fin_year AND q.period = c.period AND q.org_code = c.org_code
LEFT JOIN dominance AS dom
    ON dom.fin_year = c.fin_year AND dom.detail = c.detail AND dom.org_code = c.org_code
LEFT JOIN (
    SELECT DISTINCT fin_year, detail, ics_cost, ics_largest, ics_second, ics_contributors
    FROM dominance
) AS ics_dom
    ON ics_dom.fin_year = c.fin_year AND ics_dom.detail = c.detail
LEFT JOIN driver_dominance AS th
    ON th.fin_year = c.fin_year AND th.detail = c.detail AND th.cost_driver = 'theatre' AND th.org_code = c.org_code
LEFT JOIN driver_dominance AS wd
    ON wd.fin_year = c.fin_year AND wd.detail = c.detail AND wd.cost_driver = 'ward' AND wd.org_code = c.org_code
LEFT JOIN (
    -- the ICS ward cell's figures (the same on every provider's row of it): for rows of a provider without ward cost
    SELECT DISTINCT fin_year, detail, ics_cost, ics_largest, ics_second, ics_contributors
    FROM driver_dominance
    WHERE cost_driver = 'ward'
) AS iwd
    ON iwd.fin_year = c.fin_year AND iwd.detail = c.detail
CROSS JOIN results.refresh_parameters AS s
