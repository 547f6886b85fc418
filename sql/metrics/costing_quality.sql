-- costing_quality: how well each provider's costing holds together, per period: the costing data-quality checks and a score.
-- Grain: one row per financial year, period (the year, or a quarter), provider and costing check.
-- Inputs: event_costs, ref_costing_check, results.refresh_parameters
-- Published: yes
-- About: Beyond the load checks (data_quality), modelled on the national costing data-quality checks: the share of
--   cost on the 'other' (unallocated or unmapped) driver, the overhead share, ward cost on records without bed days,
--   theatre cost on records without minutes, the provider's ward cost per bed day and theatre cost per minute over
--   the ICS's, records without cost and cost lines without a record. Each check's range is in engine/codes.py
--   (COSTING_CHECKS). A check that cannot be measured (no ward cost at the provider, say) is left out of the score
--   rather than passed. score is the share of measured checks passed, 0 to 100, and sits beside every service line
--   benchmark (service_line_benchmark.costing_score): read a provider's benchmark with its score.
-- Columns:
--   fin_year [key] financial year
--   period [key] year for the whole year, or Q1 to Q4
--   org_code [key] provider ODS code
--   check_code [key] the check (engine/codes.py COSTING_CHECKS)
--   check_name [shown] what it checks
--   position [shown] the check's place in the list
--   records [count] activity records of the provider in the period
--   measure [from records] the check's measure: a share (0 to 1) or a ratio to the ICS; blank when it cannot be
--     measured
--   lower_limit [shown] the measure passes at or above this; blank: no lower limit
--   upper_limit [shown] and at or below this; blank: no upper limit
--   passed [from records] 1 when the measure is in range, 0 when not, blank when not measured
--   checks_measured [from records] checks measured for the provider in the period
--   checks_passed [from records] of which passed
--   score [from records] 100 x checks_passed / checks_measured: the costing data-quality score
--   explanation [shown] the check and its range in words
--   refresh_id [shown] the refresh that wrote the row
WITH quarter_sums AS (
    SELECT fin_year, 'Q' || CAST(quarter AS VARCHAR) AS period, org_code,
           sum(has_activity_record) AS records,
           sum(CASE WHEN has_activity_record = 1 AND total_cost = 0 THEN 1 ELSE 0 END) AS records_without_cost,
           sum(total_cost) AS total_cost,
           sum(CASE WHEN has_activity_record = 0 THEN total_cost ELSE 0 END) AS cost_without_records,
           sum(other_cost) AS other_cost,
           sum(overheads_cost) AS overheads_cost,
           sum(ward_cost) AS ward_cost,
           sum(CASE WHEN ward_bed_days = 0 THEN ward_cost ELSE 0 END) AS ward_cost_without_bed_days,
           sum(ward_bed_days) AS ward_bed_days,
           sum(theatre_cost) AS theatre_cost,
           sum(CASE WHEN theatre_minutes = 0 THEN theatre_cost ELSE 0 END) AS theatre_cost_without_minutes,
           sum(theatre_minutes) AS theatre_minutes
    FROM event_costs
    GROUP BY fin_year, quarter, org_code
),
period_sums AS (
    SELECT * FROM quarter_sums
    UNION ALL
    SELECT fin_year, 'year' AS period, org_code, sum(records), sum(records_without_cost), sum(total_cost),
           sum(cost_without_records), sum(other_cost), sum(overheads_cost), sum(ward_cost),
           sum(ward_cost_without_bed_days), sum(ward_bed_days), sum(theatre_cost), sum(theatre_cost_without_minutes),
           sum(theatre_minutes)
    FROM quarter_sums
    GROUP BY fin_year, org_code
),
ics_rates AS (
    SELECT fin_year, period,
           CAST(sum(ward_cost) AS DOUBLE) / nullif(CAST(sum(ward_bed_days) AS DOUBLE), 0) AS ics_bed_day_cost,
           CAST(sum(theatre_cost) AS DOUBLE) / nullif(CAST(sum(theatre_minutes) AS DOUBLE), 0) AS ics_minute_cost
    FROM period_sums
    GROUP BY fin_year, period
),
measures AS (
    SELECT p.fin_year, p.period, p.org_code, p.records, c.check_code, c.check_name, c.position, c.lower_limit,
           c.upper_limit, c.explanation,
           CASE c.check_code
                WHEN 'unallocated_share'
                THEN CAST(p.other_cost AS DOUBLE) / nullif(CAST(p.total_cost AS DOUBLE), 0)
                WHEN 'overhead_share'
                THEN CAST(p.overheads_cost AS DOUBLE) / nullif(CAST(p.total_cost AS DOUBLE), 0)
                WHEN 'ward_cost_without_bed_days'
                THEN CAST(p.ward_cost_without_bed_days AS DOUBLE) / nullif(CAST(p.ward_cost AS DOUBLE), 0)
                WHEN 'theatre_cost_without_minutes'
                THEN CAST(p.theatre_cost_without_minutes AS DOUBLE) / nullif(CAST(p.theatre_cost AS DOUBLE), 0)
                WHEN 'cost_per_bed_day_ratio'
                THEN CAST(p.ward_cost AS DOUBLE) / nullif(CAST(p.ward_bed_days AS DOUBLE), 0)
                     / nullif(i.ics_bed_day_cost, 0)
                WHEN 'cost_per_theatre_minute_ratio'
                THEN CAST(p.theatre_cost AS DOUBLE) / nullif(CAST(p.theatre_minutes AS DOUBLE), 0)
                     / nullif(i.ics_minute_cost, 0)
                WHEN 'records_without_cost'
                THEN CAST(p.records_without_cost AS DOUBLE) / nullif(CAST(p.records AS DOUBLE), 0)
                WHEN 'cost_without_records'
                THEN CAST(p.cost_without_records AS DOUBLE) / nullif(CAST(p.total_cost AS DOUBLE), 0)
           END AS measure
    FROM period_sums AS p
    JOIN ics_rates AS i ON i.fin_year = p.fin_year AND i.period = p.period
    CROSS JOIN ref_costing_check AS c
),
judged AS (
    SELECT m.*,
           CASE WHEN m.measure IS NULL THEN NULL
                WHEN m.lower_limit IS NOT NULL AND m.measure < m.lower_limit THEN 0
                WHEN m.upper_limit IS NOT NULL AND m.measure > m.upper_limit THEN 0
                ELSE 1 END AS passed
    FROM measures AS m
),
scored AS (
    SELECT j.*,
           count(j.passed) OVER (PARTITION BY j.fin_year, j.period, j.org_code) AS checks_measured,
           sum(j.passed) OVER (PARTITION BY j.fin_year, j.period, j.org_code) AS checks_passed
    FROM judged AS j
)
SELECT x.fin_year, x.period, x.org_code, x.check_code, x.check_name, x.position, CAST(x.records AS BIGINT) AS records,
       x.measure, x.lower_limit, x.upper_limit, x.passed, CAST(x.checks_measured AS BIGINT) AS checks_measured,
       CAST(x.checks_passed AS BIGINT) AS checks_passed,
       100.0 * x.checks_passed / nullif(x.checks_measured, 0) AS score, x.explanation, s.refresh_id
FROM scored AS x
CROSS JOIN results.refresh_parameters AS s
