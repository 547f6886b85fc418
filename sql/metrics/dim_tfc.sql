-- dim_tfc: the treatment function codes found in the data, each with its name, for a report's TFC slicer.
-- Grain: one row per treatment function code (blank for settings without one).
-- Inputs: event_costs, ref_tfc
-- Published: yes
-- About: A dimension, not a measure: a TFC slicer filters the tables that have a TFC (unit costs, cost drivers and
--   length of stay) through it. The name is the NHS Data Dictionary's (engine/reference_data/treatment_functions.csv).
--   A code that list does not hold is named "Treatment function <code> (not in the reference list)", and its records
--   load with a warning (check tfc_not_in_reference_list), so it is counted in the data quality report.
-- Columns:
--   tfc [key] treatment function code; blank where the setting has none
--   tfc_name [key] the treatment function's name, e.g. Trauma and Orthopaedic Service; No treatment function
--     recorded for the blank code
--   tfc_label [key] the code and its name together, for slicers and lists, e.g. 110 Trauma and Orthopaedic Service
--   refresh_id [shown] the refresh that wrote the row
WITH codes AS (
    SELECT tfc, max(refresh_id) AS refresh_id
    FROM event_costs
    GROUP BY tfc
),
named AS (
    SELECT c.tfc,
           CASE WHEN c.tfc = '' THEN 'No treatment function recorded'
                ELSE coalesce(r.tfc_name, 'Treatment function ' || c.tfc || ' (not in the reference list)')
                END AS tfc_name,
           c.refresh_id
    FROM codes AS c
    LEFT JOIN ref_tfc AS r ON r.tfc = c.tfc
)
SELECT tfc,
       tfc_name,
       CASE WHEN tfc = '' THEN tfc_name ELSE tfc || ' ' || tfc_name END AS tfc_label,
       refresh_id
FROM named
