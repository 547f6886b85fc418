-- system_cost: where the system's money goes: total cost and activity by year, quarter, setting, POD, HRG and provider.
-- Grain: one row per financial year, quarter, setting, POD, HRG and provider.
-- Inputs: event_costs, providers, cell_dominance
-- Published: yes
-- About: The system overview. Every pound loaded is here exactly once, so the full figures add up in any direction
--   and reconcile to the penny with the cost loaded (the refresh checks this before it publishes). In the published
--   figures, the cost of cells with 1 to 7 records is blank, so a published total falls short of the cost loaded by
--   exactly the cost of those cells; ask the costing team for the full total. Cost lines whose activity record is
--   not held appear under POD UNLINKED rather than being dropped.
-- Columns:
--   fin_year [key] financial year, e.g. 2023/24
--   quarter [key] quarter of the financial year, 1 = April to June
--   setting [key] apc (admitted care), op (outpatients), ec (emergency care), cc (critical care), mh (mental health)
--     or chs (community health services)
--   pod [key] point of delivery
--   hrg_chapter [key] the HRG4+ chapter (one letter, e.g. H for the musculoskeletal system) or, for a currency
--     outside HRG4+, its currency group (mental_health, community, ...; none where blank); names in dim_hrg
--   hrg [key] HRG or currency; blank where none was given
--   org_code [key] provider ODS code
--   provider_name [key] provider name from the ICS config
--   activity [count] records: episodes, attendances, critical care periods or contacts
--   total_cost [total from activity] cost of those records, pounds
--   mean_cost [from activity] total_cost / activity: average cost per record, pounds
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of activity] the cell's cost by size (a credit counted as positive; cell_dominance,
--     system_cost: the records with an activity record and a known POD), pounds; read by the dominance rule, never
--     published
--   dominance_largest [dominance largest of activity] the cost of the cell's largest contributor (a patient's records
--     added up, or a record without a patient), pounds; never published
--   dominance_second [dominance second of activity] its second largest contributor's cost, pounds; never published
--   dominance_contributors [dominance contributors of activity] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
WITH cells AS (
    SELECT e.fin_year, e.quarter, e.setting, e.pod, e.hrg_chapter, e.hrg, e.org_code,
           coalesce(p.name, e.org_code) AS provider_name,
           sum(e.has_activity_record) AS activity,
           sum(e.total_cost) AS total_cost,
           CAST(sum(e.total_cost) AS DOUBLE) / nullif(sum(e.has_activity_record), 0) AS mean_cost,
           max(e.refresh_id) AS refresh_id
    FROM event_costs AS e
    LEFT JOIN providers AS p ON p.org_code = e.org_code
    GROUP BY e.fin_year, e.quarter, e.setting, e.pod, e.hrg_chapter, e.hrg, e.org_code, coalesce(p.name, e.org_code)
)
SELECT c.fin_year, c.quarter, c.setting, c.pod, c.hrg_chapter, c.hrg, c.org_code, c.provider_name, c.activity,
       c.total_cost, c.mean_cost, c.refresh_id,
       d.cost AS dominance_cost, d.largest AS dominance_largest, d.second AS dominance_second,
       d.contributors AS dominance_contributors
FROM cells AS c
LEFT JOIN cell_dominance AS d
    ON d.family = 'system_cost' AND d.fin_year = c.fin_year AND d.detail = 'Q' || CAST(c.quarter AS VARCHAR)
   AND d.setting = c.setting AND d.pod = c.pod AND d.hrg = c.hrg AND d.org_code = c.org_code
