-- deprivation_cost: cost and activity per head of the ICS's residents by IMD decile, by setting.
-- Grain: one row per financial year, setting (or all) and residence: each IMD 2019 decile of the ICS's residents,
--   plus residents outside the ICS area and records whose residence is unknown.
-- Inputs: resident_activity, patient_setting_cost, ref_lsoa, ref_population_area, results.refresh_parameters
-- Published: yes
-- About: Residents are people living in an LSOA of the districts in [population] (population: ONS mid-2015, from
--   the IMD 2019 release, times [population] scale). A patient's residence is that of their latest record with an
--   LSOA. Deciles are national: decile 1 is the most deprived 10% of England's LSOAs, so an ICS need not have a
--   tenth of its people in each. Rows add up to every pound loaded within a setting; setting all holds every setting
--   once (do not add it to the others). Rates are crude (not age-standardised: see population_rates). A row whose
--   cost in the setting one or two patients make up most of (a decile with few patients and one long critical care
--   stay) is hidden by the dominance rule, and so are the ICS residents' figures where their cost is.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh, chs, or all
--   residence [key] ICS resident, outside the ICS area, or unknown
--   imd_decile [key] IMD 2019 decile, 1 = most deprived 10% of England; blank when not an ICS resident
--   population [shown] ICS residents in the decile
--   patients [count] different patients
--   activity [count] activity records
--   total_cost [total from activity] cost, pounds
--   cost_per_head [total from activity] total_cost / population, pounds
--   activity_per_1000 [total from activity] activity per 1,000 residents
--   patients_per_1000 [total from patients] patients per 1,000 residents
--   cost_per_patient [from patients] total_cost / patients, pounds
--   ics_activity [count] activity of all the ICS's residents in the setting
--   ics_cost_per_head [total from ics_activity] the ICS residents' cost per head, pounds
--   cost_per_head_index [from activity vs ics_cost_per_head] cost_per_head / ics_cost_per_head (1.25 = 25% above
--     the ICS); hidden wherever the ICS figure is, which it would give back
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of activity] the row's cost in the setting by size (each patient's year made
--     positive; a group of records without a pseudonym in patient_cost counts as one contributor), pounds; never
--     published
--   dominance_largest [dominance largest of activity] its costliest patient's cost, pounds; never published
--   dominance_second [dominance second of activity] its second costliest patient's, pounds; never published
--   dominance_contributors [dominance contributors of activity] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   patients_dominance_cost [dominance total of patients] the same cost, for the figures built on patients, pounds;
--     never published
--   patients_dominance_largest [dominance largest of patients] the same costliest patient's, pounds; never published
--   patients_dominance_second [dominance second of patients] the same second costliest, pounds; never published
--   patients_dominance_contributors [dominance contributors of patients] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_activity] the ICS residents' cost in the setting by size, pounds;
--     never published
--   ics_dominance_largest [dominance largest of ics_activity] their costliest patient's, pounds; never published
--   ics_dominance_second [dominance second of ics_activity] their second costliest's, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
WITH ics_lsoas AS (
    SELECT l.lsoa, l.imd_decile, l.population
    FROM ref_lsoa AS l
    JOIN ref_population_area AS a ON a.district = l.district AND a.area_type = 'ics'
),
decile_population AS (
    SELECT i.imd_decile, sum(i.population) * max(s.population_scale) AS population
    FROM ics_lsoas AS i
    CROSS JOIN results.refresh_parameters AS s
    GROUP BY i.imd_decile
),
by_decile AS (
    SELECT r.fin_year, r.setting,
           CASE WHEN i.lsoa IS NOT NULL THEN 'ICS resident' WHEN r.lsoa IS NULL THEN 'unknown'
                ELSE 'outside the ICS area' END AS residence,
           i.imd_decile,
           sum(r.patients) AS patients,
           sum(r.records) AS activity,
           sum(r.total_cost) AS total_cost
    FROM resident_activity AS r
    LEFT JOIN ics_lsoas AS i ON i.lsoa = r.lsoa
    GROUP BY r.fin_year, r.setting,
             CASE WHEN i.lsoa IS NOT NULL THEN 'ICS resident' WHEN r.lsoa IS NULL THEN 'unknown'
                  ELSE 'outside the ICS area' END,
             i.imd_decile
),
ics_population AS (
    SELECT sum(population) AS population
    FROM decile_population
),
residents AS (
    SELECT b.fin_year, b.setting, sum(b.activity) AS activity, sum(b.total_cost) AS total_cost,
           max(t.population) AS population
    FROM by_decile AS b
    CROSS JOIN ics_population AS t
    WHERE b.residence = 'ICS resident'
    GROUP BY b.fin_year, b.setting
),
patient_settings AS (
    -- Each patient's year in the setting and over all (patient_setting_cost: the contributors of the dominance rule)
    -- at their residence; decile 0 stands for none, so that the rows join on it.
    SELECT p.fin_year, p.setting,
           CASE WHEN i.lsoa IS NOT NULL THEN 'ICS resident' WHEN p.lsoa IS NULL THEN 'unknown'
                ELSE 'outside the ICS area' END AS residence,
           coalesce(i.imd_decile, 0) AS imd_decile,
           p.cost
    FROM patient_setting_cost AS p
    LEFT JOIN ics_lsoas AS i ON i.lsoa = p.lsoa
),
ranked_patients AS (
    -- by size, ranked within the row (level 0) and within the ICS's residents in the setting (level 1)
    SELECT 0 AS level, fin_year, setting, residence, imd_decile, cost,
           ROW_NUMBER() OVER (PARTITION BY fin_year, setting, residence, imd_decile ORDER BY cost DESC) AS position
    FROM patient_settings
    UNION ALL
    SELECT 1 AS level, fin_year, setting, residence, 0 AS imd_decile, cost,
           ROW_NUMBER() OVER (PARTITION BY fin_year, setting ORDER BY cost DESC) AS position
    FROM patient_settings
    WHERE residence = 'ICS resident'
),
dominance AS (
    SELECT level, fin_year, setting, residence, imd_decile, sum(cost) AS cost,
           max(CASE WHEN position = 1 THEN cost END) AS largest,
           coalesce(max(CASE WHEN position = 2 THEN cost END), 0) AS second,
           CAST(sum(CASE WHEN cost <> 0 THEN 1 ELSE 0 END) AS BIGINT) AS contributors
    FROM ranked_patients
    GROUP BY level, fin_year, setting, residence, imd_decile
)
SELECT b.fin_year, b.setting, b.residence, b.imd_decile, p.population, b.patients, b.activity, b.total_cost,
       CASE WHEN p.population > 0 THEN CAST(b.total_cost AS DOUBLE) / NULLIF(p.population, 0) END AS cost_per_head,
       CASE WHEN p.population > 0 THEN 1000.0 * b.activity / NULLIF(p.population, 0) END AS activity_per_1000,
       CASE WHEN p.population > 0 THEN 1000.0 * b.patients / NULLIF(p.population, 0) END AS patients_per_1000,
       CASE WHEN b.patients > 0 THEN CAST(b.total_cost AS DOUBLE) / NULLIF(b.patients, 0) END AS cost_per_patient,
       r.activity AS ics_activity,
       CASE WHEN r.population > 0 THEN CAST(r.total_cost AS DOUBLE) / NULLIF(r.population, 0) END AS ics_cost_per_head,
       CASE WHEN p.population > 0 AND r.population > 0 AND r.total_cost <> 0
            THEN (CAST(b.total_cost AS DOUBLE) / NULLIF(p.population, 0)) / NULLIF((CAST(r.total_cost AS DOUBLE) / NULLIF(r.population, 0)), 0)
       END AS cost_per_head_index,
       s.refresh_id,
       d.cost AS dominance_cost, d.largest AS dominance_largest, d.second AS dominance_second,
       d.contributors AS dominance_contributors,
       d.cost AS patients_dominance_cost, d.largest AS patients_dominance_largest,
       d.second AS patients_dominance_second, d.contributors AS patients_dominance_contributors,
       i.cost AS ics_dominance_cost, i.largest AS ics_dominance_largest, i.second AS ics_dominance_second,
       i.contributors AS ics_dominance_contributors
FROM by_decile AS b
LEFT JOIN decile_population AS p ON p.imd_decile = b.imd_decile AND b.residence = 'ICS resident'
LEFT JOIN residents AS r ON r.fin_year = b.fin_year AND r.setting = b.setting
LEFT JOIN dominance AS d
    ON d.level = 0 AND d.fin_year = b.fin_year AND d.setting = b.setting AND d.residence = b.residence
   AND d.imd_decile = coalesce(b.imd_decile, 0)
LEFT JOIN dominance AS i
    ON i.level = 1 AND i.fin_year = b.fin_year AND i.setting = b.setting
CROSS JOIN results.refresh_parameters AS s
