-- top_opportunities: the largest cost opportunities against a benchmark, from the published (suppressed) results.
-- Grain: one row per cell of published.unit_cost_benchmark that counts in the headline totals (enough cases),
-- largest first. Parameters: $provider (NULL for all), $limit. Inputs: published.unit_cost_benchmark. Each row's
-- opportunity is (cost per unit of count - ICS average) x units, floored at 0 on its own; rows overlap in nothing,
-- but opportunities against different benchmarks must not be added together.
SELECT org_code, setting, pod, tfc, hrg, unit_of_count, activity, units, mean_cost, ics_mean_cost,
       best_in_system_cost, national_mean_cost, opportunity_vs_ics, opportunity_vs_best, outlier_95, outlier_99_8
FROM published.unit_cost_benchmark
WHERE ($provider IS NULL OR org_code = $provider) AND in_headline = 1 AND opportunity_vs_ics > 0
ORDER BY opportunity_vs_ics DESC, org_code, setting, pod, tfc, hrg
LIMIT $limit;
