-- dim_hrg: the HRGs and currencies found in the data, named, with their HRG4+ chapter and subchapter or currency group.
-- Grain: one row per HRG or currency code in the activity records, and a blank one (records and cost lines without).
-- Inputs: activity, ref_hrg_chapter, ref_hrg_subchapter, ref_currency_prefix, ref_national_schedule,
--   results.refresh_parameters
-- Published: yes
-- About: A dimension, not a measure: an HRG slicer filters every table through it. This is the one place that says
--   which chapter a code is in (event_costs and system_cost take hrg_chapter from here). A code is an HRG4+ HRG when
--   it has the HRG4+ shape (two letters, two digits, a letter, e.g. HT12A) and its first letter is an HRG4+ chapter;
--   its subchapter is its first two letters. Any other code is a currency outside HRG4+ (mental health MHCC and MHPS,
--   community N02AF, audiology, devices ...) and goes to the currency group of its code prefix
--   (ref_currency_prefix), never to the chapter its first letter happens to name: its chapter and subchapter are the
--   group (e.g. mental_health, Mental health currency). A code in no group is `other`; a blank one is `none`. The
--   description is the national cost schedule's (the first in code order where departments differ). Every code has
--   a name: a code the schedule does not list is described as not in the national schedule, and a subchapter missing
--   from the reference list is named after its chapter.
-- Columns:
--   hrg [key] HRG or currency; blank where none was given
--   hrg_description [key] the national schedule's description of the code, e.g. Very Major Hip Procedures for Trauma
--     with CC Score 12+; Not in the national schedule where it does not list the code; No HRG or currency recorded
--     for the blank code
--   hrg_label [key] the code and its description together, for slicers and lists, e.g. HT12A Very Major Hip ...
--   hrg_chapter [key] the HRG4+ chapter (one letter, e.g. H) or, for a currency outside HRG4+, its currency group
--     (mental_health, community, direct_access, drugs_devices, cancer_mdt, screening, ambulance, other; none where
--     blank)
--   hrg_chapter_name [key] name of the chapter or currency group, e.g. Musculoskeletal System, Mental health currency
--   hrg_subchapter [key] the HRG4+ subchapter (the first two letters, e.g. HT) or, for a currency outside HRG4+, its
--     currency group again
--   hrg_subchapter_name [key] name of the subchapter (e.g. Orthopaedic Trauma Procedures) or currency group
--   refresh_id [shown] the refresh that wrote the row
WITH codes AS (
    SELECT DISTINCT coalesce(hrg, '') AS hrg
    FROM activity
    UNION
    SELECT '' AS hrg
),
hrg4 AS (
    SELECT c.hrg, ch.hrg_chapter
    FROM codes AS c
    JOIN ref_hrg_chapter AS ch
        ON ch.chapter_kind = 'hrg4_chapter' AND ch.hrg_chapter = substr(c.hrg, 1, 1)
    WHERE length(c.hrg) = 5
      AND substr(c.hrg, 2, 1) BETWEEN 'A' AND 'Z'
      AND substr(c.hrg, 3, 1) BETWEEN '0' AND '9'
      AND substr(c.hrg, 4, 1) BETWEEN '0' AND '9'
      AND substr(c.hrg, 5, 1) BETWEEN 'A' AND 'Z'
),
currencies AS (
    SELECT c.hrg, p.hrg_chapter
    FROM codes AS c
    JOIN ref_currency_prefix AS p ON substr(c.hrg, 1, length(p.prefix)) = p.prefix
    WHERE c.hrg NOT IN (SELECT hrg FROM hrg4)
),
grouped AS (
    SELECT c.hrg,
           CASE WHEN c.hrg = '' THEN 'none'
                WHEN h.hrg IS NOT NULL THEN h.hrg_chapter
                ELSE coalesce(g.hrg_chapter, 'other') END AS hrg_chapter,
           CASE WHEN h.hrg IS NOT NULL THEN substr(c.hrg, 1, 2) END AS hrg4_subchapter
    FROM codes AS c
    LEFT JOIN hrg4 AS h ON h.hrg = c.hrg
    LEFT JOIN currencies AS g ON g.hrg = c.hrg
),
descriptions AS (
    SELECT currency, min(trim(description)) AS description
    FROM ref_national_schedule
    GROUP BY currency
),
named AS (
    SELECT g.hrg,
           CASE WHEN g.hrg = '' THEN ch.hrg_chapter_name
                ELSE coalesce(d.description, 'Not in the national schedule') END AS hrg_description,
           g.hrg_chapter,
           ch.hrg_chapter_name,
           coalesce(g.hrg4_subchapter, g.hrg_chapter) AS hrg_subchapter,
           CASE WHEN g.hrg4_subchapter IS NULL THEN ch.hrg_chapter_name
                ELSE coalesce(sc.hrg_subchapter_name,
                              ch.hrg_chapter_name || ' (subchapter ' || g.hrg4_subchapter
                              || ', not in the reference list)') END AS hrg_subchapter_name
    FROM grouped AS g
    LEFT JOIN ref_hrg_chapter AS ch ON ch.hrg_chapter = g.hrg_chapter
    LEFT JOIN ref_hrg_subchapter AS sc ON sc.hrg_subchapter = g.hrg4_subchapter
    LEFT JOIN descriptions AS d ON d.currency = g.hrg
)
SELECT n.hrg,
       n.hrg_description,
       CASE WHEN n.hrg = '' THEN n.hrg_description ELSE n.hrg || ' ' || n.hrg_description END AS hrg_label,
       n.hrg_chapter,
       n.hrg_chapter_name,
       n.hrg_subchapter,
       n.hrg_subchapter_name,
       s.refresh_id
FROM named AS n
CROSS JOIN results.refresh_parameters AS s
