-- service_line_wards: ward cost per bed day on the wards each service line's patients use, by provider.
-- Grain: one row per service line, financial year, provider and ward (the location on ward care cost lines).
-- Inputs: cost_lines, service_records, cell_dominance, results.refresh_parameters
-- Published: yes
-- About: The seed's costing system configuration slide for one service: the ward care cost lines of the service
--   line's records, ward by ward, so costing teams can see how each provider spreads ward cost over the bed days of
--   the wards this service uses. A big difference between wards with similar patients usually means a different
--   costing choice before it means different care. Ward cost and bed days add up across wards (to the service
--   line's ward cost in service_line_benchmark); cost per bed day does not.
-- Columns:
--   service_line [key] service line name from the config
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   ward [key] ward code as the provider sent it; (no ward given) where the lines had none
--   episodes [count] records of the service line with ward care cost on the ward
--   ward_cost [total from episodes] ward care cost of those records on the ward, pounds
--   bed_days [total from episodes] bed days counted on those lines
--   cost_per_bed_day [from episodes] ward_cost / bed_days, pounds
--   provider_episodes [count] records of the service line with ward care cost at the provider
--   provider_cost_per_bed_day [from provider_episodes] the provider's ward cost per bed day over the service line's
--     wards, pounds
--   ics_episodes [count] records of the service line with ward care cost across every provider
--   ics_cost_per_bed_day [from ics_episodes] the same across every provider, pounds
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of episodes] the service line's ward care cost on the ward by size (a credit
--     counted as positive; cell_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of episodes] the ward cost of its largest contributor (a patient's records
--     added up, or a record without a patient), pounds; never published
--   dominance_second [dominance second of episodes] its second largest contributor's, pounds; never published
--   dominance_contributors [dominance contributors of episodes] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   provider_dominance_cost [dominance total of provider_episodes] the service line's ward care cost at the provider
--     by size (service_line_drivers' ward cell), pounds; never published
--   provider_dominance_largest [dominance largest of provider_episodes] its largest contributor's, pounds; never
--     published
--   provider_dominance_second [dominance second of provider_episodes] its second largest, pounds; never published
--   provider_dominance_contributors [dominance contributors of provider_episodes] how many contributors (patients) of
--     non-zero cost it comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_episodes] the service line's ward care cost across every provider by
--     size, pounds; never published
--   ics_dominance_largest [dominance largest of ics_episodes] its largest contributor's, pounds; never published
--   ics_dominance_second [dominance second of ics_episodes] its second largest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_episodes] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
WITH service_lines AS (
    SELECT s.service_line, s.fin_year, s.org_code, s.setting, s.record_id,
           coalesce(l.location, '(no ward given)') AS ward,
           l.cost, CASE WHEN l.activity_unit = 'bed_days' THEN l.activity_count ELSE 0 END AS bed_days
    FROM service_records AS s
    JOIN cost_lines AS l ON l.setting = s.setting AND l.org_code = s.org_code AND l.record_id = s.record_id
    WHERE l.cost_driver = 'ward'
),
wards AS (
    SELECT service_line, fin_year, org_code, ward, count(DISTINCT record_id) AS episodes, sum(cost) AS ward_cost,
           sum(bed_days) AS bed_days
    FROM service_lines
    GROUP BY service_line, fin_year, org_code, ward
),
providers AS (
    SELECT service_line, fin_year, org_code, count(DISTINCT record_id) AS provider_episodes, sum(cost) AS ward_cost,
           sum(bed_days) AS bed_days
    FROM service_lines
    GROUP BY service_line, fin_year, org_code
),
ics AS (
    -- A record belongs to one provider, so the ICS's records and sums are the providers' added up: no third pass
    -- over the lines.
    SELECT service_line, fin_year, CAST(sum(provider_episodes) AS BIGINT) AS ics_episodes,
           CAST(sum(ward_cost) AS DOUBLE) / nullif(CAST(sum(bed_days) AS DOUBLE), 0) AS ics_cost_per_bed_day
    FROM providers
    GROUP BY service_line, fin_year
),
ward_dominance AS (
    SELECT fin_year, org_code, detail, cost, largest, second, contributors
    FROM cell_dominance
    WHERE family = 'service_ward_cost'
),
driver_dominance AS (
    -- The service line's ward care cost at the provider and across the ICS: service_line_drivers' ward cell.
    SELECT fin_year, org_code, detail, cost, largest, second, contributors, ics_cost, ics_largest, ics_second,
           ics_contributors
    FROM cell_dominance
    WHERE family = 'service_driver_cost'
)
SELECT w.service_line, w.fin_year, w.org_code, w.ward, w.episodes, w.ward_cost, CAST(w.bed_days AS DOUBLE) AS bed_days,
       CAST(w.ward_cost AS DOUBLE) / nullif(CAST(w.bed_days AS DOUBLE), 0) AS cost_per_bed_day,
       p.provider_episodes,
       CAST(p.ward_cost AS DOUBLE) / nullif(CAST(p.bed_days AS DOUBLE), 0) AS provider_cost_per_bed_day,
       i.ics_episodes, i.ics_cost_per_bed_day, s.refresh_id,
       d.cost AS dominance_cost, d.largest AS dominance_largest, d.second AS dominance_second,
       d.contributors AS dominance_contributors,
       pd.cost AS provider_dominance_cost, pd.largest AS provider_dominance_largest,
       pd.second AS provider_dominance_second, pd.contributors AS provider_dominance_contributors,
       id.ics_cost AS ics_dominance_cost, id.ics_largest AS ics_dominance_largest,
       id.ics_second AS ics_dominance_second, id.ics_contributors AS ics_dominance_contributors
FROM wards AS w
JOIN providers AS p ON p.service_line = w.service_line AND p.fin_year = w.fin_year AND p.org_code = w.org_code
JOIN ics AS i ON i.service_line = w.service_line AND i.fin_year = w.fin_year
LEFT JOIN ward_dominance AS d
    ON d.fin_year = w.fin_year AND d.org_code = w.org_code AND d.detail = w.service_line || '|' || w.ward
LEFT JOIN driver_dominance AS pd
    ON pd.fin_year = w.fin_year AND pd.org_code = w.org_code AND pd.detail = w.service_line || '|ward'
LEFT JOIN (
    SELECT DISTINCT fin_year, detail, ics_cost, ics_largest, ics_second, ics_contributors
    FROM driver_dominance
) AS id
    ON id.fin_year = w.fin_year AND id.detail = w.service_line || '|ward'
CROSS JOIN results.refresh_parameters AS s
