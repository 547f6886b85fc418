-- spell_trim_points: the length of stay beyond which a spell counts as unusually long, per HRG.
-- Grain: one row per financial year, admitted care POD and spell HRG.
-- Inputs: spells, ref_pod, ref_los_trim_point
-- Published: no
-- About: Internal: the tariff's definition of a trim point, upper quartile + 1.5 x interquartile range of the
--   spells' lengths of stay, rounded to whole days (halves up), from the ICS's own spells of the HRG, POD and year;
--   a national trim point for the HRG and the POD's admission type (elective or non-elective) wins where the config
--   supplies one.
-- Columns:
--   fin_year [key] financial year
--   pod [key] EL, NEL, NES, DC or RP
--   hrg [key] spell HRG
--   spells [count] the ICS's spells the quartiles come from
--   lower_quartile [from spells] of the length of stay, days
--   upper_quartile [from spells] of the length of stay, days
--   trim_point [from spells] the trim point used, days
--   trim_point_source [key] national or ics
WITH spell_positions AS (
    -- Spells numbered by length of stay within each HRG, POD and year, for the quartiles of the trim point.
    SELECT fin_year, pod, hrg, CAST(los AS DOUBLE) AS los,
           ROW_NUMBER() OVER (PARTITION BY fin_year, pod, hrg ORDER BY los) AS position,
           COUNT(*) OVER (PARTITION BY fin_year, pod, hrg) AS spells
    FROM spells
    WHERE los IS NOT NULL
),
spell_quartiles AS (
    -- PERCENTILE_CONT by hand (it ports to every engine): quartile p lies at position 1 + (spells - 1) x p, between
    -- the spells either side of it in proportion.
    SELECT fin_year, pod, hrg, spells,
           max(CASE WHEN position = 1 + FLOOR((spells - 1) * 0.25) THEN los END)
               + ((spells - 1) * 0.25 - FLOOR((spells - 1) * 0.25))
               * (coalesce(max(CASE WHEN position = 2 + FLOOR((spells - 1) * 0.25) THEN los END),
                           max(CASE WHEN position = 1 + FLOOR((spells - 1) * 0.25) THEN los END))
                  - max(CASE WHEN position = 1 + FLOOR((spells - 1) * 0.25) THEN los END)) AS lower_quartile,
           max(CASE WHEN position = 1 + FLOOR((spells - 1) * 0.75) THEN los END)
               + ((spells - 1) * 0.75 - FLOOR((spells - 1) * 0.75))
               * (coalesce(max(CASE WHEN position = 2 + FLOOR((spells - 1) * 0.75) THEN los END),
                           max(CASE WHEN position = 1 + FLOOR((spells - 1) * 0.75) THEN los END))
                  - max(CASE WHEN position = 1 + FLOOR((spells - 1) * 0.75) THEN los END)) AS upper_quartile
    FROM spell_positions
    GROUP BY fin_year, pod, hrg, spells
)
SELECT q.fin_year, q.pod, q.hrg, q.spells, q.lower_quartile, q.upper_quartile,
       coalesce(n.trim_point, FLOOR(q.upper_quartile + 1.5 * (q.upper_quartile - q.lower_quartile) + 0.5))
           AS trim_point,
       CASE WHEN n.trim_point IS NOT NULL THEN 'national' ELSE 'ics' END AS trim_point_source
FROM spell_quartiles AS q
JOIN ref_pod AS p ON p.setting = 'apc' AND p.pod = q.pod
LEFT JOIN ref_los_trim_point AS n ON n.hrg = q.hrg AND n.admission_type = p.admission_type
