-- resident_activity: activity, patients and cost by where patients live, their GP practice and age band.
-- Grain: one row per financial year, setting (or all), LSOA, GP practice and age band that has activity or cost.
-- Inputs: patient_cost
-- Published: no
-- About: Internal: the small-area building block of the GP practice, deprivation and population tables (held in
--   memory for the refresh only). Each patient is counted once per setting they used, at their residence and
--   practice for the year (patient_cost), so patients add up across areas within a setting; records without a
--   pseudonym add activity and cost but no patients. Setting `all` counts each patient once whatever they used.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh, chs, or all
--   lsoa [key] LSOA of residence; NULL where unknown
--   district [key] local authority district of the LSOA (IMD 2019)
--   imd_decile [key] IMD 2019 decile of the LSOA, 1 = most deprived 10%
--   gp_practice [key] registered GP practice; NULL where unknown
--   age_band [key] 0-15, 16-39, 40-59, 60-74, 75-84, 85+ or unknown
--   patients [count] different patients
--   records [count] activity records
--   total_cost [shown] cost, pounds (exact)
SELECT fin_year, 'apc' AS setting, lsoa, district, imd_decile, gp_practice, age_band,
       sum(CASE WHEN apc_records > 0 THEN patients ELSE 0 END) AS patients,
       sum(apc_records) AS records,
       sum(apc_cost) AS total_cost
FROM patient_cost
GROUP BY fin_year, lsoa, district, imd_decile, gp_practice, age_band
HAVING sum(apc_records) > 0 OR sum(apc_cost) <> 0
UNION ALL
SELECT fin_year, 'op' AS setting, lsoa, district, imd_decile, gp_practice, age_band,
       sum(CASE WHEN op_records > 0 THEN patients ELSE 0 END) AS patients,
       sum(op_records) AS records,
       sum(op_cost) AS total_cost
FROM patient_cost
GROUP BY fin_year, lsoa, district, imd_decile, gp_practice, age_band
HAVING sum(op_records) > 0 OR sum(op_cost) <> 0
UNION ALL
SELECT fin_year, 'ec' AS setting, lsoa, district, imd_decile, gp_practice, age_band,
       sum(CASE WHEN ec_records > 0 THEN patients ELSE 0 END) AS patients,
       sum(ec_records) AS records,
       sum(ec_cost) AS total_cost
FROM patient_cost
GROUP BY fin_year, lsoa, district, imd_decile, gp_practice, age_band
HAVING sum(ec_records) > 0 OR sum(ec_cost) <> 0
UNION ALL
SELECT fin_year, 'cc' AS setting, lsoa, district, imd_decile, gp_practice, age_band,
       sum(CASE WHEN cc_records > 0 THEN patients ELSE 0 END) AS patients,
       sum(cc_records) AS records,
       sum(cc_cost) AS total_cost
FROM patient_cost
GROUP BY fin_year, lsoa, district, imd_decile, gp_practice, age_band
HAVING sum(cc_records) > 0 OR sum(cc_cost) <> 0
UNION ALL
SELECT fin_year, 'mh' AS setting, lsoa, district, imd_decile, gp_practice, age_band,
       sum(CASE WHEN mh_records > 0 THEN patients ELSE 0 END) AS patients,
       sum(mh_records) AS records,
       sum(mh_cost) AS total_cost
FROM patient_cost
GROUP BY fin_year, lsoa, district, imd_decile, gp_practice, age_band
HAVING sum(mh_records) > 0 OR sum(mh_cost) <> 0
UNION ALL
SELECT fin_year, 'chs' AS setting, lsoa, district, imd_decile, gp_practice, age_band,
       sum(CASE WHEN chs_records > 0 THEN patients ELSE 0 END) AS patients,
       sum(chs_records) AS records,
       sum(chs_cost) AS total_cost
FROM patient_cost
GROUP BY fin_year, lsoa, district, imd_decile, gp_practice, age_band
HAVING sum(chs_records) > 0 OR sum(chs_cost) <> 0
UNION ALL
SELECT fin_year, 'all' AS setting, lsoa, district, imd_decile, gp_practice, age_band,
       sum(patients) AS patients,
       sum(records) AS records,
       sum(total_cost) AS total_cost
FROM patient_cost
GROUP BY fin_year, lsoa, district, imd_decile, gp_practice, age_band
