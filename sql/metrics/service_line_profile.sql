-- service_line_profile: who each service line's patients are, by provider: age, sex, deprivation and long-term conditions.
-- Grain: one row per service line, financial year, provider, measure (age_band, sex, imd_decile, condition) and
--   category.
-- Inputs: service_records, patient_conditions, ref_lsoa, results.refresh_parameters
-- Published: yes
-- About: The seed's "using other datasets" slides for one service: the profile of the patients behind each
--   provider's cost, beside the ICS's, so a difference in cost can be read against a difference in who is treated.
--   Patients are counted once per provider and service line in the year (records without a patient pseudonym are
--   left out): their age and residence are those of their latest record of the service line. imd_decile is the IMD
--   2019 decile of the LSOA (1 = most deprived 10% of England; unknown when the LSOA is missing or not in England);
--   condition counts the patients with each long-term condition of [[long_term_conditions]] recorded by that year
--   (patient_conditions), so a patient may have several and the condition rows do not add up. The categories of
--   age_band, sex and imd_decile each add up to the provider's patients.
-- Columns:
--   service_line [key] service line name from the config
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   measure [key] age_band, sex, imd_decile or condition
--   category [key] the age band (0-17, 18-64, 65-74, 75-84, 85+, unknown), sex (M, F, U), IMD decile (1-10, unknown)
--     or long-term condition
--   patients [count] the provider's patients of the service line in the category
--   provider_patients [count] the provider's patients of the service line
--   share [from patients] patients / provider_patients
--   ics_patients [count] patients of the service line in the category across every provider
--   ics_share [from ics_patients] ics_patients / the service line's patients across every provider
--   refresh_id [shown] the refresh that wrote the row
WITH latest AS (
    SELECT service_line, fin_year, org_code, patient_id, age, sex, lsoa,
           ROW_NUMBER() OVER (
               PARTITION BY service_line, fin_year, org_code, patient_id ORDER BY quarter DESC, record_id DESC
           ) AS position
    FROM service_records
    WHERE patient_id IS NOT NULL
),
patients AS (
    SELECT l.service_line, l.fin_year, l.org_code, l.patient_id,
           CASE WHEN l.age IS NULL THEN 'unknown'
                WHEN l.age < 18 THEN '0-17'
                WHEN l.age < 65 THEN '18-64'
                WHEN l.age < 75 THEN '65-74'
                WHEN l.age < 85 THEN '75-84'
                ELSE '85+' END AS age_band,
           coalesce(l.sex, 'U') AS sex,
           coalesce(CAST(r.imd_decile AS VARCHAR), 'unknown') AS imd_decile
    FROM latest AS l
    LEFT JOIN ref_lsoa AS r ON r.lsoa = l.lsoa
    WHERE l.position = 1
),
categories AS (
    SELECT service_line, fin_year, org_code, patient_id, 'age_band' AS measure, age_band AS category FROM patients
    UNION ALL
    SELECT service_line, fin_year, org_code, patient_id, 'sex' AS measure, sex AS category FROM patients
    UNION ALL
    SELECT service_line, fin_year, org_code, patient_id, 'imd_decile' AS measure, imd_decile AS category FROM patients
    UNION ALL
    SELECT p.service_line, p.fin_year, p.org_code, p.patient_id, 'condition' AS measure, c.condition AS category
    FROM patients AS p
    JOIN patient_conditions AS c ON c.fin_year = p.fin_year AND c.patient_id = p.patient_id
),
counted AS (
    SELECT service_line, fin_year, org_code, measure, category, count(DISTINCT patient_id) AS patients
    FROM categories
    GROUP BY service_line, fin_year, org_code, measure, category
),
provider_totals AS (
    SELECT service_line, fin_year, org_code, count(DISTINCT patient_id) AS provider_patients
    FROM patients
    GROUP BY service_line, fin_year, org_code
),
ics_counts AS (
    SELECT service_line, fin_year, measure, category, count(DISTINCT org_code || '|' || patient_id) AS ics_patients
    FROM categories
    GROUP BY service_line, fin_year, measure, category
),
ics_totals AS (
    SELECT service_line, fin_year, count(DISTINCT org_code || '|' || patient_id) AS ics_total
    FROM patients
    GROUP BY service_line, fin_year
)
SELECT c.service_line, c.fin_year, c.org_code, c.measure, c.category, c.patients, t.provider_patients,
       CAST(c.patients AS DOUBLE) / NULLIF(t.provider_patients, 0) AS share, i.ics_patients,
       CAST(i.ics_patients AS DOUBLE) / NULLIF(it.ics_total, 0) AS ics_share, s.refresh_id
FROM counted AS c
JOIN provider_totals AS t ON t.service_line = c.service_line AND t.fin_year = c.fin_year AND t.org_code = c.org_code
JOIN ics_counts AS i
    ON i.service_line = c.service_line AND i.fin_year = c.fin_year AND i.measure = c.measure
   AND i.category = c.category
JOIN ics_totals AS it ON it.service_line = c.service_line AND it.fin_year = c.fin_year
CROSS JOIN results.refresh_parameters AS s
