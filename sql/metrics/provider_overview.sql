-- provider_overview: each provider's service in one line: total and average cost, activity, its highest-volume HRGs.
-- Grain: one row per financial year, setting and provider.
-- Inputs: event_costs, activity, providers, results.refresh_parameters
-- Published: yes
-- About: The service level overview. Totals add up across providers and settings (they reconcile with
--   system_cost); average cost and shares do not. The five highest-volume HRGs are ranked by records, ties broken
--   by HRG code.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   org_code [key] provider ODS code
--   provider_name [key] provider name from the ICS config
--   provider_type [key] acute, mental_health, community, specialist or independent
--   activity [count] records
--   patients [count] different patients (by pseudonym)
--   total_cost [total from activity] cost, pounds
--   mean_cost [from activity] total_cost / activity, pounds
--   share_of_ics_cost [total from activity] the provider's share of the ICS's cost in the setting
--   hrgs [shown] different HRGs or currencies the provider recorded
--   top_hrg_1 [key] the provider's highest-volume HRG
--   top_hrg_1_activity [count] its records
--   top_hrg_2 [key] the second highest-volume HRG
--   top_hrg_2_activity [count] its records
--   top_hrg_3 [key] the third
--   top_hrg_3_activity [count] its records
--   top_hrg_4 [key] the fourth
--   top_hrg_4_activity [count] its records
--   top_hrg_5 [key] the fifth
--   top_hrg_5_activity [count] its records
--   refresh_id [shown] the refresh that wrote the row
WITH hrg_volumes AS (
    SELECT fin_year, setting, org_code, hrg, count(*) AS activity,
           ROW_NUMBER() OVER (PARTITION BY fin_year, setting, org_code ORDER BY count(*) DESC, hrg) AS volume_rank
    FROM event_costs
    WHERE has_activity_record = 1 AND hrg <> ''
    GROUP BY fin_year, setting, org_code, hrg
),
top_hrgs AS (
    SELECT fin_year, setting, org_code,
           count(*) AS hrgs,
           max(CASE WHEN volume_rank = 1 THEN hrg END) AS top_hrg_1,
           max(CASE WHEN volume_rank = 1 THEN activity END) AS top_hrg_1_activity,
           max(CASE WHEN volume_rank = 2 THEN hrg END) AS top_hrg_2,
           max(CASE WHEN volume_rank = 2 THEN activity END) AS top_hrg_2_activity,
           max(CASE WHEN volume_rank = 3 THEN hrg END) AS top_hrg_3,
           max(CASE WHEN volume_rank = 3 THEN activity END) AS top_hrg_3_activity,
           max(CASE WHEN volume_rank = 4 THEN hrg END) AS top_hrg_4,
           max(CASE WHEN volume_rank = 4 THEN activity END) AS top_hrg_4_activity,
           max(CASE WHEN volume_rank = 5 THEN hrg END) AS top_hrg_5,
           max(CASE WHEN volume_rank = 5 THEN activity END) AS top_hrg_5_activity
    FROM hrg_volumes
    GROUP BY fin_year, setting, org_code
),
totals AS (
    SELECT fin_year, setting, org_code,
           sum(has_activity_record) AS activity,
           sum(total_cost) AS total_cost
    FROM event_costs
    GROUP BY fin_year, setting, org_code
),
patients AS (
    SELECT fin_year, setting, org_code, count(DISTINCT patient_id) AS patients
    FROM activity
    GROUP BY fin_year, setting, org_code
),
ics AS (
    SELECT fin_year, setting, sum(total_cost) AS ics_cost FROM totals GROUP BY fin_year, setting
)
SELECT t.fin_year, t.setting, t.org_code,
       coalesce(p.name, t.org_code) AS provider_name,
       coalesce(p.type, 'unknown') AS provider_type,
       t.activity, coalesce(n.patients, 0) AS patients, t.total_cost,
       CAST(t.total_cost AS DOUBLE) / nullif(t.activity, 0) AS mean_cost,
       CAST(t.total_cost AS DOUBLE) / nullif(i.ics_cost, 0) AS share_of_ics_cost,
       coalesce(h.hrgs, 0) AS hrgs,
       h.top_hrg_1, h.top_hrg_1_activity, h.top_hrg_2, h.top_hrg_2_activity, h.top_hrg_3, h.top_hrg_3_activity,
       h.top_hrg_4, h.top_hrg_4_activity, h.top_hrg_5, h.top_hrg_5_activity,
       s.refresh_id
FROM totals AS t
JOIN ics AS i ON i.fin_year = t.fin_year AND i.setting = t.setting
LEFT JOIN top_hrgs AS h ON h.fin_year = t.fin_year AND h.setting = t.setting AND h.org_code = t.org_code
LEFT JOIN patients AS n ON n.fin_year = t.fin_year AND n.setting = t.setting AND n.org_code = t.org_code
LEFT JOIN providers AS p ON p.org_code = t.org_code
CROSS JOIN results.refresh_parameters AS s
