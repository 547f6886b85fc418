-- cost_trend: each provider's cost per unit by POD and quarter: quarter on quarter and over a rolling four quarters.
-- Grain: one row per financial year, quarter, setting, POD and provider.
-- Inputs: event_costs, ref_pod, provider_year_quality, cell_dominance, results.refresh_parameters
-- Published: yes
-- About: The benchmarks' companion over time: a provider's cost per unit of count (the POD's unit, as in
--   unit_cost_benchmark) in each quarter, the quarter before (across years), the change, and the rolling four
--   quarters (this one and the three before it, as many as are loaded: rolling_quarters says how many), against the
--   ICS's cost per unit in the quarter. A POD's case mix moves from quarter to quarter: read a change with the
--   service line trend (service_line_benchmark), where the case mix is narrower. periods_aligned and costing_score
--   as in the benchmark tables.
-- Columns:
--   fin_year [key] financial year
--   quarter [key] quarter of the financial year, 1 = April to June
--   setting [key] apc, op, ec, cc, mh or chs
--   pod [key] point of delivery
--   org_code [key] provider ODS code
--   unit_of_count [key] what one unit is: episode, attendance, contact, bed_day or critical_care_day
--   activity [count] the provider's records in the quarter
--   units [total from activity] their units of count
--   total_cost [total from activity] their cost, pounds
--   mean_cost [from activity] total_cost / units, pounds
--   ics_activity [count] records of the POD in the quarter across every provider
--   ics_mean_cost [from ics_activity] ICS cost per unit in the quarter, pounds
--   previous_mean_cost [from trend_activity] the provider's cost per unit in the quarter before, pounds
--   change_vs_previous [from trend_activity] mean_cost / previous_mean_cost - 1 (0.05 = 5% dearer)
--   trend_activity [count] the fewer of the quarter's and the quarter before's records: the change is shown only
--     where both are
--   rolling_quarters [shown] quarters loaded among this one and the three before it
--   rolling_activity [count] the provider's records in those quarters
--   rolling_total_cost [total from rolling_activity] their cost, pounds
--   rolling_mean_cost [from rolling_activity] rolling_total_cost / their units, pounds
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not (period_alignment)
--   costing_score [shown] the provider's costing data-quality score for the year, 0 to 100 (costing_quality)
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of activity] the provider's cost of the POD in the quarter by size (a credit
--     counted as positive; cell_dominance, trend_cost), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of activity] the cost of the provider's largest contributor (a patient's
--     records added up, or a record without a patient), pounds; never published
--   dominance_second [dominance second of activity] its second largest contributor's cost, pounds; never published
--   dominance_contributors [dominance contributors of activity] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_activity] the POD's cost in the quarter across every provider, pounds;
--     never published
--   ics_dominance_largest [dominance largest of ics_activity] its largest contributor's cost across every provider,
--     pounds; never published
--   ics_dominance_second [dominance second of ics_activity] the second largest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
WITH quarters AS (
    SELECT e.fin_year, e.quarter, e.setting, e.pod, e.org_code, p.unit_of_count,
           CAST(substr(e.fin_year, 1, 4) AS INTEGER) * 4 + e.quarter AS quarter_index,
           count(*) AS activity,
           sum(CASE WHEN p.units_per_record = 1 THEN CAST(1 AS DECIMAL(18, 4))
                    ELSE CAST(coalesce(e.record_bed_days, e.cc_bed_days, 0) AS DECIMAL(18, 4)) END) AS units,
           sum(e.total_cost) AS total_cost
    FROM event_costs AS e
    JOIN ref_pod AS p ON p.setting = e.setting AND p.pod = e.pod
    WHERE e.has_activity_record = 1
    GROUP BY e.fin_year, e.quarter, e.setting, e.pod, e.org_code, p.unit_of_count
),
ics AS (
    SELECT fin_year, quarter, setting, pod, sum(activity) AS ics_activity,
           CAST(sum(total_cost) AS DOUBLE) / nullif(CAST(sum(units) AS DOUBLE), 0) AS ics_mean_cost
    FROM quarters
    GROUP BY fin_year, quarter, setting, pod
),
rolling AS (
    SELECT q.setting, q.pod, q.org_code, q.quarter_index, count(*) AS rolling_quarters,
           sum(r.activity) AS rolling_activity, sum(r.total_cost) AS rolling_total_cost, sum(r.units) AS rolling_units
    FROM quarters AS q
    JOIN quarters AS r
        ON r.setting = q.setting AND r.pod = q.pod AND r.org_code = q.org_code
       AND r.quarter_index BETWEEN q.quarter_index - 3 AND q.quarter_index
    GROUP BY q.setting, q.pod, q.org_code, q.quarter_index
)
SELECT q.fin_year, q.quarter, q.setting, q.pod, q.org_code, q.unit_of_count, q.activity,
       CAST(q.units AS DOUBLE) AS units,
       q.total_cost, CAST(q.total_cost AS DOUBLE) / nullif(CAST(q.units AS DOUBLE), 0) AS mean_cost,
       i.ics_activity, i.ics_mean_cost,
       CAST(p.total_cost AS DOUBLE) / nullif(CAST(p.units AS DOUBLE), 0) AS previous_mean_cost,
       (CAST(q.total_cost AS DOUBLE) / nullif(CAST(q.units AS DOUBLE), 0))
           / nullif(CAST(p.total_cost AS DOUBLE) / nullif(CAST(p.units AS DOUBLE), 0), 0) - 1 AS change_vs_previous,
       CAST(CASE WHEN p.activity IS NULL OR q.activity <= p.activity THEN q.activity ELSE p.activity END AS BIGINT)
           AS trend_activity,
       CAST(r.rolling_quarters AS BIGINT) AS rolling_quarters, CAST(r.rolling_activity AS BIGINT) AS rolling_activity,
       r.rolling_total_cost,
       CAST(r.rolling_total_cost AS DOUBLE) / nullif(CAST(r.rolling_units AS DOUBLE), 0) AS rolling_mean_cost,
       y.periods_aligned, y.costing_score, s.refresh_id,
       d.cost AS dominance_cost, d.largest AS dominance_largest, d.second AS dominance_second,
       d.contributors AS dominance_contributors,
       d.ics_cost AS ics_dominance_cost, d.ics_largest AS ics_dominance_largest, d.ics_second AS ics_dominance_second,
       d.ics_contributors AS ics_dominance_contributors
FROM quarters AS q
JOIN ics AS i ON i.fin_year = q.fin_year AND i.quarter = q.quarter AND i.setting = q.setting AND i.pod = q.pod
LEFT JOIN quarters AS p
    ON p.setting = q.setting AND p.pod = q.pod AND p.org_code = q.org_code AND p.quarter_index = q.quarter_index - 1
JOIN rolling AS r
    ON r.setting = q.setting AND r.pod = q.pod AND r.org_code = q.org_code AND r.quarter_index = q.quarter_index
LEFT JOIN provider_year_quality AS y ON y.fin_year = q.fin_year AND y.org_code = q.org_code
LEFT JOIN cell_dominance AS d
    ON d.family = 'trend_cost' AND d.fin_year = q.fin_year AND d.setting = q.setting AND d.pod = q.pod
   AND d.detail = 'Q' || CAST(q.quarter AS VARCHAR) AND d.org_code = q.org_code
CROSS JOIN results.refresh_parameters AS s
