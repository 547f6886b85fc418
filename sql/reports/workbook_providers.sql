-- workbook_providers: the Overview sheet of ICS Benchmarking.xlsx, one row per provider for the year.
-- Grain: one row per provider with activity in the latest financial year; published (suppressed) figures only.
-- Inputs: published.opportunity_summary (the provider-level rows: every POD, every HRG, total cost).
-- Columns: fin_year; org_code; activity; cost; opportunity_vs_ics, _median, _best, _national (sums of the headline
--   cells, each floored at 0); net_vs_ics and net_vs_national (both signs); significant_vs_ics (outside the funnel).
SELECT fin_year, org_code, activity, cost,
       opportunity_vs_ics, opportunity_vs_median, opportunity_vs_best, opportunity_vs_national, net_vs_ics,
       net_vs_national, significant_vs_ics
FROM published.opportunity_summary
WHERE fin_year = (SELECT max(fin_year) FROM published.opportunity_summary)
  AND pod = '(all)' AND hrg = '(all)' AND cost_driver = '(all)'
ORDER BY org_code;
