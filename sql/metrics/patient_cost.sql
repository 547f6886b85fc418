-- patient_cost: each patient's year across the whole system: cost and activity by setting and provider type.
-- Grain: one row per financial year and patient pseudonym; records without a pseudonym are added up in rows of
--   their own (patient_id NULL, patients 0) by residence, GP practice, age band and sex, so every pound
--   loaded is in this table once.
-- Inputs: patient_events, patient_conditions, ref_lsoa
-- Published: no
-- About: Internal: patient-level, held in memory for the refresh only (never stored, published or exported); the
--   high-use, GP practice, deprivation and population tables are built from it. A patient's residence (LSOA, and
--   from it district and IMD decile) is the LSOA of their latest record with one (ties by code), their GP practice
--   likewise, their age the highest age recorded in the year. Provider type is the type of
--   the provider that delivered the care (an acute trust's community services count as acute).
-- Columns:
--   fin_year [key] financial year
--   patient_id [key] patient pseudonym; NULL for records without one
--   patients [count] 1 for a patient, 0 for records without a pseudonym
--   age [shown] age in years (highest recorded in the year)
--   age_band [key] 0-15, 16-39, 40-59, 60-74, 75-84, 85+ or unknown
--   sex [key] M, F or U
--   lsoa [key] LSOA of residence
--   district [key] local authority district of the LSOA (IMD 2019)
--   imd_decile [key] IMD 2019 decile of the LSOA, 1 = most deprived 10%
--   gp_practice [key] registered GP practice
--   conditions [shown] long-term conditions the patient has (patient_conditions)
--   records [count] activity records
--   total_cost [shown] cost, pounds (exact)
--   apc_records [count] admitted care episodes
--   apc_cost [shown] admitted care cost, pounds
--   op_records [count] outpatient attendances
--   op_cost [shown] outpatient cost, pounds
--   ec_records [count] emergency care attendances
--   ec_cost [shown] emergency care cost, pounds
--   cc_records [count] critical care periods
--   cc_cost [shown] critical care cost, pounds
--   mh_records [count] mental health contacts and bed day records
--   mh_cost [shown] mental health cost, pounds
--   chs_records [count] community health service contacts
--   chs_cost [shown] community health service cost, pounds
--   acute_provider_cost [shown] cost of care at acute trusts, pounds
--   mental_health_provider_cost [shown] cost of care at mental health trusts, pounds
--   community_provider_cost [shown] cost of care at community trusts, pounds
--   other_provider_cost [shown] cost of care at specialist and independent providers, pounds
--   providers_seen [shown] different providers that saw the patient in the year
--   settings_used [shown] different settings the patient used in the year
WITH per_provider AS (
    SELECT fin_year, patient_id, org_code, setting, provider_type,
           max(age) AS age,
           min(CASE WHEN sex IN ('M', 'F') THEN sex END) AS sex,
           sum(has_activity_record) AS records,
           sum(total_cost) AS total_cost
    FROM patient_events
    WHERE patient_id IS NOT NULL
    GROUP BY fin_year, patient_id, org_code, setting, provider_type
),
address_groups AS (
    -- One pass over patient_events for two things: each linked patient's addresses (with the latest date seen at
    -- each), and the cost of records with no patient by sex, LSOA, practice and age band. The unlinked_ columns are
    -- blank on linked records, so a linked patient's groups are their addresses; `patient_id IS NULL` tells them apart.
    SELECT fin_year, patient_id, lsoa, gp_practice, unlinked_sex, unlinked_age_band,
           max(start_date) AS latest,
           sum(has_activity_record) AS records,
           sum(total_cost) AS total_cost,
           sum(CASE WHEN setting = 'apc' THEN has_activity_record ELSE 0 END) AS apc_records,
           sum(CASE WHEN setting = 'apc' THEN total_cost ELSE 0 END) AS apc_cost,
           sum(CASE WHEN setting = 'op' THEN has_activity_record ELSE 0 END) AS op_records,
           sum(CASE WHEN setting = 'op' THEN total_cost ELSE 0 END) AS op_cost,
           sum(CASE WHEN setting = 'ec' THEN has_activity_record ELSE 0 END) AS ec_records,
           sum(CASE WHEN setting = 'ec' THEN total_cost ELSE 0 END) AS ec_cost,
           sum(CASE WHEN setting = 'cc' THEN has_activity_record ELSE 0 END) AS cc_records,
           sum(CASE WHEN setting = 'cc' THEN total_cost ELSE 0 END) AS cc_cost,
           sum(CASE WHEN setting = 'mh' THEN has_activity_record ELSE 0 END) AS mh_records,
           sum(CASE WHEN setting = 'mh' THEN total_cost ELSE 0 END) AS mh_cost,
           sum(CASE WHEN setting = 'chs' THEN has_activity_record ELSE 0 END) AS chs_records,
           sum(CASE WHEN setting = 'chs' THEN total_cost ELSE 0 END) AS chs_cost,
           sum(CASE WHEN provider_type = 'acute' THEN total_cost ELSE 0 END) AS acute_provider_cost,
           sum(CASE WHEN provider_type = 'mental_health' THEN total_cost ELSE 0 END) AS mental_health_provider_cost,
           sum(CASE WHEN provider_type = 'community' THEN total_cost ELSE 0 END) AS community_provider_cost,
           sum(CASE WHEN provider_type NOT IN ('acute', 'mental_health', 'community') THEN total_cost ELSE 0 END)
               AS other_provider_cost
    FROM (
        SELECT fin_year, patient_id, lsoa, gp_practice, setting, provider_type, has_activity_record, total_cost,
               start_date,
               CASE WHEN patient_id IS NULL THEN coalesce(sex, 'U') END AS unlinked_sex,
               CASE WHEN patient_id IS NOT NULL THEN NULL
                    WHEN age IS NULL THEN 'unknown' WHEN age < 16 THEN '0-15' WHEN age < 40 THEN '16-39'
                    WHEN age < 60 THEN '40-59' WHEN age < 75 THEN '60-74' WHEN age < 85 THEN '75-84'
                    ELSE '85+' END AS unlinked_age_band
        FROM patient_events
    ) AS e
    GROUP BY fin_year, patient_id, lsoa, gp_practice, unlinked_sex, unlinked_age_band
),
addresses AS (
    SELECT fin_year, patient_id, lsoa, gp_practice, latest
    FROM address_groups
    WHERE patient_id IS NOT NULL AND (lsoa IS NOT NULL OR gp_practice IS NOT NULL)
),
residence AS (
    SELECT fin_year, patient_id, lsoa,
           ROW_NUMBER() OVER (PARTITION BY fin_year, patient_id ORDER BY latest DESC, lsoa) AS position
    FROM addresses
    WHERE lsoa IS NOT NULL
),
practice AS (
    SELECT fin_year, patient_id, gp_practice,
           ROW_NUMBER() OVER (PARTITION BY fin_year, patient_id ORDER BY latest DESC, gp_practice) AS position
    FROM addresses
    WHERE gp_practice IS NOT NULL
),
condition_counts AS (
    SELECT fin_year, patient_id, count(*) AS conditions
    FROM patient_conditions
    GROUP BY fin_year, patient_id
),
patient_totals AS (
    SELECT fin_year, patient_id,
           1 AS patients,
           max(age) AS age,
           coalesce(min(sex), 'U') AS sex,
           sum(records) AS records,
           sum(total_cost) AS total_cost,
           sum(CASE WHEN setting = 'apc' THEN records ELSE 0 END) AS apc_records,
           sum(CASE WHEN setting = 'apc' THEN total_cost ELSE 0 END) AS apc_cost,
           sum(CASE WHEN setting = 'op' THEN records ELSE 0 END) AS op_records,
           sum(CASE WHEN setting = 'op' THEN total_cost ELSE 0 END) AS op_cost,
           sum(CASE WHEN setting = 'ec' THEN records ELSE 0 END) AS ec_records,
           sum(CASE WHEN setting = 'ec' THEN total_cost ELSE 0 END) AS ec_cost,
           sum(CASE WHEN setting = 'cc' THEN records ELSE 0 END) AS cc_records,
           sum(CASE WHEN setting = 'cc' THEN total_cost ELSE 0 END) AS cc_cost,
           sum(CASE WHEN setting = 'mh' THEN records ELSE 0 END) AS mh_records,
           sum(CASE WHEN setting = 'mh' THEN total_cost ELSE 0 END) AS mh_cost,
           sum(CASE WHEN setting = 'chs' THEN records ELSE 0 END) AS chs_records,
           sum(CASE WHEN setting = 'chs' THEN total_cost ELSE 0 END) AS chs_cost,
           sum(CASE WHEN provider_type = 'acute' THEN total_cost ELSE 0 END) AS acute_provider_cost,
           sum(CASE WHEN provider_type = 'mental_health' THEN total_cost ELSE 0 END) AS mental_health_provider_cost,
           sum(CASE WHEN provider_type = 'community' THEN total_cost ELSE 0 END) AS community_provider_cost,
           sum(CASE WHEN provider_type NOT IN ('acute', 'mental_health', 'community') THEN total_cost ELSE 0 END)
               AS other_provider_cost,
           count(DISTINCT org_code) AS providers_seen,
           count(DISTINCT setting) AS settings_used
    FROM per_provider
    GROUP BY fin_year, patient_id
),
patients AS (
    SELECT t.fin_year, t.patient_id, t.patients, t.age, t.sex, r.lsoa, g.gp_practice,
           coalesce(c.conditions, 0) AS conditions,
           t.records, t.total_cost, t.apc_records, t.apc_cost, t.op_records, t.op_cost, t.ec_records, t.ec_cost,
           t.cc_records, t.cc_cost, t.mh_records, t.mh_cost, t.chs_records, t.chs_cost, t.acute_provider_cost,
           t.mental_health_provider_cost, t.community_provider_cost, t.other_provider_cost, t.providers_seen,
           t.settings_used
    FROM patient_totals AS t
    LEFT JOIN residence AS r ON r.fin_year = t.fin_year AND r.patient_id = t.patient_id AND r.position = 1
    LEFT JOIN practice AS g ON g.fin_year = t.fin_year AND g.patient_id = t.patient_id AND g.position = 1
    LEFT JOIN condition_counts AS c ON c.fin_year = t.fin_year AND c.patient_id = t.patient_id
),
unlinked AS (
    SELECT fin_year, CAST(NULL AS VARCHAR) AS patient_id, 0 AS patients,
           CAST(NULL AS INTEGER) AS age,
           unlinked_sex AS sex, lsoa, gp_practice,
           0 AS conditions,
           records, total_cost, apc_records, apc_cost, op_records, op_cost, ec_records, ec_cost, cc_records, cc_cost,
           mh_records, mh_cost, chs_records, chs_cost, acute_provider_cost, mental_health_provider_cost,
           community_provider_cost, other_provider_cost,
           0 AS providers_seen,
           0 AS settings_used,
           unlinked_age_band AS age_band
    FROM address_groups
    WHERE patient_id IS NULL
),
everyone AS (
    SELECT fin_year, patient_id, patients, age,
           CASE WHEN age IS NULL THEN 'unknown' WHEN age < 16 THEN '0-15' WHEN age < 40 THEN '16-39'
                WHEN age < 60 THEN '40-59' WHEN age < 75 THEN '60-74' WHEN age < 85 THEN '75-84'
                ELSE '85+' END AS age_band,
           sex, lsoa, gp_practice, conditions, records, total_cost, apc_records, apc_cost, op_records, op_cost,
           ec_records, ec_cost, cc_records, cc_cost, mh_records, mh_cost, chs_records, chs_cost, acute_provider_cost,
           mental_health_provider_cost, community_provider_cost, other_provider_cost, providers_seen, settings_used
    FROM patients
    UNION ALL
    SELECT fin_year, patient_id, patients, age, age_band, sex, lsoa, gp_practice, conditions, records, total_cost,
           apc_records, apc_cost, op_records, op_cost, ec_records, ec_cost, cc_records, cc_cost, mh_records, mh_cost,
           chs_records, chs_cost, acute_provider_cost, mental_health_provider_cost, community_provider_cost,
           other_provider_cost, providers_seen, settings_used
    FROM unlinked
)
SELECT e.fin_year, e.patient_id, e.patients, e.age, e.age_band, e.sex, e.lsoa, l.district, l.imd_decile,
       e.gp_practice, e.conditions, e.records, e.total_cost, e.apc_records, e.apc_cost, e.op_records, e.op_cost,
       e.ec_records, e.ec_cost, e.cc_records, e.cc_cost, e.mh_records, e.mh_cost, e.chs_records, e.chs_cost,
       e.acute_provider_cost, e.mental_health_provider_cost, e.community_provider_cost, e.other_provider_cost,
       e.providers_seen, e.settings_used
FROM everyone AS e
LEFT JOIN ref_lsoa AS l ON l.lsoa = e.lsoa
