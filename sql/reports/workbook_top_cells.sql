-- workbook_top_cells: the Provider opportunities sheet of ICS Benchmarking.xlsx.
-- Grain: one row per POD + TFC + HRG cell of one provider ($org_code) in the year ($fin_year), the $limit cells with
--   the largest published opportunity against the ICS mean (suppressed cells never qualify).
-- Inputs: published.unit_cost_benchmark.
-- Columns: the cell's keys, activity, mean cost, the ICS mean, best in system and national (the ICS's case mix at
--   national prices) costs, the opportunities
--   against the ICS mean and the best in system, and the funnel-plot outlier flags.
SELECT pod, tfc, hrg, activity, mean_cost, ics_mean_cost, best_in_system_cost, ics_national_mean_cost,
       opportunity_vs_ics, opportunity_vs_best, outlier_95, outlier_99_8
FROM published.unit_cost_benchmark
WHERE fin_year = $fin_year AND org_code = $org_code AND opportunity_vs_ics > 0
ORDER BY opportunity_vs_ics DESC, pod, tfc, hrg
LIMIT $limit;
