-- patient_conditions: which long-term conditions each patient has, by the rule in [[long_term_conditions]].
-- Grain: one row per financial year, patient pseudonym and long-term condition.
-- Inputs: patient_events, ref_condition_code
-- Published: no
-- About: Internal: patient-level, held in memory for the refresh only. The rule: a patient has a condition in a
--   year when any of their records in that year or an earlier one held in the store, at any provider, carries a
--   primary diagnosis (ICD-10) or a service code that starts with one of the condition's codes. Like a register,
--   once recorded a condition stays. Only admitted care carries a diagnosis, so conditions managed wholly in primary
--   care are missed unless a listed service saw the patient: prevalence here is a floor, not the true prevalence.
-- Columns:
--   fin_year [key] financial year
--   patient_id [key] patient pseudonym
--   condition [key] long-term condition name from the config
--   condition_label [key] its label
WITH event_codes AS (
    -- Each patient's diagnoses and service codes with the first year seen, in one pass over patient_events: every
    -- event is read once per field and only that field's code kept.
    SELECT patient_id, field, code, min(fin_year) AS first_year
    FROM (
        SELECT e.patient_id, e.fin_year, f.field,
               CASE f.field WHEN 'diagnosis' THEN e.primary_diagnosis ELSE e.service_code END AS code
        FROM patient_events AS e
        CROSS JOIN (SELECT 'diagnosis' AS field UNION ALL SELECT 'service' AS field) AS f
        WHERE e.patient_id IS NOT NULL
    ) AS coded
    WHERE code IS NOT NULL
    GROUP BY patient_id, field, code
),
prefix_lengths AS (
    SELECT DISTINCT field, length(code_prefix) AS prefix_length
    FROM ref_condition_code
),
recorded AS (
    SELECT e.patient_id, c.condition, c.condition_label, min(e.first_year) AS first_year
    FROM event_codes AS e
    JOIN prefix_lengths AS l ON l.field = e.field
    JOIN ref_condition_code AS c
        ON c.field = e.field AND c.code_prefix = substr(e.code, 1, l.prefix_length)
    GROUP BY e.patient_id, c.condition, c.condition_label
),
patient_years AS (
    SELECT DISTINCT fin_year, patient_id
    FROM patient_events
    WHERE patient_id IN (SELECT patient_id FROM recorded)
)
SELECT y.fin_year, y.patient_id, r.condition, r.condition_label
FROM patient_years AS y
JOIN recorded AS r ON r.patient_id = y.patient_id AND r.first_year <= y.fin_year
