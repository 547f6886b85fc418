-- clinical_support: pharmacy, imaging and pathology cost and usage per case, against the ICS.
-- Grain: one row per financial year, setting, POD, HRG and provider, where any provider has clinical support cost.
-- Inputs: event_costs, cell_dominance, results.refresh_parameters
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
--   pharmacy_dominance_cost [dominance total of activity for pharmacy] the provider's pharmacy and medicines cost in
--     the cell by size (a credit counted as positive; cell_dominance), pounds; read by the dominance rule, never
--     published
--   pharmacy_dominance_largest [dominance largest of activity for pharmacy] the cost of the provider's largest pharmacy
--     contributor (a patient's records in the cell added up), pounds; never published
--   pharmacy_dominance_second [dominance second of activity for pharmacy] its second largest, pounds; never published
--   pharmacy_dominance_contributors [dominance contributors of activity for pharmacy] how many contributors (patients)
--     of non-zero cost it comes from; read by the threshold rule, never published
--   ics_pharmacy_dominance_cost [dominance total of ics_activity for pharmacy] the cell's pharmacy and medicines cost
--     across every provider, pounds; never published
--   ics_pharmacy_dominance_largest [dominance largest of ics_activity for pharmacy] its largest contributor's, pounds;
--     never published
--   ics_pharmacy_dominance_second [dominance second of ics_activity for pharmacy] its second largest, pounds; never
--     published
--   ics_pharmacy_dominance_contributors [dominance contributors of ics_activity for pharmacy] how many contributors
--     (patients) of non-zero cost it comes from; read by the threshold rule, never published
--   imaging_dominance_cost [dominance total of activity for imaging] the provider's imaging cost in the cell by size (a
--     credit counted as positive; cell_dominance), pounds; read by the dominance rule, never published
--   imaging_dominance_largest [dominance largest of activity for imaging] the cost of the provider's largest imaging
--     contributor (a patient's records in the cell added up), pounds; never published
--   imaging_dominance_second [dominance second of activity for imaging] its second largest, pounds; never published
--   imaging_dominance_contributors [dominance contributors of activity for imaging] how many contributors (patients) of
--     non-zero cost it comes from; read by the threshold rule, never published
--   ics_imaging_dominance_cost [dominance total of ics_activity for imaging] the cell's imaging cost across every
--     provider, pounds; never published
--   ics_imaging_dominance_largest [dominance largest of ics_activity for imaging] its largest contributor's, pounds;
--     never published
--   ics_imaging_dominance_second [dominance second of ics_activity for imaging] its second largest, pounds; never
--     published
--   ics_imaging_dominance_contributors [dominance contributors of ics_activity for imaging] how many contributors
--     (patients) of non-zero cost it comes from; read by the threshold rule, never published
--   pathology_dominance_cost [dominance total of activity for pathology] the provider's pathology cost in the cell by
--     size (a credit counted as positive; cell_dominance), pounds; read by the dominance rule, never published
--   pathology_dominance_largest [dominance largest of activity for pathology] the cost of the provider's largest
--     pathology contributor (a patient's records in the cell added up), pounds; never published
--   pathology_dominance_second [dominance second of activity for pathology] its second largest, pounds; never published
--   pathology_dominance_contributors [dominance contributors of activity for pathology] how many contributors
--     (patients) of non-zero cost it comes from; read by the threshold rule, never published
--   ics_pathology_dominance_cost [dominance total of ics_activity for pathology] the cell's pathology cost across every
--     provider, pounds; never published
--   ics_pathology_dominance_largest [dominance largest of ics_activity for pathology] its largest contributor's,
--     pounds; never published
--   ics_pathology_dominance_second [dominance second of ics_activity for pathology] its second largest, pounds; never
--     published
--   ics_pathology_dominance_contributors [dominance contributors of ics_activity for pathology] how many contributors
--     (patients) of non-zero cost it comes from; read by the threshold rule, never published
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
support_ics AS (
    -- The dominance figures of each cell across every provider (the same on every provider's row of cell_dominance).
    SELECT DISTINCT fin_year, setting, pod, hrg, detail, ics_cost, ics_largest, ics_second, ics_contributors
    FROM cell_dominance
    WHERE family = 'support_cost'
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
       s.refresh_id,
       ph.cost AS pharmacy_dominance_cost, ph.largest AS pharmacy_dominance_largest,
       ph.second AS pharmacy_dominance_second, ph.contributors AS pharmacy_dominance_contributors,
       ph_ics.ics_cost AS ics_pharmacy_dominance_cost,
       ph_ics.ics_largest AS ics_pharmacy_dominance_largest, ph_ics.ics_second AS ics_pharmacy_dominance_second,
       ph_ics.ics_contributors AS ics_pharmacy_dominance_contributors,
       im.cost AS imaging_dominance_cost, im.largest AS imaging_dominance_largest,
       im.second AS imaging_dominance_second, im.contributors AS imaging_dominance_contributors,
       im_ics.ics_cost AS ics_imaging_dominance_cost,
       im_ics.ics_largest AS ics_imaging_dominance_largest, im_ics.ics_second AS ics_imaging_dominance_second,
       im_ics.ics_contributors AS ics_imaging_dominance_contributors,
       pa.cost AS pathology_dominance_cost, pa.largest AS pathology_dominance_largest,
       pa.second AS pathology_dominance_second, pa.contributors AS pathology_dominance_contributors,
       pa_ics.ics_cost AS ics_pathology_dominance_cost,
       pa_ics.ics_largest AS ics_pathology_dominance_largest, pa_ics.ics_second AS ics_pathology_dominance_second,
       pa_ics.ics_contributors AS ics_pathology_dominance_contributors
FROM per_case AS c
LEFT JOIN cell_dominance AS ph
    ON ph.family = 'support_cost' AND ph.detail = 'pharmacy' AND ph.fin_year = c.fin_year
   AND ph.setting = c.setting AND ph.pod = c.pod AND ph.hrg = c.hrg AND ph.org_code = c.org_code
LEFT JOIN support_ics AS ph_ics
    ON ph_ics.detail = 'pharmacy' AND ph_ics.fin_year = c.fin_year AND ph_ics.setting = c.setting
   AND ph_ics.pod = c.pod AND ph_ics.hrg = c.hrg
LEFT JOIN cell_dominance AS im
    ON im.family = 'support_cost' AND im.detail = 'imaging' AND im.fin_year = c.fin_year
   AND im.setting = c.setting AND im.pod = c.pod AND im.hrg = c.hrg AND im.org_code = c.org_code
LEFT JOIN support_ics AS im_ics
    ON im_ics.detail = 'imaging' AND im_ics.fin_year = c.fin_year AND im_ics.setting = c.setting
   AND im_ics.pod = c.pod AND im_ics.hrg = c.hrg
LEFT JOIN cell_dominance AS pa
    ON pa.family = 'support_cost' AND pa.detail = 'pathology' AND pa.fin_year = c.fin_year
   AND pa.setting = c.setting AND pa.pod = c.pod AND pa.hrg = c.hrg AND pa.org_code = c.org_code
LEFT JOIN support_ics AS pa_ics
    ON pa_ics.detail = 'pathology' AND pa_ics.fin_year = c.fin_year AND pa_ics.setting = c.setting
   AND pa_ics.pod = c.pod AND pa_ics.hrg = c.hrg
CROSS JOIN results.refresh_parameters AS s
