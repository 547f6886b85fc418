-- pathway_cost: the whole-pathway cost of each configured pathway by provider of the index admission, against the ICS.
-- Grain: one row per financial year, pathway, index provider and step (index_admission, each configured step, and
--   whole_pathway for their sum).
-- Inputs: pathway_events, pathway_dominance, ref_pathway_step, providers, results.refresh_parameters
-- Published: yes
-- About: Seed 004's question: efficient at the operation, but what about the rest of the pathway? Costs follow the
--   patient to every provider (critical care, readmissions, outpatients, community rehabilitation) and are credited
--   to the provider of the index admission. Only complete pathways (whose longest window has passed by the latest
--   event loaded) are costed; incomplete ones are counted in pathways_incomplete. The ICS figures are the average
--   over every index provider. Opportunity vs ICS = (cost per pathway - ICS cost per pathway) x pathways, floored at
--   0; steps must not be added to whole_pathway, and opportunities across steps overlap with it. A step's cost that
--   one or two patients make up most of (a costly readmission among a provider's few pathways) is hidden, with the
--   figures built on it, and so are the ICS figures of a step they dominate across the ICS (pathway_dominance).
-- Columns:
--   fin_year [key] financial year of the index admission
--   pathway [key] pathway name from the config
--   pathway_label [key] its label
--   org_code [key] provider of the index admission
--   provider_name [key] its name from the ICS config
--   step [key] index_admission, a step from the config, or whole_pathway
--   step_order [key] 0 for the index admission, then the steps in config order; whole_pathway last
--   pathways [count] complete pathways (index admissions) of the provider
--   pathways_with_step [count] of those, pathways with at least one event in the step
--   events [count] events in the step (admitted care counted in spells)
--   total_cost [total from pathways] cost of the step's events, pounds
--   cost_per_pathway [from pathways] total_cost / pathways, pounds
--   events_per_pathway [from pathways] events / pathways
--   share_with_step [from pathways] pathways_with_step / pathways
--   ics_pathways [count] complete pathways in the ICS
--   ics_cost_per_pathway [from ics_pathways] the ICS's cost per pathway in the step, pounds
--   ics_events_per_pathway [from ics_pathways] the ICS's events per pathway in the step
--   difference_per_pathway [from pathways vs ics_cost_per_pathway] cost_per_pathway - ics_cost_per_pathway, pounds
--   opportunity_vs_ics [total from pathways vs ics_cost_per_pathway] difference_per_pathway x pathways, floored at 0,
--     pounds
--   pathways_incomplete [count] index admissions whose window had not passed (not costed)
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of pathways] the step's cost over the provider's complete pathways by size (each
--     patient's cost made positive; pathway_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of pathways] the cost in the step of the provider's costliest patient, pounds;
--     never published
--   dominance_second [dominance second of pathways] its second costliest patient's, pounds; never published
--   dominance_contributors [dominance contributors of pathways] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_pathways] the step's cost across every index provider by size, pounds;
--     never published
--   ics_dominance_largest [dominance largest of ics_pathways] the costliest patient's cost in the step across every
--     index provider, pounds; never published
--   ics_dominance_second [dominance second of ics_pathways] the second costliest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_pathways] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
WITH indexes AS (
    SELECT DISTINCT fin_year, pathway, pathway_label, index_org_code, index_spell_id, is_complete
    FROM pathway_events
),
provider_pathways AS (
    SELECT fin_year, pathway, pathway_label, index_org_code,
           sum(is_complete) AS pathways,
           sum(1 - is_complete) AS pathways_incomplete
    FROM indexes
    GROUP BY fin_year, pathway, pathway_label, index_org_code
),
steps AS (
    SELECT DISTINCT pathway, step, step_order
    FROM ref_pathway_step
    UNION ALL
    SELECT DISTINCT pathway, 'whole_pathway' AS step, 999 AS step_order
    FROM ref_pathway_step
),
complete_events AS (
    SELECT fin_year, pathway, index_org_code, index_spell_id, step, setting, org_code, record_id, spell_id,
           total_cost
    FROM pathway_events
    WHERE is_complete = 1
    UNION ALL
    SELECT fin_year, pathway, index_org_code, index_spell_id, 'whole_pathway' AS step, setting, org_code, record_id,
           spell_id, total_cost
    FROM pathway_events
    WHERE is_complete = 1
),
step_totals AS (
    SELECT fin_year, pathway, index_org_code, step,
           count(DISTINCT index_spell_id) AS pathways_with_step,
           count(DISTINCT CASE WHEN setting = 'apc' THEN org_code || '|' || spell_id
                               ELSE setting || '|' || org_code || '|' || record_id END) AS events,
           sum(total_cost) AS total_cost
    FROM complete_events
    GROUP BY fin_year, pathway, index_org_code, step
),
provider_steps AS (
    SELECT p.fin_year, p.pathway, p.pathway_label, p.index_org_code, s.step, s.step_order, p.pathways,
           p.pathways_incomplete,
           coalesce(t.pathways_with_step, 0) AS pathways_with_step,
           coalesce(t.events, 0) AS events,
           coalesce(t.total_cost, 0) AS total_cost
    FROM provider_pathways AS p
    JOIN steps AS s ON s.pathway = p.pathway
    LEFT JOIN step_totals AS t
        ON t.fin_year = p.fin_year AND t.pathway = p.pathway AND t.index_org_code = p.index_org_code
       AND t.step = s.step
),
ics AS (
    SELECT fin_year, pathway, step, sum(pathways) AS pathways, sum(events) AS events, sum(total_cost) AS total_cost
    FROM provider_steps
    GROUP BY fin_year, pathway, step
),
compared AS (
    SELECT p.*, i.pathways AS ics_pathways,
           CASE WHEN p.pathways > 0 THEN CAST(p.total_cost AS DOUBLE) / NULLIF(p.pathways, 0) END AS cost_per_pathway,
           CASE WHEN p.pathways > 0 THEN CAST(p.events AS DOUBLE) / NULLIF(p.pathways, 0) END AS events_per_pathway,
           CASE WHEN p.pathways > 0 THEN CAST(p.pathways_with_step AS DOUBLE) / NULLIF(p.pathways, 0) END AS share_with_step,
           CASE WHEN i.pathways > 0 THEN CAST(i.total_cost AS DOUBLE) / NULLIF(i.pathways, 0) END AS ics_cost_per_pathway,
           CASE WHEN i.pathways > 0 THEN CAST(i.events AS DOUBLE) / NULLIF(i.pathways, 0) END AS ics_events_per_pathway
    FROM provider_steps AS p
    JOIN ics AS i ON i.fin_year = p.fin_year AND i.pathway = p.pathway AND i.step = p.step
)
SELECT c.fin_year, c.pathway, c.pathway_label, c.index_org_code AS org_code,
       coalesce(pr.name, c.index_org_code) AS provider_name, c.step, c.step_order, c.pathways,
       c.pathways_with_step, c.events, c.total_cost, c.cost_per_pathway, c.events_per_pathway, c.share_with_step,
       c.ics_pathways, c.ics_cost_per_pathway, c.ics_events_per_pathway,
       c.cost_per_pathway - c.ics_cost_per_pathway AS difference_per_pathway,
       CASE WHEN c.cost_per_pathway > c.ics_cost_per_pathway
            THEN (c.cost_per_pathway - c.ics_cost_per_pathway) * c.pathways ELSE 0 END AS opportunity_vs_ics,
       c.pathways_incomplete,
       s.refresh_id,
       dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors,
       ics_dom.ics_cost AS ics_dominance_cost, ics_dom.ics_largest AS ics_dominance_largest,
       ics_dom.ics_second AS ics_dominance_second, ics_dom.ics_contributors AS ics_dominance_contributors
FROM compared AS c
LEFT JOIN providers AS pr ON pr.org_code = c.index_org_code
LEFT JOIN pathway_dominance AS dom
    ON dom.fin_year = c.fin_year AND dom.pathway = c.pathway AND dom.step = c.step AND dom.org_code = c.index_org_code
LEFT JOIN (
    SELECT DISTINCT fin_year, pathway, step, ics_cost, ics_largest, ics_second, ics_contributors
    FROM pathway_dominance
) AS ics_dom
    ON ics_dom.fin_year = c.fin_year AND ics_dom.pathway = c.pathway AND ics_dom.step = c.step
CROSS JOIN results.refresh_parameters AS s
