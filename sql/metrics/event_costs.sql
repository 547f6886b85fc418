-- event_costs: each patient event with its cost added up from its cost lines, the building block of every table.
-- Grain: one row per activity record (setting, org_code, record_id); cost lines whose record is not held (after a
--   reload replaced it) get a row of their own with has_activity_record = 0, so no pound is ever dropped.
-- Inputs: activity, record_costs, results.dim_hrg, results.refresh_parameters
-- Published: no
-- About: Internal: record-level, held in memory for the refresh only (never stored, published or exported), and
--   it carries no patient pseudonym. Cost per driver and activity counts are the sums over the record's cost lines
--   (record_costs: their sums per period, kept by the DuckDB store at load, added up here; almost every record has
--   one such row, which is taken as it is, and only the records with several (cost lines in several periods, or two
--   files of one period in one run) are grouped: the grouping of every row was most of this query's time; the
--   flagged rows are NOT MATERIALIZED, a hint DuckDB takes (held, they were 310 MB more at scale 0.3) and the
--   transpiler drops for T-SQL and Spark);
--   contacts are split by the resource that delivered them (medical: consultants and other medical staff; nursing;
--   therapy: allied health professionals). Pounds are kept as DECIMAL(18,4), the type of a cost line and of every
--   published pound (up to 100 trillion, which no record comes near; a record that did would not be rounded: the
--   cast fails, or on Spark without ANSI mode gives no cost, which the reconciliation of every pound loaded stops).
--   A sum would be DECIMAL(38,4), twice the bytes, and this table of every record is held through the whole
--   refresh: the narrower type keeps it, and the tables built from it, in memory rather than spilled to disk.
-- Columns:
--   fin_year [key] financial year, e.g. 2023/24
--   period [key] month of the financial year, 1 = April
--   quarter [key] quarter of the financial year, 1 = April to June
--   setting [key] apc, op, ec, cc, mh or chs
--   org_code [key] provider ODS code
--   record_id [key] the provider's event id
--   pod [key] point of delivery; UNLINKED for cost lines without a record
--   tfc [key] treatment function code; blank where the setting has none
--   hrg [key] HRG or currency; blank where missing
--   hrg_chapter [key] the HRG4+ chapter (one letter) or, for a currency outside HRG4+, its currency group, as
--     dim_hrg decides (mental_health, community, ...; none where blank)
--   spell_id [key] admitted care: the hospital spell (the record itself where no spell id was sent)
--   episode_number [key] admitted care: order of the episode in its spell
--   spell_hrg [key] admitted care: the spell's HRG (the episode's HRG where none was sent)
--   los [shown] admitted care: length of stay of the spell, days
--   unit_type [key] critical care: adult, paediatric or neonatal
--   department_type [key] emergency care: department type 01-05
--   consultant_led [key] outpatients: 1 when a consultant led the clinic, 0 when not, blank when not sent
--   apc_record_id [key] critical care: the admitted care episode the period belongs to
--   record_bed_days [shown] critical care and mental health: bed days on the record
--   level_2_days [shown] critical care: days at level 2
--   level_3_days [shown] critical care: days at level 3
--   has_activity_record [key] 1 for a loaded activity record, 0 for cost lines without one
--   total_cost [shown] cost of the record, pounds (exact)
--   ward_cost [shown] cost of ward care, pounds
--   theatre_cost [shown] cost of theatres (surgical and anaesthetic time), pounds
--   critical_care_cost [shown] cost of critical care, pounds
--   pathology_cost [shown] cost of pathology, pounds
--   imaging_cost [shown] cost of imaging (radiology), pounds
--   pharmacy_cost [shown] cost of pharmacy and medicines, pounds
--   high_cost_drugs_cost [shown] cost of high-cost drugs and devices, pounds
--   therapies_cost [shown] cost of allied health professional therapies, pounds
--   outpatient_care_cost [shown] cost of outpatient clinic care, pounds
--   emergency_care_cost [shown] cost of emergency department care, pounds
--   community_care_cost [shown] cost of community care, pounds
--   mental_health_care_cost [shown] cost of mental health care, pounds
--   other_clinical_cost [shown] cost of other clinical services, pounds
--   overheads_cost [shown] cost of overheads and support services, pounds
--   other_cost [shown] cost of other or unmapped, pounds
--   ward_bed_days [shown] bed days counted on ward cost lines
--   theatre_minutes [shown] theatre (procedure) minutes
--   anaesthetic_minutes [shown] anaesthetic minutes
--   cc_bed_days [shown] critical care bed days counted on cost lines
--   tests [shown] pathology tests
--   examinations [shown] imaging examinations
--   items [shown] pharmacy items dispensed
--   medical_contacts [shown] patient contacts by consultants and other medical staff
--   nursing_contacts [shown] patient contacts by nursing staff
--   therapy_contacts [shown] patient contacts by allied health professionals
--   refresh_id [shown] the refresh that wrote the row
WITH split_records AS (
    SELECT setting, org_code, record_id
    FROM record_costs
    GROUP BY setting, org_code, record_id
    HAVING count(*) > 1
),
kept_rows AS NOT MATERIALIZED (
    SELECT r.*, CASE WHEN m.record_id IS NULL THEN 0 ELSE 1 END AS is_split
    FROM record_costs AS r
    LEFT JOIN split_records AS m
        ON m.setting = r.setting AND m.org_code = r.org_code AND m.record_id = r.record_id
),
line_totals AS (
    SELECT setting, org_code, record_id,
           min(fin_year) AS fin_year,
           min(period) AS period,
           CAST(sum(total_cost) AS DECIMAL(18, 4)) AS total_cost,
           CAST(sum(ward_cost) AS DECIMAL(18, 4)) AS ward_cost,
           CAST(sum(theatre_cost) AS DECIMAL(18, 4)) AS theatre_cost,
           CAST(sum(critical_care_cost) AS DECIMAL(18, 4)) AS critical_care_cost,
           CAST(sum(pathology_cost) AS DECIMAL(18, 4)) AS pathology_cost,
           CAST(sum(imaging_cost) AS DECIMAL(18, 4)) AS imaging_cost,
           CAST(sum(pharmacy_cost) AS DECIMAL(18, 4)) AS pharmacy_cost,
           CAST(sum(high_cost_drugs_cost) AS DECIMAL(18, 4)) AS high_cost_drugs_cost,
           CAST(sum(therapies_cost) AS DECIMAL(18, 4)) AS therapies_cost,
           CAST(sum(outpatient_care_cost) AS DECIMAL(18, 4)) AS outpatient_care_cost,
           CAST(sum(emergency_care_cost) AS DECIMAL(18, 4)) AS emergency_care_cost,
           CAST(sum(community_care_cost) AS DECIMAL(18, 4)) AS community_care_cost,
           CAST(sum(mental_health_care_cost) AS DECIMAL(18, 4)) AS mental_health_care_cost,
           CAST(sum(other_clinical_cost) AS DECIMAL(18, 4)) AS other_clinical_cost,
           CAST(sum(overheads_cost) AS DECIMAL(18, 4)) AS overheads_cost,
           CAST(sum(other_cost) AS DECIMAL(18, 4)) AS other_cost,
           sum(ward_bed_days) AS ward_bed_days,
           sum(theatre_minutes) AS theatre_minutes,
           sum(anaesthetic_minutes) AS anaesthetic_minutes,
           sum(cc_bed_days) AS cc_bed_days,
           sum(tests) AS tests,
           sum(examinations) AS examinations,
           sum(items) AS items,
           sum(medical_contacts) AS medical_contacts,
           sum(nursing_contacts) AS nursing_contacts,
           sum(therapy_contacts) AS therapy_contacts
    FROM kept_rows
    WHERE is_split = 1
    GROUP BY setting, org_code, record_id
    UNION ALL
    SELECT setting, org_code, record_id, fin_year, period, total_cost, ward_cost, theatre_cost, critical_care_cost,
           pathology_cost, imaging_cost, pharmacy_cost, high_cost_drugs_cost, therapies_cost, outpatient_care_cost,
           emergency_care_cost, community_care_cost, mental_health_care_cost, other_clinical_cost, overheads_cost,
           other_cost, ward_bed_days, theatre_minutes, anaesthetic_minutes, cc_bed_days, tests, examinations, items,
           medical_contacts, nursing_contacts, therapy_contacts
    FROM kept_rows
    WHERE is_split = 0
),
events AS (
    SELECT coalesce(a.fin_year, l.fin_year) AS fin_year,
           coalesce(a.period, l.period) AS period,
           coalesce(a.setting, l.setting) AS setting,
           coalesce(a.org_code, l.org_code) AS org_code,
           coalesce(a.record_id, l.record_id) AS record_id,
           coalesce(a.pod, 'UNLINKED') AS pod,
           coalesce(a.tfc, '') AS tfc,
           coalesce(a.hrg, '') AS hrg,
           CASE WHEN a.setting = 'apc' THEN coalesce(a.spell_id, a.record_id) END AS spell_id,
           a.episode_number,
           CASE WHEN a.setting = 'apc' THEN coalesce(a.spell_hrg, a.hrg) END AS spell_hrg,
           a.los,
           a.unit_type,
           a.department_type,
           CAST(a.consultant_led AS INTEGER) AS consultant_led,
           a.apc_record_id,
           a.bed_days AS record_bed_days,
           a.level_2_days,
           a.level_3_days,
           CASE WHEN a.record_id IS NULL THEN 0 ELSE 1 END AS has_activity_record,
           coalesce(l.total_cost, 0) AS total_cost,
           coalesce(l.ward_cost, 0) AS ward_cost,
           coalesce(l.theatre_cost, 0) AS theatre_cost,
           coalesce(l.critical_care_cost, 0) AS critical_care_cost,
           coalesce(l.pathology_cost, 0) AS pathology_cost,
           coalesce(l.imaging_cost, 0) AS imaging_cost,
           coalesce(l.pharmacy_cost, 0) AS pharmacy_cost,
           coalesce(l.high_cost_drugs_cost, 0) AS high_cost_drugs_cost,
           coalesce(l.therapies_cost, 0) AS therapies_cost,
           coalesce(l.outpatient_care_cost, 0) AS outpatient_care_cost,
           coalesce(l.emergency_care_cost, 0) AS emergency_care_cost,
           coalesce(l.community_care_cost, 0) AS community_care_cost,
           coalesce(l.mental_health_care_cost, 0) AS mental_health_care_cost,
           coalesce(l.other_clinical_cost, 0) AS other_clinical_cost,
           coalesce(l.overheads_cost, 0) AS overheads_cost,
           coalesce(l.other_cost, 0) AS other_cost,
           coalesce(l.ward_bed_days, 0) AS ward_bed_days,
           coalesce(l.theatre_minutes, 0) AS theatre_minutes,
           coalesce(l.anaesthetic_minutes, 0) AS anaesthetic_minutes,
           coalesce(l.cc_bed_days, 0) AS cc_bed_days,
           coalesce(l.tests, 0) AS tests,
           coalesce(l.examinations, 0) AS examinations,
           coalesce(l.items, 0) AS items,
           coalesce(l.medical_contacts, 0) AS medical_contacts,
           coalesce(l.nursing_contacts, 0) AS nursing_contacts,
           coalesce(l.therapy_contacts, 0) AS therapy_contacts
    FROM activity AS a
    FULL OUTER JOIN line_totals AS l
        ON a.setting = l.setting AND a.org_code = l.org_code AND a.record_id = l.record_id
)
SELECT e.fin_year, e.period,
       CASE WHEN e.period <= 3 THEN 1 WHEN e.period <= 6 THEN 2 WHEN e.period <= 9 THEN 3 ELSE 4 END AS quarter,
       e.setting, e.org_code, e.record_id, e.pod, e.tfc, e.hrg,
       h.hrg_chapter,
       e.spell_id, e.episode_number, e.spell_hrg, e.los, e.unit_type, e.department_type, e.consultant_led,
       e.apc_record_id, e.record_bed_days, e.level_2_days,
       e.level_3_days, e.has_activity_record, e.total_cost,
       e.ward_cost, e.theatre_cost, e.critical_care_cost, e.pathology_cost, e.imaging_cost, e.pharmacy_cost,
       e.high_cost_drugs_cost, e.therapies_cost, e.outpatient_care_cost, e.emergency_care_cost, e.community_care_cost,
       e.mental_health_care_cost, e.other_clinical_cost, e.overheads_cost, e.other_cost,
       e.ward_bed_days, e.theatre_minutes, e.anaesthetic_minutes,
       e.cc_bed_days, e.tests, e.examinations, e.items, e.medical_contacts, e.nursing_contacts, e.therapy_contacts,
       s.refresh_id
FROM events AS e
LEFT JOIN results.dim_hrg AS h ON h.hrg = e.hrg
CROSS JOIN results.refresh_parameters AS s
