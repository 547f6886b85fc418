-- gp_practice_cost: cost and activity of each GP practice's patients across every provider, against the ICS.
-- Grain: one row per financial year and GP practice (UNKNOWN for records without one).
-- Inputs: resident_activity, patient_setting_cost, ref_gp_list_size, results.refresh_parameters
-- Published: yes
-- About: A patient counts at the practice of their latest record with one. Cost per registered patient divides by
--   the practice's list size where [population] gp_list_sizes gives one (so it counts the practice's patients who
--   used no care too); cost per patient divides by the patients seen. Rates are crude: a practice with older
--   patients will cost more. Rows add up to every pound loaded. The district is where most of the practice's
--   patients live. A practice whose cost one or two of its patients make up most of (a small practice with one very
--   costly patient) is hidden whole, by the dominance rule. Its cost in each setting is checked on its own too: a
--   setting with few records, or whose cost one or two patients make up most of (one long critical care stay), is
--   blank with its records, and so is at least one more setting of the row (the cheapest that leaves each blank one
--   uncertain by the protection percentage), so the blank cost is not the total less the settings shown. The ICS's
--   figures (and ratio_to_ics) are blank on every row where one or two patients make up most of the cost of every
--   known practice's patients, or of those of the practices with a list size.
-- Columns:
--   fin_year [key] financial year
--   gp_practice [key] GP practice code; UNKNOWN for records without one
--   district [key] the district most of the practice's patients live in
--   registered_patients [shown] list size from [population] gp_list_sizes; blank when not given
--   patients [count] different patients who used care
--   activity [count] activity records
--   total_cost [total from activity] cost, pounds
--   apc_activity [count] admitted care episodes
--   apc_cost [total from apc_activity] admitted care cost, pounds
--   op_activity [count] outpatient attendances
--   op_cost [total from op_activity] outpatient cost, pounds
--   ec_activity [count] emergency care attendances
--   ec_cost [total from ec_activity] emergency care cost, pounds
--   cc_activity [count] critical care periods
--   cc_cost [total from cc_activity] critical care cost, pounds
--   mh_activity [count] mental health contacts and bed day records
--   mh_cost [total from mh_activity] mental health cost, pounds
--   chs_activity [count] community health service contacts
--   chs_cost [total from chs_activity] community health service cost, pounds
--   cost_per_patient [from patients] total_cost / patients, pounds
--   cost_per_registered_patient [total from activity] total_cost / registered_patients, pounds
--   ics_patients [count] patients of every known practice
--   ics_cost_per_patient [from ics_patients] the ICS's cost per patient, pounds
--   ics_cost_per_registered_patient [total from ics_patients] cost per registered patient over the practices with a list
--     size, pounds
--   ratio_to_ics [from activity vs ics_cost_per_patient] cost_per_registered_patient / the ICS's (cost per patient
--     where no list size); hidden with the ICS's figures, which it would give back
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of activity] the practice's cost by size (each patient's year made positive; a
--     group of records without a pseudonym in patient_cost counts as one contributor), pounds; never published
--   dominance_largest [dominance largest of activity] its costliest patient's cost, pounds; never published
--   dominance_second [dominance second of activity] its second costliest patient's, pounds; never published
--   dominance_contributors [dominance contributors of activity] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   patients_dominance_cost [dominance total of patients] the same cost, for the cost per patient (built on
--     patients), pounds; never published
--   patients_dominance_largest [dominance largest of patients] the same costliest patient's, pounds; never published
--   patients_dominance_second [dominance second of patients] the same second costliest, pounds; never published
--   patients_dominance_contributors [dominance contributors of patients] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
--   apc_dominance_cost [dominance total of apc_activity] the practice's admitted care cost by size (each
--     patient's made positive), pounds; never published
--   apc_dominance_largest [dominance largest of apc_activity] its costliest patient's there, pounds; never published
--   apc_dominance_second [dominance second of apc_activity] the second costliest's, pounds; never published
--   apc_dominance_contributors [dominance contributors of apc_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
--   op_dominance_cost [dominance total of op_activity] the practice's outpatient cost by size (each
--     patient's made positive), pounds; never published
--   op_dominance_largest [dominance largest of op_activity] its costliest patient's there, pounds; never published
--   op_dominance_second [dominance second of op_activity] the second costliest's, pounds; never published
--   op_dominance_contributors [dominance contributors of op_activity] how many contributors (patients) of non-zero cost
--     it comes from; read by the threshold rule, never published
--   ec_dominance_cost [dominance total of ec_activity] the practice's emergency care cost by size (each
--     patient's made positive), pounds; never published
--   ec_dominance_largest [dominance largest of ec_activity] its costliest patient's there, pounds; never published
--   ec_dominance_second [dominance second of ec_activity] the second costliest's, pounds; never published
--   ec_dominance_contributors [dominance contributors of ec_activity] how many contributors (patients) of non-zero cost
--     it comes from; read by the threshold rule, never published
--   cc_dominance_cost [dominance total of cc_activity] the practice's critical care cost by size (each
--     patient's made positive), pounds; never published
--   cc_dominance_largest [dominance largest of cc_activity] its costliest patient's there, pounds; never published
--   cc_dominance_second [dominance second of cc_activity] the second costliest's, pounds; never published
--   cc_dominance_contributors [dominance contributors of cc_activity] how many contributors (patients) of non-zero cost
--     it comes from; read by the threshold rule, never published
--   mh_dominance_cost [dominance total of mh_activity] the practice's mental health cost by size (each
--     patient's made positive), pounds; never published
--   mh_dominance_largest [dominance largest of mh_activity] its costliest patient's there, pounds; never published
--   mh_dominance_second [dominance second of mh_activity] the second costliest's, pounds; never published
--   mh_dominance_contributors [dominance contributors of mh_activity] how many contributors (patients) of non-zero cost
--     it comes from; read by the threshold rule, never published
--   chs_dominance_cost [dominance total of chs_activity] the practice's community health service cost by size (each
--     patient's made positive), pounds; never published
--   chs_dominance_largest [dominance largest of chs_activity] its costliest patient's there, pounds; never published
--   chs_dominance_second [dominance second of chs_activity] the second costliest's, pounds; never published
--   chs_dominance_contributors [dominance contributors of chs_activity] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_patients for per_patient] the cost of every known practice's patients
--     by size (each patient's year made positive), for the ICS's cost per patient, pounds; never published
--   ics_dominance_largest [dominance largest of ics_patients for per_patient] their costliest patient's, pounds;
--     never published
--   ics_dominance_second [dominance second of ics_patients for per_patient] their second costliest's, pounds; never
--     published
--   ics_dominance_contributors [dominance contributors of ics_patients for per_patient] how many contributors
--     (patients) of non-zero cost it comes from; read by the threshold rule, never published
--   ics_listed_dominance_cost [dominance total of ics_patients for per_registered_patient] the same over the
--     practices with a list size, for the ICS's cost per registered patient, pounds; never published
--   ics_listed_dominance_largest [dominance largest of ics_patients for per_registered_patient] their costliest
--     patient's, pounds; never published
--   ics_listed_dominance_second [dominance second of ics_patients for per_registered_patient] their second
--     costliest's, pounds; never published
--   ics_listed_dominance_contributors [dominance contributors of ics_patients for per_registered_patient] how many
--     contributors (patients) of non-zero cost it comes from; read by the threshold rule, never published
WITH practice_totals AS (
    SELECT fin_year, coalesce(gp_practice, 'UNKNOWN') AS gp_practice,
           sum(CASE WHEN setting = 'all' THEN patients ELSE 0 END) AS patients,
           sum(CASE WHEN setting = 'all' THEN records ELSE 0 END) AS activity,
           sum(CASE WHEN setting = 'all' THEN total_cost ELSE 0 END) AS total_cost,
           sum(CASE WHEN setting = 'apc' THEN records ELSE 0 END) AS apc_activity,
           sum(CASE WHEN setting = 'op' THEN records ELSE 0 END) AS op_activity,
           sum(CASE WHEN setting = 'ec' THEN records ELSE 0 END) AS ec_activity,
           sum(CASE WHEN setting = 'cc' THEN records ELSE 0 END) AS cc_activity,
           sum(CASE WHEN setting = 'mh' THEN records ELSE 0 END) AS mh_activity,
           sum(CASE WHEN setting = 'chs' THEN records ELSE 0 END) AS chs_activity,
           sum(CASE WHEN setting = 'apc' THEN total_cost ELSE 0 END) AS apc_cost,
           sum(CASE WHEN setting = 'op' THEN total_cost ELSE 0 END) AS op_cost,
           sum(CASE WHEN setting = 'ec' THEN total_cost ELSE 0 END) AS ec_cost,
           sum(CASE WHEN setting = 'cc' THEN total_cost ELSE 0 END) AS cc_cost,
           sum(CASE WHEN setting = 'mh' THEN total_cost ELSE 0 END) AS mh_cost,
           sum(CASE WHEN setting = 'chs' THEN total_cost ELSE 0 END) AS chs_cost
    FROM resident_activity
    GROUP BY fin_year, coalesce(gp_practice, 'UNKNOWN')
),
practice_districts AS (
    SELECT fin_year, gp_practice, district,
           ROW_NUMBER() OVER (PARTITION BY fin_year, gp_practice ORDER BY sum(patients) DESC, district) AS position
    FROM resident_activity
    WHERE setting = 'all' AND gp_practice IS NOT NULL AND district IS NOT NULL
    GROUP BY fin_year, gp_practice, district
),
with_lists AS (
    SELECT t.*, l.registered_patients
    FROM practice_totals AS t
    LEFT JOIN ref_gp_list_size AS l ON l.gp_practice = t.gp_practice
),
practice_patients AS (
    -- Each patient's year (patient_setting_cost: the contributors of the dominance rule) by size, ranked within its
    -- practice and setting (level 0), within every known practice's patients over all settings (level 1, for the
    -- ICS's figures) and within those of the practices with a list size (level 2, for the ICS's per registered one)
    SELECT 0 AS level, fin_year, coalesce(gp_practice, 'UNKNOWN') AS gp_practice, setting, cost,
           ROW_NUMBER() OVER (PARTITION BY fin_year, coalesce(gp_practice, 'UNKNOWN'), setting ORDER BY cost DESC)
               AS position
    FROM patient_setting_cost
    UNION ALL
    SELECT 1 AS level, fin_year, 'ICS' AS gp_practice, setting, cost,
           ROW_NUMBER() OVER (PARTITION BY fin_year ORDER BY cost DESC) AS position
    FROM patient_setting_cost
    WHERE setting = 'all' AND coalesce(gp_practice, 'UNKNOWN') <> 'UNKNOWN'
    UNION ALL
    SELECT 2 AS level, p.fin_year, 'ICS' AS gp_practice, p.setting, p.cost,
           ROW_NUMBER() OVER (PARTITION BY p.fin_year ORDER BY p.cost DESC) AS position
    FROM patient_setting_cost AS p
    JOIN ref_gp_list_size AS l ON l.gp_practice = p.gp_practice
    WHERE p.setting = 'all' AND p.gp_practice <> 'UNKNOWN' AND l.registered_patients > 0
),
practice_dominance AS (
    SELECT level, fin_year, gp_practice, setting, sum(cost) AS cost,
           max(CASE WHEN position = 1 THEN cost END) AS largest,
           coalesce(max(CASE WHEN position = 2 THEN cost END), 0) AS second,
           CAST(sum(CASE WHEN cost <> 0 THEN 1 ELSE 0 END) AS BIGINT) AS contributors
    FROM practice_patients
    GROUP BY level, fin_year, gp_practice, setting
),
ics AS (
    SELECT fin_year,
           sum(patients) AS patients,
           sum(total_cost) AS total_cost,
           sum(CASE WHEN registered_patients > 0 THEN total_cost ELSE 0 END) AS listed_cost,
           sum(CASE WHEN registered_patients > 0 THEN registered_patients ELSE 0 END) AS registered_patients
    FROM with_lists
    WHERE gp_practice <> 'UNKNOWN'
    GROUP BY fin_year
)
SELECT w.fin_year, w.gp_practice, d.district, w.registered_patients, w.patients, w.activity, w.total_cost,
       w.apc_activity, w.apc_cost, w.op_activity, w.op_cost, w.ec_activity, w.ec_cost, w.cc_activity, w.cc_cost,
       w.mh_activity, w.mh_cost, w.chs_activity, w.chs_cost,
       CASE WHEN w.patients > 0 THEN CAST(w.total_cost AS DOUBLE) / NULLIF(w.patients, 0) END AS cost_per_patient,
       CASE WHEN w.registered_patients > 0 THEN CAST(w.total_cost AS DOUBLE) / NULLIF(w.registered_patients, 0) END
           AS cost_per_registered_patient,
       i.patients AS ics_patients,
       CASE WHEN i.patients > 0 THEN CAST(i.total_cost AS DOUBLE) / NULLIF(i.patients, 0) END AS ics_cost_per_patient,
       CASE WHEN i.registered_patients > 0 THEN CAST(i.listed_cost AS DOUBLE) / NULLIF(i.registered_patients, 0) END
           AS ics_cost_per_registered_patient,
       CASE WHEN w.registered_patients > 0 AND i.registered_patients > 0 AND i.listed_cost <> 0
            THEN (CAST(w.total_cost AS DOUBLE) / NULLIF(w.registered_patients, 0))
                 / NULLIF((CAST(i.listed_cost AS DOUBLE) / NULLIF(i.registered_patients, 0)), 0)
            WHEN w.patients > 0 AND i.patients > 0 AND i.total_cost <> 0
            THEN (CAST(w.total_cost AS DOUBLE) / NULLIF(w.patients, 0)) / NULLIF((CAST(i.total_cost AS DOUBLE) / NULLIF(i.patients, 0)), 0)
       END AS ratio_to_ics,
       s.refresh_id,
       dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors,
       dom.cost AS patients_dominance_cost, dom.largest AS patients_dominance_largest,
       dom.second AS patients_dominance_second, dom.contributors AS patients_dominance_contributors,
       apc_dom.cost AS apc_dominance_cost, apc_dom.largest AS apc_dominance_largest,
       apc_dom.second AS apc_dominance_second, apc_dom.contributors AS apc_dominance_contributors,
       op_dom.cost AS op_dominance_cost, op_dom.largest AS op_dominance_largest,
       op_dom.second AS op_dominance_second, op_dom.contributors AS op_dominance_contributors,
       ec_dom.cost AS ec_dominance_cost, ec_dom.largest AS ec_dominance_largest,
       ec_dom.second AS ec_dominance_second, ec_dom.contributors AS ec_dominance_contributors,
       cc_dom.cost AS cc_dominance_cost, cc_dom.largest AS cc_dominance_largest,
       cc_dom.second AS cc_dominance_second, cc_dom.contributors AS cc_dominance_contributors,
       mh_dom.cost AS mh_dominance_cost, mh_dom.largest AS mh_dominance_largest,
       mh_dom.second AS mh_dominance_second, mh_dom.contributors AS mh_dominance_contributors,
       chs_dom.cost AS chs_dominance_cost, chs_dom.largest AS chs_dominance_largest,
       chs_dom.second AS chs_dominance_second, chs_dom.contributors AS chs_dominance_contributors,
       ics_dom.cost AS ics_dominance_cost, ics_dom.largest AS ics_dominance_largest,
       ics_dom.second AS ics_dominance_second, ics_dom.contributors AS ics_dominance_contributors,
       listed_dom.cost AS ics_listed_dominance_cost, listed_dom.largest AS ics_listed_dominance_largest,
       listed_dom.second AS ics_listed_dominance_second, listed_dom.contributors AS ics_listed_dominance_contributors
FROM with_lists AS w
LEFT JOIN practice_districts AS d ON d.fin_year = w.fin_year AND d.gp_practice = w.gp_practice AND d.position = 1
LEFT JOIN ics AS i ON i.fin_year = w.fin_year
LEFT JOIN practice_dominance AS dom
    ON dom.level = 0 AND dom.fin_year = w.fin_year AND dom.gp_practice = w.gp_practice
   AND dom.setting = 'all'
LEFT JOIN practice_dominance AS apc_dom
    ON apc_dom.level = 0 AND apc_dom.fin_year = w.fin_year AND apc_dom.gp_practice = w.gp_practice
   AND apc_dom.setting = 'apc'
LEFT JOIN practice_dominance AS op_dom
    ON op_dom.level = 0 AND op_dom.fin_year = w.fin_year AND op_dom.gp_practice = w.gp_practice
   AND op_dom.setting = 'op'
LEFT JOIN practice_dominance AS ec_dom
    ON ec_dom.level = 0 AND ec_dom.fin_year = w.fin_year AND ec_dom.gp_practice = w.gp_practice
   AND ec_dom.setting = 'ec'
LEFT JOIN practice_dominance AS cc_dom
    ON cc_dom.level = 0 AND cc_dom.fin_year = w.fin_year AND cc_dom.gp_practice = w.gp_practice
   AND cc_dom.setting = 'cc'
LEFT JOIN practice_dominance AS mh_dom
    ON mh_dom.level = 0 AND mh_dom.fin_year = w.fin_year AND mh_dom.gp_practice = w.gp_practice
   AND mh_dom.setting = 'mh'
LEFT JOIN practice_dominance AS chs_dom
    ON chs_dom.level = 0 AND chs_dom.fin_year = w.fin_year AND chs_dom.gp_practice = w.gp_practice
   AND chs_dom.setting = 'chs'
LEFT JOIN practice_dominance AS ics_dom ON ics_dom.level = 1 AND ics_dom.fin_year = w.fin_year
LEFT JOIN practice_dominance AS listed_dom ON listed_dom.level = 2 AND listed_dom.fin_year = w.fin_year
CROSS JOIN results.refresh_parameters AS s
