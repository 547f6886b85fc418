-- data_quality_summary: the data-quality report rolled up to provider and setting, for `icsbench quality`.
-- Grain: one row per (org_code, setting). Input: data_quality. Shares are weighted by records.
SELECT org_code, setting,
       count(*) AS periods,
       sum(records) AS records,
       sum(cost_lines) AS cost_lines,
       sum(cost_loaded) AS cost_loaded,
       sum(rows_rejected) AS rows_rejected,
       sum(warnings) AS warnings,
       sum(zero_cost_share * records) / nullif(sum(records), 0) AS zero_cost_share,
       sum(missing_hrg_share * records) / nullif(sum(records), 0) AS missing_hrg_share,
       sum(records_with_patient * records) / nullif(sum(records), 0) AS records_with_patient,
       string_agg(DISTINCT control_total_status, '; ' ORDER BY control_total_status) AS control_total_status
FROM data_quality
WHERE $provider IS NULL OR org_code = $provider
GROUP BY org_code, setting
ORDER BY org_code, setting;
