-- pathway_dominance: how much of each pathway step's cost its largest two patients make up, for the dominance rule.
-- Grain: one row per financial year, pathway, step (index_admission, each configured step and whole_pathway) and
--   index provider, for every step with a patient of non-zero cost in a complete pathway.
-- Inputs: pathway_events
-- Published: no
-- About: Internal: the magnitude (dominance) rule of docs/disclosure-control.md for pathway_cost, which carries these
--   figures, never published. A step's cost over a provider's complete pathways is the events pathway_cost costs
--   (whole_pathway: all of them); its contributors are the pathways' patients, each patient's events in the step
--   added up (signed, so a credit nets against their cost), then taken by size, as cell_dominance does: a credit
--   counts by its magnitude, and a patient whose events add up to no cost is left out. A patient with several index
--   admissions in a year (at several providers, or a pathway's events credited twice) is one contributor to the ICS
--   figures, which protect the ICS cost per pathway.
-- Columns:
--   fin_year [key] financial year of the index admission
--   pathway [key] pathway name from the config
--   step [key] index_admission, a step from the config, or whole_pathway
--   org_code [key] provider of the index admission
--   contributors [count] patients of the provider's complete pathways with non-zero cost in the step
--   cost [from contributors] their cost by size (each patient's cost in the step made positive), pounds
--   largest [from contributors] the largest patient's cost by size, pounds
--   second [from contributors] the second largest patient's cost by size, pounds (0 with a single patient)
--   ics_contributors [count] patients with non-zero cost in the step across every index provider
--   ics_cost [from ics_contributors] their cost by size, pounds
--   ics_largest [from ics_contributors] the largest patient's cost by size across every index provider, pounds
--   ics_second [from ics_contributors] the second largest, pounds
WITH complete_events AS (
    -- The events pathway_cost costs: complete pathways only, each step and the whole pathway.
    SELECT fin_year, pathway, index_org_code, patient_id, step, total_cost
    FROM pathway_events
    WHERE is_complete = 1
    UNION ALL
    SELECT fin_year, pathway, index_org_code, patient_id, 'whole_pathway' AS step, total_cost
    FROM pathway_events
    WHERE is_complete = 1
),
provider_patients AS (
    SELECT fin_year, pathway, step, index_org_code, patient_id, sum(total_cost) AS cost
    FROM complete_events
    GROUP BY fin_year, pathway, step, index_org_code, patient_id
),
ics_patients AS (
    SELECT fin_year, pathway, step, patient_id, abs(sum(cost)) AS cost
    FROM provider_patients
    GROUP BY fin_year, pathway, step, patient_id
),
provider_ranked AS (
    SELECT fin_year, pathway, step, index_org_code, abs(cost) AS cost,
           ROW_NUMBER() OVER (
               PARTITION BY fin_year, pathway, step, index_org_code ORDER BY abs(cost) DESC
           ) AS position
    FROM provider_patients
    WHERE cost <> 0
),
ics_ranked AS (
    SELECT fin_year, pathway, step, cost,
           ROW_NUMBER() OVER (PARTITION BY fin_year, pathway, step ORDER BY cost DESC) AS position
    FROM ics_patients
    WHERE cost > 0
),
provider_steps AS (
    SELECT fin_year, pathway, step, index_org_code,
           CAST(count(*) AS BIGINT) AS contributors,
           sum(cost) AS cost,
           max(CASE WHEN position = 1 THEN cost END) AS largest,
           coalesce(max(CASE WHEN position = 2 THEN cost END), 0) AS second
    FROM provider_ranked
    GROUP BY fin_year, pathway, step, index_org_code
),
ics_steps AS (
    SELECT fin_year, pathway, step,
           CAST(count(*) AS BIGINT) AS ics_contributors,
           sum(cost) AS ics_cost,
           max(CASE WHEN position = 1 THEN cost END) AS ics_largest,
           coalesce(max(CASE WHEN position = 2 THEN cost END), 0) AS ics_second
    FROM ics_ranked
    GROUP BY fin_year, pathway, step
)
SELECT p.fin_year, p.pathway, p.step, p.index_org_code AS org_code, p.contributors, p.cost, p.largest, p.second,
       i.ics_contributors, i.ics_cost, i.ics_largest, i.ics_second
FROM provider_steps AS p
LEFT JOIN ics_steps AS i ON i.fin_year = p.fin_year AND i.pathway = p.pathway AND i.step = p.step
