-- clinical_support: pharmacy, imaging and pathology cost and usage per case, against the ICS.
-- Grain: one row per financial year, setting, POD, HRG and provider, where any provider has clinical support cost.
-- Inputs: event_costs, results.refresh_parameters
-- Published: yes
-- About: Clinical support opportunities: cost per case and usage per case (items dispensed, imaging examinations,
--   pathology tests) for each service against the ICS. A high cost per case with ordinary usage points at the unit
--   price of the service; high usage at ordering practice. Each opportunity is (provider's cost per case - ICS cost
--   per case) x cases, floored at 0; the three services do not overlap, so their opportunities can be added for one
--   cell, but not across benchmarks or with unit_cost_benchmark (which already includes them).
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   pod [key] point of delivery
--   hrg [key] HRG or currency
--   org_code [key] provider ODS code
--   activity [count] the provider's records in the cell
--   pharmacy_cost_per_case [from activity] pharmacy and medicines cost / activity, pounds
--   imaging_cost_per_case [from activity] imaging cost / activity, pounds
--   pathology_cost_per_case [from activity] pathology cost / activity, pounds
--   items_per_case [from activity] pharmacy items dispensed / activity
--   examinations_per_case [from activity] imaging examinations / activity
--   tests_per_case [from activity] pathology tests / activity
--   ics_activity [count] records in the cell across every provider
--   ics_pharmacy_cost_per_case [from ics_activity] the same across every provider, pounds
--   ics_imaging_cost_per_case [from ics_activity] the same across every provider, pounds
--   ics_pathology_cost_per_case [from ics_activity] the same across every provider, pounds
--   ics_items_per_case [from ics_activity] the same across every provider
--   ics_examinations_per_case [from ics_activity] the same across every provider
--   ics_tests_per_case [from ics_activity] the same across every provider
--   pharmacy_opportunity_vs_ics [total from activity] (pharmacy cost per case - ICS) x activity, floored at 0, pounds
--   imaging_opportunity_vs_ics [total from activity] (imaging cost per case - ICS) x activity, floored at 0, pounds
--   pathology_opportunity_vs_ics [total from activity] (pathology cost per case - ICS) x activity, floored at 0, pounds
--   refresh_id [shown] the refresh that wrote the row
WITH provider_cells AS (
    SELECT fin_year, setting, pod, hrg, org_code,
           count(*) AS activity,
           sum(pharmacy_cost) AS pharmacy_cost,
           sum(imaging_cost) AS imaging_cost,
           sum(pathology_cost) AS pathology_cost,
           sum(items) AS items,
           sum(examinations) AS examinations,
           sum(tests) AS tests
    FROM event_costs
    WHERE has_activity_record = 1
    GROUP BY fin_year, setting, pod, hrg, org_code
),
ics AS (
    SELECT fin_year, setting, pod, hrg,
           sum(activity) AS ics_activity,
           CAST(sum(pharmacy_cost) AS DOUBLE) / NULLIF(sum(activity), 0) AS ics_pharmacy_cost_per_case,
           CAST(sum(imaging_cost) AS DOUBLE) / NULLIF(sum(activity), 0) AS ics_imaging_cost_per_case,
           CAST(sum(pathology_cost) AS DOUBLE) / NULLIF(sum(activity), 0) AS ics_pathology_cost_per_case,
           sum(items) / NULLIF(sum(activity), 0) AS ics_items_per_case,
           sum(examinations) / NULLIF(sum(activity), 0) AS ics_examinations_per_case,
           sum(tests) / NULLIF(sum(activity), 0) AS ics_tests_per_case
    FROM provider_cells
    GROUP BY fin_year, setting, pod, hrg
    HAVING sum(CASE WHEN pharmacy_cost <> 0 OR imaging_cost <> 0 OR pathology_cost <> 0 THEN 1 ELSE 0 END) > 0
),
per_case AS (
    SELECT p.fin_year, p.setting, p.pod, p.hrg, p.org_code, p.activity,
           CAST(p.pharmacy_cost AS DOUBLE) / NULLIF(p.activity, 0) AS pharmacy_cost_per_case,
           CAST(p.imaging_cost AS DOUBLE) / NULLIF(p.activity, 0) AS imaging_cost_per_case,
           CAST(p.pathology_cost AS DOUBLE) / NULLIF(p.activity, 0) AS pathology_cost_per_case,
           p.items / NULLIF(p.activity, 0) AS items_per_case,
           p.examinations / NULLIF(p.activity, 0) AS examinations_per_case,
           p.tests / NULLIF(p.activity, 0) AS tests_per_case,
           i.ics_activity, i.ics_pharmacy_cost_per_case, i.ics_imaging_cost_per_case, i.ics_pathology_cost_per_case,
           i.ics_items_per_case, i.ics_examinations_per_case, i.ics_tests_per_case
    FROM provider_cells AS p
    JOIN ics AS i ON i.fin_year = p.fin_year AND i.setting = p.setting AND i.pod = p.pod AND i.hrg = p.hrg
)
SELECT c.*,
       CASE WHEN c.pharmacy_cost_per_case > c.ics_pharmacy_cost_per_case
            THEN (c.pharmacy_cost_per_case - c.ics_pharmacy_cost_per_case) * c.activity ELSE 0 END
           AS pharmacy_opportunity_vs_ics,
       CASE WHEN c.imaging_cost_per_case > c.ics_imaging_cost_per_case
            THEN (c.imaging_cost_per_case - c.ics_imaging_cost_per_case) * c.activity ELSE 0 END
           AS imaging_opportunity_vs_ics,
       CASE WHEN c.pathology_cost_per_case > c.ics_pathology_cost_per_case
            THEN (c.pathology_cost_per_case - c.ics_pathology_cost_per_case) * c.activity ELSE 0 END
           AS pathology_opportunity_vs_ics,
       s.refresh_id
FROM per_case AS c
CROSS JOIN results.refresh_parameters AS s
