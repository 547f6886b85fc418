-- workbook_data_quality: the Data quality sheet of ICS Benchmarking.xlsx.
-- Grain: one row per provider, setting, financial year and period; published (suppressed) figures only.
-- Inputs: published.data_quality.
-- Columns: as in data_quality (docs/metrics.md), the ones a finance reader needs.
SELECT org_code, provider_name, setting, fin_year, period, records, cost_loaded, records_with_patient,
       zero_cost_share, missing_hrg_share, rows_rejected, warnings, control_total_status
FROM published.data_quality
ORDER BY org_code, setting, fin_year, period;
