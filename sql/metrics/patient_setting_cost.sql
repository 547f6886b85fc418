-- patient_setting_cost: each patient's cost in each setting and over all, by size: the dominance rule's contributors.
-- Grain: one row per row of patient_cost (a patient's year, or a group of records without a pseudonym) and setting
--   (or all) in which it has non-zero cost.
-- Inputs: patient_cost
-- Published: no
-- About: Internal: patient-level, held in memory for the refresh only (never stored, published or exported). The
--   GP practice, deprivation and population tables read it for the dominance rule: a row's contributors are its
--   patients' years in the setting, a group of records without a pseudonym counting as one (which can only make
--   the rule stricter). Cost is by size: a credit counts as positive, as statistical agencies apply the rule, and a
--   patient whose cost in a setting nets to zero has no row there.
-- Columns:
--   fin_year [key] financial year
--   patient_id [key] patient pseudonym; NULL for a group of records without one
--   setting [key] apc, op, ec, cc, mh, chs, or all
--   lsoa [key] LSOA of residence (patient_cost); NULL where unknown
--   gp_practice [key] registered GP practice (patient_cost); NULL where unknown
--   cost [shown] the patient's cost in the setting made positive, pounds (exact)
WITH settings AS (
    SELECT p.fin_year, p.patient_id, s.setting, p.lsoa, p.gp_practice,
           abs(CASE s.setting WHEN 'all' THEN p.total_cost
                WHEN 'apc' THEN p.apc_cost
                WHEN 'op' THEN p.op_cost
                WHEN 'ec' THEN p.ec_cost
                WHEN 'cc' THEN p.cc_cost
                WHEN 'mh' THEN p.mh_cost
                WHEN 'chs' THEN p.chs_cost
               END) AS cost
    FROM patient_cost AS p
    CROSS JOIN (VALUES ('all'), ('apc'), ('op'), ('ec'), ('cc'), ('mh'), ('chs')) AS s (setting)
)
SELECT fin_year, patient_id, setting, lsoa, gp_practice, cost
FROM settings
WHERE cost <> 0
