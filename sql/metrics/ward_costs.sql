-- ward_costs: cost per bed day on each ward of each provider (the costing system configuration view).
-- Grain: one row per financial year, provider and ward (the location on ward care cost lines).
-- Inputs: cost_lines, cell_dominance, results.refresh_parameters
-- Published: yes
-- About: How each provider's costing system spreads ward cost over bed days, ward by ward, so costing teams can
--   compare their methods and configuration. Big differences between similar wards usually mean different
--   costing choices (what is charged to the ward, how bed days are counted) before they mean different care.
--   Ward cost and bed days add up across wards; cost per bed day does not.
-- Columns:
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   ward [key] ward code as the provider sent it; (no ward given) where the lines had none
--   episodes [count] records with ward care cost on the ward
--   ward_cost [total from episodes] ward care cost on the ward, pounds
--   bed_days [total from episodes] bed days counted on the ward's cost lines
--   cost_per_bed_day [from episodes] ward_cost / bed_days, pounds
--   provider_cost_per_bed_day [shown] the provider's ward cost per bed day over all its wards, pounds
--   ics_cost_per_bed_day [shown] the same across every provider, pounds
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of episodes] the ward's ward care cost by size (a credit counted as positive;
--     cell_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of episodes] the ward cost of the ward's largest contributor (a patient's
--     records added up, or a record without a patient), pounds; never published
--   dominance_second [dominance second of episodes] its second largest contributor's, pounds; never published
--   dominance_contributors [dominance contributors of episodes] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
WITH wards AS (
    SELECT fin_year, org_code, coalesce(location, '(no ward given)') AS ward,
           count(DISTINCT setting || '|' || record_id) AS episodes,
           sum(cost) AS ward_cost,
           sum(CASE WHEN activity_unit = 'bed_days' THEN activity_count ELSE 0 END) AS bed_days
    FROM cost_lines
    WHERE cost_driver = 'ward'
    GROUP BY fin_year, org_code, coalesce(location, '(no ward given)')
),
provider_rates AS (
    SELECT fin_year, org_code, CAST(sum(ward_cost) AS DOUBLE) / nullif(sum(bed_days), 0) AS provider_cost_per_bed_day
    FROM wards
    GROUP BY fin_year, org_code
),
ics AS (
    SELECT fin_year, CAST(sum(ward_cost) AS DOUBLE) / nullif(sum(bed_days), 0) AS ics_cost_per_bed_day
    FROM wards
    GROUP BY fin_year
)
SELECT w.fin_year, w.org_code, w.ward, w.episodes, w.ward_cost, w.bed_days,
       CAST(w.ward_cost AS DOUBLE) / nullif(w.bed_days, 0) AS cost_per_bed_day,
       p.provider_cost_per_bed_day, i.ics_cost_per_bed_day, s.refresh_id,
       d.cost AS dominance_cost, d.largest AS dominance_largest, d.second AS dominance_second,
       d.contributors AS dominance_contributors
FROM wards AS w
JOIN provider_rates AS p ON p.fin_year = w.fin_year AND p.org_code = w.org_code
JOIN ics AS i ON i.fin_year = w.fin_year
LEFT JOIN cell_dominance AS d
    ON d.family = 'ward_cost' AND d.fin_year = w.fin_year AND d.org_code = w.org_code AND d.detail = w.ward
CROSS JOIN results.refresh_parameters AS s
