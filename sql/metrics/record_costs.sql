-- record_costs: each record's cost lines of one period added up, by cost driver and activity unit.
-- Grain: one row per record and period its cost lines are in (setting, org_code, fin_year, period, record_id).
-- Inputs: cost_lines
-- Published: no
-- About: Internal: the cost and activity figures event_costs gives each record, summed over its cost lines of one
--   period. They depend on nothing but the stored lines, so the DuckDB store keeps them (engine.store.record_costs):
--   `icsbench load` adds the lines it inserts, in the same transaction, and deletes them with the period they
--   replace, and the table is rebuilt from cost_lines when this query changes or the store predates it; the
--   refresh then reads the kept rows instead of running this query. Spark and the server, which hold only the
--   cost lines, run it in every refresh. Pounds are DECIMAL(18,4) as on a cost line (exact however the lines are
--   grouped); counts are DOUBLE sums of the lines' activity counts.
-- Columns:
--   setting [key] apc, op, ec, cc, mh or chs
--   org_code [key] provider ODS code
--   fin_year [key] financial year of the cost lines
--   period [key] month of the financial year of the cost lines, 1 = April
--   record_id [key] the provider's event id
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
SELECT setting, org_code, fin_year, period, record_id,
       CAST(sum(cost) AS DECIMAL(18, 4)) AS total_cost,
       CAST(sum(CASE WHEN cost_driver = 'ward' THEN cost ELSE 0 END) AS DECIMAL(18, 4)) AS ward_cost,
       CAST(sum(CASE WHEN cost_driver = 'theatre' THEN cost ELSE 0 END) AS DECIMAL(18, 4)) AS theatre_cost,
       CAST(sum(CASE WHEN cost_driver = 'critical_care' THEN cost ELSE 0 END) AS DECIMAL(18, 4))
           AS critical_care_cost,
       CAST(sum(CASE WHEN cost_driver = 'pathology' THEN cost ELSE 0 END) AS DECIMAL(18, 4)) AS pathology_cost,
       CAST(sum(CASE WHEN cost_driver = 'imaging' THEN cost ELSE 0 END) AS DECIMAL(18, 4)) AS imaging_cost,
       CAST(sum(CASE WHEN cost_driver = 'pharmacy' THEN cost ELSE 0 END) AS DECIMAL(18, 4)) AS pharmacy_cost,
       CAST(sum(CASE WHEN cost_driver = 'high_cost_drugs' THEN cost ELSE 0 END) AS DECIMAL(18, 4))
           AS high_cost_drugs_cost,
       CAST(sum(CASE WHEN cost_driver = 'therapies' THEN cost ELSE 0 END) AS DECIMAL(18, 4)) AS therapies_cost,
       CAST(sum(CASE WHEN cost_driver = 'outpatient_care' THEN cost ELSE 0 END) AS DECIMAL(18, 4))
           AS outpatient_care_cost,
       CAST(sum(CASE WHEN cost_driver = 'emergency_care' THEN cost ELSE 0 END) AS DECIMAL(18, 4))
           AS emergency_care_cost,
       CAST(sum(CASE WHEN cost_driver = 'community_care' THEN cost ELSE 0 END) AS DECIMAL(18, 4))
           AS community_care_cost,
       CAST(sum(CASE WHEN cost_driver = 'mental_health_care' THEN cost ELSE 0 END) AS DECIMAL(18, 4))
           AS mental_health_care_cost,
       CAST(sum(CASE WHEN cost_driver = 'other_clinical' THEN cost ELSE 0 END) AS DECIMAL(18, 4))
           AS other_clinical_cost,
       CAST(sum(CASE WHEN cost_driver = 'overheads' THEN cost ELSE 0 END) AS DECIMAL(18, 4)) AS overheads_cost,
       CAST(sum(CASE WHEN cost_driver = 'other' THEN cost ELSE 0 END) AS DECIMAL(18, 4)) AS other_cost,
       sum(CASE WHEN cost_driver = 'ward' AND activity_unit = 'bed_days' THEN activity_count ELSE 0 END)
           AS ward_bed_days,
       sum(CASE WHEN activity_unit = 'theatre_minutes' THEN activity_count ELSE 0 END) AS theatre_minutes,
       sum(CASE WHEN activity_unit = 'anaesthetic_minutes' THEN activity_count ELSE 0 END) AS anaesthetic_minutes,
       sum(CASE WHEN activity_unit = 'cc_bed_days' THEN activity_count ELSE 0 END) AS cc_bed_days,
       sum(CASE WHEN activity_unit = 'tests' THEN activity_count ELSE 0 END) AS tests,
       sum(CASE WHEN activity_unit = 'examinations' THEN activity_count ELSE 0 END) AS examinations,
       sum(CASE WHEN activity_unit = 'items' THEN activity_count ELSE 0 END) AS items,
       sum(CASE WHEN activity_unit = 'contacts' AND cost_resource IN ('consultant', 'medical_other')
           THEN activity_count ELSE 0 END) AS medical_contacts,
       sum(CASE WHEN activity_unit = 'contacts' AND cost_resource = 'nursing'
           THEN activity_count ELSE 0 END) AS nursing_contacts,
       sum(CASE WHEN activity_unit = 'contacts' AND cost_resource = 'ahp'
           THEN activity_count ELSE 0 END) AS therapy_contacts
FROM cost_lines
GROUP BY setting, org_code, fin_year, period, record_id
