-- spells: each admitted patient's hospital stay (spell) with its episodes' costs and activity added together.
-- Grain: one row per provider and hospital spell (org_code, spell_id).
-- Inputs: event_costs, results.refresh_parameters
-- Published: no
-- About: Internal: spell-level, held in memory for the refresh only (never stored, published or exported). A
--   spell takes its POD and TFC from its first episode and its HRG from the spell HRG; its year is the year of its
--   last episode. Critical care periods are added to the spell of the admitted care episode they are linked to.
-- Columns:
--   fin_year [key] financial year of the spell's last episode
--   org_code [key] provider ODS code
--   spell_id [key] hospital provider spell
--   pod [key] POD of the first episode
--   tfc [key] treatment function of the first episode
--   hrg [key] spell HRG
--   episodes [shown] episodes in the spell
--   los [shown] length of stay, days
--   total_cost [shown] cost of the spell's episodes, pounds (critical care periods are costed in their own setting)
--   ward_cost [shown] ward care cost, pounds
--   theatre_cost [shown] theatre cost, pounds
--   ward_bed_days [shown] bed days on ward cost lines
--   theatre_minutes [shown] theatre (procedure) minutes
--   anaesthetic_minutes [shown] anaesthetic minutes
--   medical_contacts [shown] contacts by medical staff
--   nursing_contacts [shown] contacts by nursing staff
--   therapy_contacts [shown] contacts by allied health professionals
--   cc_periods [shown] critical care periods linked to the spell
--   cc_bed_days [shown] critical care bed days linked to the spell
--   refresh_id [shown] the refresh that wrote the row
WITH episodes AS (
    SELECT org_code, spell_id, fin_year, pod, tfc, spell_hrg, los, record_id, total_cost, ward_cost, theatre_cost,
           ward_bed_days, theatre_minutes, anaesthetic_minutes, medical_contacts, nursing_contacts, therapy_contacts,
           ROW_NUMBER() OVER (PARTITION BY org_code, spell_id ORDER BY episode_number, record_id) AS position
    FROM event_costs
    WHERE setting = 'apc' AND has_activity_record = 1
),
critical_care AS (
    SELECT e.org_code, e.spell_id,
           count(*) AS cc_periods,
           sum(coalesce(c.record_bed_days, c.cc_bed_days)) AS cc_bed_days
    FROM event_costs AS c
    JOIN episodes AS e ON e.org_code = c.org_code AND e.record_id = c.apc_record_id
    WHERE c.setting = 'cc' AND c.has_activity_record = 1
    GROUP BY e.org_code, e.spell_id
),
totals AS (
    -- The spell's POD, TFC and HRG are its first episode's, taken in the same pass as its sums.
    SELECT org_code, spell_id,
           max(fin_year) AS fin_year,
           max(CASE WHEN position = 1 THEN pod END) AS pod,
           max(CASE WHEN position = 1 THEN tfc END) AS tfc,
           max(CASE WHEN position = 1 THEN spell_hrg END) AS hrg,
           count(*) AS episodes,
           max(los) AS los,
           sum(total_cost) AS total_cost,
           sum(ward_cost) AS ward_cost,
           sum(theatre_cost) AS theatre_cost,
           sum(ward_bed_days) AS ward_bed_days,
           sum(theatre_minutes) AS theatre_minutes,
           sum(anaesthetic_minutes) AS anaesthetic_minutes,
           sum(medical_contacts) AS medical_contacts,
           sum(nursing_contacts) AS nursing_contacts,
           sum(therapy_contacts) AS therapy_contacts
    FROM episodes
    GROUP BY org_code, spell_id
)
SELECT t.fin_year, t.org_code, t.spell_id, t.pod, t.tfc, t.hrg, t.episodes, t.los, t.total_cost,
       t.ward_cost, t.theatre_cost, t.ward_bed_days, t.theatre_minutes, t.anaesthetic_minutes, t.medical_contacts,
       t.nursing_contacts, t.therapy_contacts,
       coalesce(c.cc_periods, 0) AS cc_periods,
       coalesce(c.cc_bed_days, 0) AS cc_bed_days,
       s.refresh_id
FROM totals AS t
LEFT JOIN critical_care AS c ON c.org_code = t.org_code AND c.spell_id = t.spell_id
CROSS JOIN results.refresh_parameters AS s
