-- population_rates: activity and cost per 100,000 residents, crude and age-standardised, per setting and area.
-- Grain: one row per financial year, area (the whole ICS, each place and each district in [population]) and setting
--   (or all), plus one row per year and setting for patients living outside the ICS area or unknown (area_type ics).
-- Inputs: resident_activity, patient_setting_cost, ref_lsoa, ref_population_area, results.refresh_parameters
-- Published: yes
-- About: The NHS Benchmarking Network's ICS view: how much care each place's residents use, whoever provided it.
--   Population: ONS mid-2015 (IMD 2019 release) times [population] scale. Age-standardised rates use direct
--   standardisation to England's population over three bands (0-15, 16-59, 60+): each band's rate is weighted by
--   England's share in that band, so places with older people are compared fairly; records without an age are
--   spread across the bands in proportion. Within an area type, rows add up to every pound loaded (the ics type
--   with its outside row); setting all holds every setting once. Do not add places to districts or to the ICS. A
--   row whose cost in the setting one or two patients make up most of is hidden by the dominance rule, and so are
--   the ICS's figures on every row where the ICS's own cost is.
-- Columns:
--   fin_year [key] financial year
--   area_type [key] ics, place or district
--   area [key] the ICS's name, the place or the district; outside the ICS area or unknown for the rest
--   setting [key] apc, op, ec, cc, mh, chs, or all
--   population [shown] residents of the area
--   patients [count] different patients living in the area
--   activity [count] activity records
--   total_cost [total from activity] cost, pounds
--   activity_per_100k [total from activity] activity per 100,000 residents (crude)
--   patients_per_100k [total from patients] patients per 100,000 residents (crude)
--   cost_per_100k [total from activity] cost per 100,000 residents, pounds (crude)
--   cost_per_head [total from activity] cost per resident, pounds (crude)
--   standardised_activity_per_100k [total from activity] activity per 100,000, age-standardised to England
--   standardised_cost_per_100k [total from activity] cost per 100,000, age-standardised to England, pounds
--   ics_activity [count] activity of all the ICS's residents in the setting
--   ics_standardised_activity_per_100k [total from ics_activity] the ICS's age-standardised activity per 100,000
--   ics_standardised_cost_per_100k [total from ics_activity] the ICS's age-standardised cost per 100,000, pounds
--   activity_ratio_to_ics [from activity vs ics_standardised_activity_per_100k] standardised_activity_per_100k /
--     the ICS's (1.10 = 10% above the ICS); hidden wherever the ICS figure is, which it would give back
--   cost_ratio_to_ics [from activity vs ics_standardised_cost_per_100k] standardised_cost_per_100k / the ICS's;
--     hidden wherever the ICS figure is
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
--   ics_dominance_cost [dominance total of ics_activity] the ICS's residents' cost in the setting by size, pounds;
--     never published
--   ics_dominance_largest [dominance largest of ics_activity] their costliest patient's, pounds; never published
--   ics_dominance_second [dominance second of ics_activity] their second costliest's, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
WITH area_lsoas AS (
    SELECT a.area_type, a.area, l.lsoa, l.population, l.population_0_15, l.population_16_59, l.population_60_plus
    FROM ref_population_area AS a
    JOIN ref_lsoa AS l ON l.district = a.district
),
area_population AS (
    SELECT a.area_type, a.area,
           sum(a.population) * max(s.population_scale) AS population,
           sum(a.population_0_15) * max(s.population_scale) AS population_0_15,
           sum(a.population_16_59) * max(s.population_scale) AS population_16_59,
           sum(a.population_60_plus) * max(s.population_scale) AS population_60_plus
    FROM area_lsoas AS a
    CROSS JOIN results.refresh_parameters AS s
    GROUP BY a.area_type, a.area
),
england AS (
    SELECT CAST(sum(population_0_15) AS DOUBLE) / NULLIF(sum(population_0_15 + population_16_59 + population_60_plus), 0)
               AS share_0_15,
           CAST(sum(population_16_59) AS DOUBLE) / NULLIF(sum(population_0_15 + population_16_59 + population_60_plus), 0)
               AS share_16_59,
           CAST(sum(population_60_plus) AS DOUBLE) / NULLIF(sum(population_0_15 + population_16_59 + population_60_plus), 0)
               AS share_60_plus
    FROM ref_lsoa
),
resident_bands AS (
    SELECT r.fin_year, r.setting, a.area_type, a.area,
           sum(r.patients) AS patients,
           sum(r.records) AS activity,
           sum(r.total_cost) AS total_cost,
           sum(CASE WHEN r.age_band = '0-15' THEN r.records ELSE 0 END) AS activity_0_15,
           sum(CASE WHEN r.age_band IN ('16-39', '40-59') THEN r.records ELSE 0 END) AS activity_16_59,
           sum(CASE WHEN r.age_band IN ('60-74', '75-84', '85+') THEN r.records ELSE 0 END) AS activity_60_plus,
           sum(CASE WHEN r.age_band = '0-15' THEN r.total_cost ELSE 0 END) AS cost_0_15,
           sum(CASE WHEN r.age_band IN ('16-39', '40-59') THEN r.total_cost ELSE 0 END) AS cost_16_59,
           sum(CASE WHEN r.age_band IN ('60-74', '75-84', '85+') THEN r.total_cost ELSE 0 END) AS cost_60_plus
    FROM resident_activity AS r
    JOIN area_lsoas AS a ON a.lsoa = r.lsoa
    GROUP BY r.fin_year, r.setting, a.area_type, a.area
),
outside AS (
    SELECT r.fin_year, r.setting, 'ics' AS area_type, 'outside the ICS area or unknown' AS area,
           sum(r.patients) AS patients,
           sum(r.records) AS activity,
           sum(r.total_cost) AS total_cost
    FROM resident_activity AS r
    WHERE NOT EXISTS (
        SELECT 1 FROM area_lsoas AS a WHERE a.lsoa = r.lsoa AND a.area_type = 'ics'
    )
    GROUP BY r.fin_year, r.setting
),
area_patients AS (
    -- Each patient's year in the setting and over all (patient_setting_cost: the contributors of the dominance rule),
    -- in each area they live in and, outside the ICS area or unknown, in the ICS's outside row.
    SELECT p.fin_year, p.setting, a.area_type, a.area, p.cost
    FROM patient_setting_cost AS p
    JOIN area_lsoas AS a ON a.lsoa = p.lsoa
    UNION ALL
    SELECT p.fin_year, p.setting, 'ics' AS area_type, 'outside the ICS area or unknown' AS area, p.cost
    FROM patient_setting_cost AS p
    WHERE NOT EXISTS (
        SELECT 1 FROM area_lsoas AS a WHERE a.lsoa = p.lsoa AND a.area_type = 'ics'
    )
),
ranked_patients AS (
    -- by size, ranked within the row
    SELECT fin_year, setting, area_type, area, cost,
           ROW_NUMBER() OVER (PARTITION BY fin_year, setting, area_type, area ORDER BY cost DESC) AS position
    FROM area_patients
),
dominance AS (
    SELECT fin_year, setting, area_type, area, sum(cost) AS cost,
           max(CASE WHEN position = 1 THEN cost END) AS largest,
           coalesce(max(CASE WHEN position = 2 THEN cost END), 0) AS second,
           CAST(sum(CASE WHEN cost <> 0 THEN 1 ELSE 0 END) AS BIGINT) AS contributors
    FROM ranked_patients
    GROUP BY fin_year, setting, area_type, area
),
rates AS (
    SELECT b.fin_year, b.setting, b.area_type, b.area, p.population, b.patients, b.activity, b.total_cost,
           CASE WHEN p.population > 0 THEN 100000.0 * b.activity / NULLIF(p.population, 0) END AS activity_per_100k,
           CASE WHEN p.population > 0 THEN 100000.0 * b.patients / NULLIF(p.population, 0) END AS patients_per_100k,
           CASE WHEN p.population > 0 THEN 100000.0 * CAST(b.total_cost AS DOUBLE) / NULLIF(p.population, 0) END
               AS cost_per_100k,
           CASE WHEN p.population > 0 THEN CAST(b.total_cost AS DOUBLE) / NULLIF(p.population, 0) END AS cost_per_head,
           CASE WHEN p.population_0_15 > 0 AND p.population_16_59 > 0 AND p.population_60_plus > 0
                     AND b.activity_0_15 + b.activity_16_59 + b.activity_60_plus > 0
                THEN 100000.0 * (e.share_0_15 * b.activity_0_15 / NULLIF(p.population_0_15, 0)
                                 + e.share_16_59 * b.activity_16_59 / NULLIF(p.population_16_59, 0)
                                 + e.share_60_plus * b.activity_60_plus / NULLIF(p.population_60_plus, 0))
                     * b.activity / NULLIF((b.activity_0_15 + b.activity_16_59 + b.activity_60_plus), 0)
           END AS standardised_activity_per_100k,
           CASE WHEN p.population_0_15 > 0 AND p.population_16_59 > 0 AND p.population_60_plus > 0
                     AND b.cost_0_15 + b.cost_16_59 + b.cost_60_plus <> 0
                THEN 100000.0 * (e.share_0_15 * CAST(b.cost_0_15 AS DOUBLE) / NULLIF(p.population_0_15, 0)
                                 + e.share_16_59 * CAST(b.cost_16_59 AS DOUBLE) / NULLIF(p.population_16_59, 0)
                                 + e.share_60_plus * CAST(b.cost_60_plus AS DOUBLE) / NULLIF(p.population_60_plus, 0))
                     * CAST(b.total_cost AS DOUBLE) / NULLIF(CAST(b.cost_0_15 + b.cost_16_59 + b.cost_60_plus AS DOUBLE), 0)
           END AS standardised_cost_per_100k
    FROM resident_bands AS b
    JOIN area_population AS p ON p.area_type = b.area_type AND p.area = b.area
    CROSS JOIN england AS e
),
all_rows AS (
    SELECT fin_year, setting, area_type, area, population, patients, activity, total_cost, activity_per_100k,
           patients_per_100k, cost_per_100k, cost_per_head, standardised_activity_per_100k,
           standardised_cost_per_100k
    FROM rates
    UNION ALL
    SELECT fin_year, setting, area_type, area, CAST(NULL AS DOUBLE) AS population, patients, activity, total_cost,
           CAST(NULL AS DOUBLE) AS activity_per_100k, CAST(NULL AS DOUBLE) AS patients_per_100k,
           CAST(NULL AS DOUBLE) AS cost_per_100k, CAST(NULL AS DOUBLE) AS cost_per_head,
           CAST(NULL AS DOUBLE) AS standardised_activity_per_100k, CAST(NULL AS DOUBLE) AS standardised_cost_per_100k
    FROM outside
)
SELECT r.fin_year, r.area_type, r.area, r.setting, r.population, r.patients, r.activity, r.total_cost,
       r.activity_per_100k, r.patients_per_100k, r.cost_per_100k, r.cost_per_head, r.standardised_activity_per_100k,
       r.standardised_cost_per_100k,
       i.activity AS ics_activity,
       i.standardised_activity_per_100k AS ics_standardised_activity_per_100k,
       i.standardised_cost_per_100k AS ics_standardised_cost_per_100k,
       CASE WHEN i.standardised_activity_per_100k > 0
            THEN r.standardised_activity_per_100k / NULLIF(i.standardised_activity_per_100k, 0) END AS activity_ratio_to_ics,
       CASE WHEN i.standardised_cost_per_100k > 0
            THEN r.standardised_cost_per_100k / NULLIF(i.standardised_cost_per_100k, 0) END AS cost_ratio_to_ics,
       s.refresh_id,
       d.cost AS dominance_cost, d.largest AS dominance_largest, d.second AS dominance_second,
       d.contributors AS dominance_contributors,
       d.cost AS patients_dominance_cost, d.largest AS patients_dominance_largest,
       d.second AS patients_dominance_second, d.contributors AS patients_dominance_contributors,
       di.cost AS ics_dominance_cost, di.largest AS ics_dominance_largest, di.second AS ics_dominance_second,
       di.contributors AS ics_dominance_contributors
FROM all_rows AS r
LEFT JOIN rates AS i ON i.fin_year = r.fin_year AND i.setting = r.setting AND i.area_type = 'ics'
LEFT JOIN dominance AS d
    ON d.fin_year = r.fin_year AND d.setting = r.setting AND d.area_type = r.area_type AND d.area = r.area
LEFT JOIN dominance AS di
    ON di.fin_year = i.fin_year AND di.setting = i.setting AND di.area_type = 'ics' AND di.area = i.area
CROSS JOIN results.refresh_parameters AS s
