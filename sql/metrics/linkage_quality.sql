-- linkage_quality: how well records link across providers: the share with a pseudonym, patients seen elsewhere.
-- Grain: one row per financial year, provider and setting, plus one row per year for the whole ICS (org_code ICS,
--   setting all).
-- Inputs: patient_events, patient_cost, providers, results.refresh_parameters
-- Published: yes
-- About: Read this before the patient tables. Records without a pseudonym (no or an invalid NHS number) cannot be
--   linked: their cost is in the population and GP practice tables (by the residence on the record) but not in the
--   high-use or pathway tables. A patient seen elsewhere was seen by at least one other provider of the ICS in the
--   same year; on the ICS row, patients seen by more than one provider.
-- Columns:
--   level [key] provider (one provider and setting) or ics (the whole system: do not add it to the provider rows)
--   fin_year [key] financial year
--   org_code [key] provider ODS code, or ICS for the whole system
--   provider_name [key] provider name from the ICS config
--   setting [key] apc, op, ec, cc, mh or chs; all on the ICS row
--   records [count] activity records
--   linked_records [count] records with a patient pseudonym
--   share_linked [from records] linked_records / records
--   total_cost [total from records] cost, pounds
--   unlinked_cost [total from records] cost of records without a pseudonym (and cost lines without a record), pounds
--   patients [count] different patients (by pseudonym)
--   patients_seen_elsewhere [count] of those, patients also seen by another provider of the ICS in the year
--   share_seen_elsewhere [from patients] patients_seen_elsewhere / patients
--   refresh_id [shown] the refresh that wrote the row
WITH patient_settings AS (
    SELECT fin_year, org_code, setting, patient_id
    FROM patient_events
    WHERE patient_id IS NOT NULL
    GROUP BY fin_year, org_code, setting, patient_id
),
provider_patients AS (
    SELECT s.fin_year, s.org_code, s.setting,
           count(*) AS patients,
           sum(CASE WHEN c.providers_seen > 1 THEN 1 ELSE 0 END) AS patients_seen_elsewhere
    FROM patient_settings AS s
    JOIN patient_cost AS c ON c.fin_year = s.fin_year AND c.patient_id = s.patient_id
    GROUP BY s.fin_year, s.org_code, s.setting
),
provider_records AS (
    SELECT fin_year, org_code, setting,
           sum(has_activity_record) AS records,
           sum(CASE WHEN patient_id IS NOT NULL THEN 1 ELSE 0 END) AS linked_records,
           sum(total_cost) AS total_cost,
           sum(CASE WHEN patient_id IS NULL THEN total_cost ELSE 0 END) AS unlinked_cost
    FROM patient_events
    GROUP BY fin_year, org_code, setting
),
by_provider AS (
    SELECT r.fin_year, r.org_code, r.setting, r.records, r.linked_records, r.total_cost, r.unlinked_cost,
           coalesce(p.patients, 0) AS patients,
           coalesce(p.patients_seen_elsewhere, 0) AS patients_seen_elsewhere
    FROM provider_records AS r
    LEFT JOIN provider_patients AS p
        ON p.fin_year = r.fin_year AND p.org_code = r.org_code AND p.setting = r.setting
),
year_patients AS (
    SELECT fin_year, sum(patients) AS patients, sum(CASE WHEN providers_seen > 1 THEN 1 ELSE 0 END) AS multi_provider
    FROM patient_cost
    WHERE patients = 1
    GROUP BY fin_year
),
year_records AS (
    SELECT fin_year, sum(records) AS records, sum(linked_records) AS linked_records, sum(total_cost) AS total_cost,
           sum(unlinked_cost) AS unlinked_cost
    FROM provider_records
    GROUP BY fin_year
),
rows_out AS (
    SELECT 'provider' AS level, fin_year, org_code, setting, records, linked_records, total_cost, unlinked_cost,
           patients, patients_seen_elsewhere
    FROM by_provider
    UNION ALL
    SELECT 'ics' AS level, r.fin_year, 'ICS' AS org_code, 'all' AS setting, r.records, r.linked_records,
           r.total_cost, r.unlinked_cost, coalesce(p.patients, 0) AS patients,
           coalesce(p.multi_provider, 0) AS patients_seen_elsewhere
    FROM year_records AS r
    LEFT JOIN year_patients AS p ON p.fin_year = r.fin_year
)
SELECT r.level, r.fin_year, r.org_code,
       coalesce(p.name, CASE WHEN r.org_code = 'ICS' THEN 'All providers' ELSE r.org_code END) AS provider_name,
       r.setting, r.records, r.linked_records,
       CASE WHEN r.records > 0 THEN CAST(r.linked_records AS DOUBLE) / NULLIF(r.records, 0) END AS share_linked,
       r.total_cost, r.unlinked_cost, r.patients, r.patients_seen_elsewhere,
       CASE WHEN r.patients > 0 THEN CAST(r.patients_seen_elsewhere AS DOUBLE) / NULLIF(r.patients, 0) END
           AS share_seen_elsewhere,
       s.refresh_id
FROM rows_out AS r
LEFT JOIN providers AS p ON p.org_code = r.org_code
CROSS JOIN results.refresh_parameters AS s
