-- data_quality_by_period: the data-quality report per provider, setting and period, for `icsbench quality --by period`.
-- Grain: one row per (org_code, setting, fin_year, period). Input: data_quality. Parameter $provider (or NULL for all).
SELECT org_code, setting, fin_year || ' P' || period AS period, records, cost_lines, cost_loaded, rows_rejected,
       warnings, zero_cost_share, missing_hrg_share, records_with_patient, control_total_status
FROM data_quality
WHERE $provider IS NULL OR org_code = $provider
ORDER BY org_code, setting, fin_year, data_quality.period;
