-- high_use_patients: how much of the system's cost the highest-cost patients use, and who they are.
-- Grain: one row per financial year and top_percent (1 to 100): the patients in the top top_percent by cost.
-- Inputs: patient_cost, results.refresh_parameters
-- Published: yes
-- About: The Pareto curve of patient cost across every provider (the Derbyshire finding: under 20% of the population
--   uses most of the resources), with the profile of each cohort. Patients are ranked by their whole year's cost
--   at all providers (ties by pseudonym) and cut into 100 bands of equal size; the row for top_percent k holds
--   bands 1 to k, so rows overlap and must not be added up. Only linked patients (with a pseudonym) are ranked: see
--   linkage_quality for the cost left out. Every figure rests on the patients of the row's own band, so a row whose
--   band has fewer patients than the suppression threshold is hidden whole and no two published rows differ by a
--   small group. Shares are fractions (0.45 = 45%).
-- Columns:
--   fin_year [key] financial year
--   top_percent [key] the cohort: the top top_percent % of patients by cost
--   headline [key] top 1%, top 5%, top 20% or all patients for those rows; blank otherwise
--   band_patients [count] patients in this row's own band (between top_percent - 1 and top_percent)
--   patients [count] patients in the cohort
--   all_patients [count] linked patients in the year
--   share_of_patients [from band_patients] patients / all_patients
--   cohort_cost [total from patients] the cohort's cost, pounds
--   share_of_cost [from band_patients] the cohort's share of the linked patients' cost
--   cost_per_patient [from patients] cohort_cost / patients, pounds
--   mean_age [from band_patients] mean age
--   share_aged_75_plus [from band_patients] share aged 75 or over
--   share_most_deprived [from band_patients] share living in the most deprived fifth of England (IMD deciles 1-2),
--     of those with a known LSOA
--   mean_conditions [from band_patients] mean number of long-term conditions
--   share_two_plus_conditions [from band_patients] share with two or more long-term conditions
--   share_admitted [from band_patients] share with an admitted care episode
--   share_emergency_care [from band_patients] share with an emergency care attendance
--   share_mental_health [from band_patients] share seen by mental health services
--   share_community [from band_patients] share seen by community health services
--   share_two_plus_providers [from band_patients] share seen by two or more providers
--   apc_share_of_cost [from band_patients] share of the cohort's cost in admitted care
--   op_share_of_cost [from band_patients] share in outpatients
--   ec_share_of_cost [from band_patients] share in emergency care
--   cc_share_of_cost [from band_patients] share in critical care
--   mh_share_of_cost [from band_patients] share in mental health
--   chs_share_of_cost [from band_patients] share in community health services
--   refresh_id [shown] the refresh that wrote the row
WITH linked AS (
    -- Each linked patient with a cost bucket (whole pounds, rounded down): a patient in a higher bucket costs more,
    -- so the rank by cost is the count of patients in higher buckets plus the rank within the bucket. Ranking
    -- within buckets spreads the sort over many partitions instead of one per year (the same ranks, exactly).
    SELECT fin_year, patient_id, total_cost, age, imd_decile, conditions, providers_seen, apc_records, ec_records,
           mh_records, chs_records, apc_cost, op_cost, ec_cost, cc_cost, mh_cost, chs_cost,
           floor(total_cost) AS cost_bucket
    FROM patient_cost
    WHERE patients = 1
),
bucket_sizes AS (
    SELECT fin_year, cost_bucket, count(*) AS patients
    FROM linked
    GROUP BY fin_year, cost_bucket
),
bucket_offsets AS (
    -- One bucket per whole pound that some patient costs, far fewer than patients: a small window per year.
    SELECT fin_year, cost_bucket,
           coalesce(sum(patients) OVER (
               PARTITION BY fin_year ORDER BY cost_bucket DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ), 0) AS patients_above,
           sum(patients) OVER (PARTITION BY fin_year) AS year_patients
    FROM bucket_sizes
),
ranked AS (
    SELECT l.fin_year, l.patient_id, l.total_cost, l.age, l.imd_decile, l.conditions, l.providers_seen,
           l.apc_records, l.ec_records, l.mh_records, l.chs_records, l.apc_cost, l.op_cost, l.ec_cost, l.cc_cost,
           l.mh_cost, l.chs_cost,
           CAST(o.patients_above + ROW_NUMBER() OVER (
               PARTITION BY l.fin_year, l.cost_bucket ORDER BY l.total_cost DESC, l.patient_id
           ) AS BIGINT) AS cost_rank,
           CAST(o.year_patients AS BIGINT) AS year_patients
    FROM linked AS l
    JOIN bucket_offsets AS o ON o.fin_year = l.fin_year AND o.cost_bucket = l.cost_bucket
),
banded AS (
    SELECT *, CAST(ceil(100.0 * cost_rank / NULLIF(year_patients, 0)) AS INTEGER) AS band
    FROM ranked
),
bands AS (
    SELECT fin_year, band, max(year_patients) AS year_patients,
           count(*) AS patients,
           sum(total_cost) AS total_cost,
           sum(CAST(age AS DOUBLE)) AS age_sum,
           sum(CASE WHEN age IS NOT NULL THEN 1 ELSE 0 END) AS age_known,
           sum(CASE WHEN age >= 75 THEN 1 ELSE 0 END) AS aged_75_plus,
           sum(CASE WHEN imd_decile <= 2 THEN 1 ELSE 0 END) AS most_deprived,
           sum(CASE WHEN imd_decile IS NOT NULL THEN 1 ELSE 0 END) AS imd_known,
           sum(CAST(conditions AS DOUBLE)) AS conditions,
           sum(CASE WHEN conditions >= 2 THEN 1 ELSE 0 END) AS two_plus_conditions,
           sum(CASE WHEN apc_records > 0 THEN 1 ELSE 0 END) AS admitted,
           sum(CASE WHEN ec_records > 0 THEN 1 ELSE 0 END) AS emergency_care,
           sum(CASE WHEN mh_records > 0 THEN 1 ELSE 0 END) AS mental_health,
           sum(CASE WHEN chs_records > 0 THEN 1 ELSE 0 END) AS community,
           sum(CASE WHEN providers_seen >= 2 THEN 1 ELSE 0 END) AS two_plus_providers,
           sum(apc_cost) AS apc_cost,
           sum(op_cost) AS op_cost,
           sum(ec_cost) AS ec_cost,
           sum(cc_cost) AS cc_cost,
           sum(mh_cost) AS mh_cost,
           sum(chs_cost) AS chs_cost
    FROM banded
    GROUP BY fin_year, band
),
year_cost AS (
    SELECT fin_year, sum(total_cost) AS total_cost
    FROM bands
    GROUP BY fin_year
),
cohorts AS (
    SELECT t.fin_year, t.band AS top_percent, max(t.patients) AS band_patients, max(t.year_patients) AS all_patients,
           sum(b.patients) AS patients,
           sum(b.total_cost) AS cohort_cost,
           sum(b.age_sum) AS age_sum,
           sum(b.age_known) AS age_known,
           sum(b.aged_75_plus) AS aged_75_plus,
           sum(b.most_deprived) AS most_deprived,
           sum(b.imd_known) AS imd_known,
           sum(b.conditions) AS conditions,
           sum(b.two_plus_conditions) AS two_plus_conditions,
           sum(b.admitted) AS admitted,
           sum(b.emergency_care) AS emergency_care,
           sum(b.mental_health) AS mental_health,
           sum(b.community) AS community,
           sum(b.two_plus_providers) AS two_plus_providers,
           sum(b.apc_cost) AS apc_cost,
           sum(b.op_cost) AS op_cost,
           sum(b.ec_cost) AS ec_cost,
           sum(b.cc_cost) AS cc_cost,
           sum(b.mh_cost) AS mh_cost,
           sum(b.chs_cost) AS chs_cost
    FROM bands AS t
    JOIN bands AS b ON b.fin_year = t.fin_year AND b.band <= t.band
    GROUP BY t.fin_year, t.band
)
SELECT c.fin_year, c.top_percent,
       CASE c.top_percent WHEN 1 THEN 'top 1%' WHEN 5 THEN 'top 5%' WHEN 20 THEN 'top 20%'
            WHEN 100 THEN 'all patients' ELSE '' END AS headline,
       c.band_patients, c.patients, c.all_patients,
       CAST(c.patients AS DOUBLE) / NULLIF(c.all_patients, 0) AS share_of_patients,
       c.cohort_cost,
       CASE WHEN y.total_cost <> 0 THEN CAST(c.cohort_cost AS DOUBLE) / NULLIF(CAST(y.total_cost AS DOUBLE), 0) END
           AS share_of_cost,
       CAST(c.cohort_cost AS DOUBLE) / NULLIF(c.patients, 0) AS cost_per_patient,
       CASE WHEN c.age_known > 0 THEN c.age_sum / NULLIF(c.age_known, 0) END AS mean_age,
       CASE WHEN c.age_known > 0 THEN CAST(c.aged_75_plus AS DOUBLE) / NULLIF(c.age_known, 0) END AS share_aged_75_plus,
       CASE WHEN c.imd_known > 0 THEN CAST(c.most_deprived AS DOUBLE) / NULLIF(c.imd_known, 0) END AS share_most_deprived,
       c.conditions / NULLIF(c.patients, 0) AS mean_conditions,
       CAST(c.two_plus_conditions AS DOUBLE) / NULLIF(c.patients, 0) AS share_two_plus_conditions,
       CAST(c.admitted AS DOUBLE) / NULLIF(c.patients, 0) AS share_admitted,
       CAST(c.emergency_care AS DOUBLE) / NULLIF(c.patients, 0) AS share_emergency_care,
       CAST(c.mental_health AS DOUBLE) / NULLIF(c.patients, 0) AS share_mental_health,
       CAST(c.community AS DOUBLE) / NULLIF(c.patients, 0) AS share_community,
       CAST(c.two_plus_providers AS DOUBLE) / NULLIF(c.patients, 0) AS share_two_plus_providers,
       CASE WHEN c.cohort_cost <> 0 THEN CAST(c.apc_cost AS DOUBLE) / NULLIF(CAST(c.cohort_cost AS DOUBLE), 0) END
           AS apc_share_of_cost,
       CASE WHEN c.cohort_cost <> 0 THEN CAST(c.op_cost AS DOUBLE) / NULLIF(CAST(c.cohort_cost AS DOUBLE), 0) END
           AS op_share_of_cost,
       CASE WHEN c.cohort_cost <> 0 THEN CAST(c.ec_cost AS DOUBLE) / NULLIF(CAST(c.cohort_cost AS DOUBLE), 0) END
           AS ec_share_of_cost,
       CASE WHEN c.cohort_cost <> 0 THEN CAST(c.cc_cost AS DOUBLE) / NULLIF(CAST(c.cohort_cost AS DOUBLE), 0) END
           AS cc_share_of_cost,
       CASE WHEN c.cohort_cost <> 0 THEN CAST(c.mh_cost AS DOUBLE) / NULLIF(CAST(c.cohort_cost AS DOUBLE), 0) END
           AS mh_share_of_cost,
       CASE WHEN c.cohort_cost <> 0 THEN CAST(c.chs_cost AS DOUBLE) / NULLIF(CAST(c.cohort_cost AS DOUBLE), 0) END
           AS chs_share_of_cost,
       s.refresh_id
FROM cohorts AS c
JOIN year_cost AS y ON y.fin_year = c.fin_year
CROSS JOIN results.refresh_parameters AS s
