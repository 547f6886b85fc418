-- patient_events: every event with its patient pseudonym, residence and dates, the building block of the patient view.
-- Grain: one row per event_costs row (setting, org_code, record_id), including cost lines without an activity record.
-- Inputs: event_costs, activity, providers
-- Published: no
-- About: Internal: record-level with the patient pseudonym, held in memory for the refresh only (never stored,
--   published or exported). An admitted care episode starts on its spell's admission date and ends on its spell's
--   discharge date, so pathway windows count whole stays; other events start and end on their own dates.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   org_code [key] provider ODS code
--   provider_type [key] acute, mental_health, community, specialist or independent
--   record_id [key] the provider's event id
--   has_activity_record [key] 1 for a loaded activity record, 0 for cost lines without one
--   patient_id [key] patient pseudonym; NULL where the record has none (or no activity record)
--   age [shown] age in years at the event
--   sex [key] M, F or U
--   lsoa [key] LSOA of residence on the record
--   gp_practice [key] registered GP practice on the record
--   pod [key] point of delivery
--   tfc [key] treatment function code
--   hrg [key] HRG or currency
--   spell_id [key] admitted care: hospital spell
--   spell_hrg [key] admitted care: spell HRG
--   primary_diagnosis [key] admitted care: ICD-10 primary diagnosis
--   service_code [key] mental health and community: team or service
--   start_date [key] admission date for admitted care, else the event date
--   end_date [key] discharge date for admitted care, else the event's end date (or its date)
--   total_cost [shown] cost of the record, pounds (exact)
WITH records AS (
    SELECT e.fin_year, e.setting, e.org_code, e.record_id, e.has_activity_record, e.pod, e.tfc, e.hrg, e.spell_id,
           e.spell_hrg, e.total_cost,
           a.patient_id, a.age, a.sex, a.lsoa, a.gp_practice, a.primary_diagnosis, a.service_code,
           CASE WHEN e.setting = 'apc' THEN coalesce(a.admission_date, a.event_date) ELSE a.event_date END
               AS start_date,
           CASE WHEN e.setting = 'apc' THEN coalesce(a.discharge_date, a.end_date, a.event_date)
                ELSE coalesce(a.end_date, a.event_date) END AS end_date
    FROM event_costs AS e
    LEFT JOIN activity AS a
        ON a.setting = e.setting AND a.org_code = e.org_code AND a.record_id = e.record_id
)
SELECT r.fin_year, r.setting, r.org_code, coalesce(p.type, 'unknown') AS provider_type, r.record_id,
       r.has_activity_record, r.patient_id,
       r.age, r.sex, r.lsoa, r.gp_practice, r.pod, r.tfc, r.hrg, r.spell_id, r.spell_hrg, r.primary_diagnosis,
       r.service_code, r.start_date, r.end_date, r.total_cost
FROM records AS r
LEFT JOIN providers AS p ON p.org_code = r.org_code
