-- dim_hrg: the HRGs and currencies found in the data, with their chapter and national description.
-- Grain: one row per HRG or currency code (blank where records had none).
-- Inputs: event_costs, ref_national_schedule
-- Published: yes
-- About: A dimension, not a measure: an HRG slicer filters every table through it. The description is the one the
--   national cost schedule gives the code (the first in code order where departments differ), blank when the
--   schedule does not list it.
-- Columns:
--   hrg [key] HRG or currency; blank where none was given
--   hrg_chapter [key] first character of the HRG (the HRG chapter, e.g. H for the musculoskeletal system)
--   hrg_description [key] the national schedule's description of the code
--   refresh_id [shown] the refresh that wrote the row
WITH codes AS (
    SELECT hrg, min(hrg_chapter) AS hrg_chapter, max(refresh_id) AS refresh_id
    FROM event_costs
    GROUP BY hrg
),
descriptions AS (
    SELECT currency, min(trim(description)) AS hrg_description
    FROM ref_national_schedule
    GROUP BY currency
)
SELECT c.hrg, c.hrg_chapter, coalesce(d.hrg_description, '') AS hrg_description, c.refresh_id
FROM codes AS c
LEFT JOIN descriptions AS d ON d.currency = c.hrg
