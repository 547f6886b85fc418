-- data_quality: how far each provider's data for each period can be trusted, beside the benchmarks built on it.
-- Grain: one row per provider, setting, financial year and period held in the store.
-- Inputs: data_quality, providers, results.refresh_parameters
-- Published: yes
-- About: From the checks made when the extracts were loaded (see `icsbench quality` for the reasons behind each
--   rejection). Read a benchmark together with the quality of the data under it: a provider with many rejected
--   rows, a high share of records with no cost or no HRG, or a control total that differs is not yet comparable.
--   Counts and cost add up across periods; shares do not.
-- Columns:
--   org_code [key] provider ODS code
--   provider_name [key] provider name from the ICS config
--   setting [key] apc, op, ec, cc, mh or chs
--   fin_year [key] financial year
--   period [key] month of the financial year, 1 = April
--   records [count] activity records loaded
--   cost_loaded [total from records] total cost loaded, pounds (exact)
--   records_with_patient [from records] share of records with a patient pseudonym (needed to link care)
--   zero_cost_share [from records] share of records with no cost, or costs adding to 0
--   missing_hrg_share [from records] share of records with no valid HRG or currency
--   cost_lines [total from records] cost lines loaded
--   negative_cost_lines [shown] cost lines below zero (credits), loaded and counted here
--   rows_rejected [shown] file rows of this period sent to quarantine
--   warnings [shown] warnings on rows of this period that loaded
--   control_total_status [shown] whether the files' control totals matched
--   loaded_from [shown] the files that hold the period's data
--   refresh_id [shown] the refresh that wrote the row
SELECT q.org_code, coalesce(p.name, q.org_code) AS provider_name, q.setting, q.fin_year, q.period, q.records,
       q.cost_loaded, q.records_with_patient, q.zero_cost_share, q.missing_hrg_share, q.cost_lines,
       q.negative_cost_lines, q.rows_rejected, q.warnings, q.control_total_status, q.loaded_from, s.refresh_id
FROM data_quality AS q
LEFT JOIN providers AS p ON p.org_code = q.org_code
CROSS JOIN results.refresh_parameters AS s
