-- service_records: each record of each service line ([[service_lines]] in the config), with what the service tables need.
-- Grain: one row per service line and activity record (a record may belong to several service lines).
-- Inputs: event_costs, activity, ref_service_line, ref_service_line_code, results.period_alignment,
--   results.refresh_parameters
-- Published: no
-- About: Internal: record-level, held in memory for the refresh only (never stored, published or exported). A record
--   belongs to a service line when its setting and POD are among the service line's and each code filter the
--   service line sets (hrg: the episode's HRG, tfc, diagnosis: the primary diagnosis) has a prefix the code starts
--   with. With [benchmarks] pool_periods = "common", only the months every provider loaded in the year are kept
--   (in_common_periods), so the service tables compare like periods; otherwise every month loaded.
-- Columns:
--   service_line [key] service line name from the config
--   fin_year [key] financial year
--   quarter [key] quarter of the financial year, 1 = April to June
--   setting [key] apc, op, ec, cc, mh or chs
--   org_code [key] provider ODS code
--   record_id [key] the provider's event id
--   pod [key] point of delivery
--   hrg [key] HRG or currency
--   spell_id [key] admitted care: the hospital spell
--   los [shown] admitted care: length of stay of the spell, days
--   patient_id [key] patient pseudonym; NULL where the record has none
--   age [shown] age in years at the event
--   sex [key] M, F or U
--   lsoa [key] LSOA of residence on the record
--   total_cost [shown] cost of the record, pounds
--   ward_cost [shown] ward care cost, pounds
--   theatre_cost [shown] theatre cost, pounds
--   ward_bed_days [shown] bed days on ward cost lines
--   theatre_minutes [shown] theatre (procedure) minutes
--   anaesthetic_minutes [shown] anaesthetic minutes
WITH candidates AS (
    SELECT l.service_line, l.code_fields, e.fin_year, e.period, e.quarter, e.setting, e.org_code, e.record_id, e.pod,
           e.tfc, e.hrg, e.spell_id, e.los, e.total_cost, e.ward_cost, e.theatre_cost, e.ward_bed_days,
           e.theatre_minutes, e.anaesthetic_minutes, a.patient_id, a.age, a.sex, a.lsoa, a.primary_diagnosis
    FROM event_costs AS e
    JOIN ref_service_line AS l ON l.setting = e.setting AND l.pod = e.pod
    LEFT JOIN activity AS a ON a.setting = e.setting AND a.org_code = e.org_code AND a.record_id = e.record_id
    WHERE e.has_activity_record = 1
),
prefix_lengths AS (
    SELECT DISTINCT field, length(code_prefix) AS prefix_length
    FROM ref_service_line_code
),
code_fields AS (
    -- The codes of a record a service line's filter can match.
    SELECT 'hrg' AS field
    UNION ALL
    SELECT 'tfc'
    UNION ALL
    SELECT 'diagnosis'
),
coded AS (
    -- candidates' first read: every record once per code field (the second is the final SELECT).
    SELECT c.service_line, c.setting, c.org_code, c.record_id, f.field,
           CASE f.field
               WHEN 'hrg' THEN c.hrg
               WHEN 'tfc' THEN c.tfc
               WHEN 'diagnosis' THEN c.primary_diagnosis
           END AS code
    FROM candidates AS c
    CROSS JOIN code_fields AS f
),
record_codes AS (
    SELECT service_line, setting, org_code, record_id, field, code
    FROM coded
    WHERE code IS NOT NULL
),
matched AS (
    -- How many of the service line's code filters each record meets (a filter is met by any of its prefixes).
    SELECT r.service_line, r.setting, r.org_code, r.record_id, count(DISTINCT r.field) AS fields_met
    FROM record_codes AS r
    JOIN prefix_lengths AS p ON p.field = r.field
    JOIN ref_service_line_code AS s
        ON s.service_line = r.service_line AND s.field = r.field AND s.code_prefix = substr(r.code, 1, p.prefix_length)
    GROUP BY r.service_line, r.setting, r.org_code, r.record_id
)
SELECT c.service_line, c.fin_year, c.quarter, c.setting, c.org_code, c.record_id, c.pod, c.hrg, c.spell_id, c.los,
       c.patient_id, c.age, c.sex, c.lsoa, c.total_cost, c.ward_cost, c.theatre_cost, c.ward_bed_days,
       c.theatre_minutes,
       c.anaesthetic_minutes
FROM candidates AS c
LEFT JOIN matched AS m
    ON m.service_line = c.service_line AND m.setting = c.setting AND m.org_code = c.org_code
   AND m.record_id = c.record_id
JOIN results.period_alignment AS a ON a.fin_year = c.fin_year AND a.org_code = c.org_code AND a.period = c.period
CROSS JOIN results.refresh_parameters AS s
WHERE coalesce(m.fields_met, 0) = c.code_fields
  AND (s.pool_common_periods = 0 OR a.in_common_periods = 1)
