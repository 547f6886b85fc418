-- inpatient_cost_drivers: theatre and anaesthetic time, theatre cost per minute and patient contacts per spell.
-- Grain: one row per financial year, POD, HRG and provider, for admitted care spells.
-- Inputs: spells, cell_dominance, results.refresh_parameters
-- Published: yes
-- About: What drives an admitted care cost: how long operations take, what a theatre minute costs and how many
--   contacts with doctors, nurses and therapists a stay involves, each against the ICS. Theatre minutes per
--   operation are over the spells that used a theatre; contacts are per spell. A high cost per theatre minute with
--   ordinary minutes points at theatre costing or staffing; long minutes at practice or case mix.
-- Columns:
--   fin_year [key] financial year
--   pod [key] point of delivery: EL, NEL, NES, DC or RP
--   hrg [key] spell HRG
--   org_code [key] provider ODS code
--   spells [count] the provider's spells in the cell
--   operated_spells [count] spells with theatre minutes
--   theatre_minutes [total from operated_spells] theatre (procedure) minutes
--   anaesthetic_minutes [total from operated_spells] anaesthetic minutes
--   theatre_cost [total from operated_spells] theatre cost, pounds
--   theatre_minutes_per_operation [from operated_spells] theatre_minutes / operated_spells
--   anaesthetic_minutes_per_operation [from operated_spells] anaesthetic_minutes / operated_spells
--   cost_per_theatre_minute [from operated_spells] theatre_cost / theatre_minutes, pounds
--   medical_contacts_per_spell [from spells] contacts with consultants and other medical staff per spell
--   nursing_contacts_per_spell [from spells] contacts with nursing staff per spell
--   therapy_contacts_per_spell [from spells] contacts with allied health professionals per spell
--   ics_spells [count] spells in the cell across every provider
--   ics_operated_spells [count] spells with theatre minutes across every provider
--   ics_theatre_minutes_per_operation [from ics_operated_spells] the same across every provider
--   ics_anaesthetic_minutes_per_operation [from ics_operated_spells] the same across every provider
--   ics_cost_per_theatre_minute [from ics_operated_spells] the same across every provider, pounds
--   ics_medical_contacts_per_spell [from ics_spells] the same across every provider
--   ics_nursing_contacts_per_spell [from ics_spells] the same across every provider
--   ics_therapy_contacts_per_spell [from ics_spells] the same across every provider
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of operated_spells] the provider's theatre cost in the cell by size (a credit
--     counted as positive; cell_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of operated_spells] the theatre cost of the provider's largest contributor (a
--     patient's spells added up, or a spell without a patient), pounds; never published
--   dominance_second [dominance second of operated_spells] its second largest contributor's, pounds; never published
--   dominance_contributors [dominance contributors of operated_spells] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_operated_spells] the cell's theatre cost across every provider, pounds;
--     never published
--   ics_dominance_largest [dominance largest of ics_operated_spells] its largest contributor's across every provider,
--     pounds; never published
--   ics_dominance_second [dominance second of ics_operated_spells] the second largest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_operated_spells] how many contributors (patients) of
--     non-zero cost it comes from; read by the threshold rule, never published
WITH provider_cells AS (
    SELECT fin_year, pod, hrg, org_code,
           count(*) AS spells,
           sum(CASE WHEN theatre_minutes > 0 THEN 1 ELSE 0 END) AS operated_spells,
           sum(theatre_minutes) AS theatre_minutes,
           sum(anaesthetic_minutes) AS anaesthetic_minutes,
           sum(theatre_cost) AS theatre_cost,
           sum(medical_contacts) AS medical_contacts,
           sum(nursing_contacts) AS nursing_contacts,
           sum(therapy_contacts) AS therapy_contacts
    FROM spells
    GROUP BY fin_year, pod, hrg, org_code
),
ics AS (
    SELECT fin_year, pod, hrg,
           sum(spells) AS ics_spells,
           sum(operated_spells) AS ics_operated_spells,
           sum(theatre_minutes) AS theatre_minutes,
           sum(anaesthetic_minutes) AS anaesthetic_minutes,
           sum(theatre_cost) AS theatre_cost,
           sum(medical_contacts) AS medical_contacts,
           sum(nursing_contacts) AS nursing_contacts,
           sum(therapy_contacts) AS therapy_contacts
    FROM provider_cells
    GROUP BY fin_year, pod, hrg
),
dominance AS (
    SELECT fin_year, pod, hrg, org_code, cost, largest, second, contributors, ics_cost, ics_largest, ics_second,
           ics_contributors
    FROM cell_dominance
    WHERE family = 'spell_theatre'
)
SELECT p.fin_year, p.pod, p.hrg, p.org_code, p.spells, p.operated_spells, p.theatre_minutes, p.anaesthetic_minutes,
       p.theatre_cost,
       p.theatre_minutes / nullif(p.operated_spells, 0) AS theatre_minutes_per_operation,
       p.anaesthetic_minutes / nullif(p.operated_spells, 0) AS anaesthetic_minutes_per_operation,
       CAST(p.theatre_cost AS DOUBLE) / nullif(p.theatre_minutes, 0) AS cost_per_theatre_minute,
       p.medical_contacts / NULLIF(p.spells, 0) AS medical_contacts_per_spell,
       p.nursing_contacts / NULLIF(p.spells, 0) AS nursing_contacts_per_spell,
       p.therapy_contacts / NULLIF(p.spells, 0) AS therapy_contacts_per_spell,
       i.ics_spells, i.ics_operated_spells,
       i.theatre_minutes / nullif(i.ics_operated_spells, 0) AS ics_theatre_minutes_per_operation,
       i.anaesthetic_minutes / nullif(i.ics_operated_spells, 0) AS ics_anaesthetic_minutes_per_operation,
       CAST(i.theatre_cost AS DOUBLE) / nullif(i.theatre_minutes, 0) AS ics_cost_per_theatre_minute,
       i.medical_contacts / NULLIF(i.ics_spells, 0) AS ics_medical_contacts_per_spell,
       i.nursing_contacts / NULLIF(i.ics_spells, 0) AS ics_nursing_contacts_per_spell,
       i.therapy_contacts / NULLIF(i.ics_spells, 0) AS ics_therapy_contacts_per_spell,
       s.refresh_id,
       dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors,
       ics_dom.ics_cost AS ics_dominance_cost, ics_dom.ics_largest AS ics_dominance_largest,
       ics_dom.ics_second AS ics_dominance_second, ics_dom.ics_contributors AS ics_dominance_contributors
FROM provider_cells AS p
JOIN ics AS i ON i.fin_year = p.fin_year AND i.pod = p.pod AND i.hrg = p.hrg
LEFT JOIN dominance AS dom
    ON dom.fin_year = p.fin_year AND dom.pod = p.pod AND dom.hrg = p.hrg AND dom.org_code = p.org_code
LEFT JOIN (
    SELECT DISTINCT fin_year, pod, hrg, ics_cost, ics_largest, ics_second, ics_contributors
    FROM dominance
) AS ics_dom
    ON ics_dom.fin_year = p.fin_year AND ics_dom.pod = p.pod AND ics_dom.hrg = p.hrg
CROSS JOIN results.refresh_parameters AS s
