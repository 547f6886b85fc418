-- los_summary: each provider's length-of-stay opportunity added up by POD and HRG.
-- Grain: one row per financial year, provider and level: the whole provider, a POD, or a POD and HRG.
-- Inputs: results.los_benchmark, results.refresh_parameters
-- Published: yes
-- About: The excess bed days and their cost from los_benchmark added up over its cells (POD + TFC + spell HRG), so that
--   a total for a POD or an HRG is right even where a cell is too small to publish. Stays are trimmed at the HRG's
--   trim point, as in los_benchmark. Only cells with at least the configured minimum spells for a headline count in
--   the excess totals; each cell is floored at 0 before it is added (the seed's method), and the net figures keep
--   both signs. pod and hrg say (all) where the row adds up every POD or every HRG; do not add rows of different
--   levels, and do not add the excess cost to the cost opportunity in opportunity_summary (ward cost is in both).
-- Columns:
--   fin_year [key] financial year
--   org_code [key] provider ODS code
--   pod [key] point of delivery: EL, NEL, NES, DC or RP; (all) for all admitted care
--   hrg [key] spell HRG; (all) for every HRG of the POD
--   cells [shown] POD + TFC + HRG cells added up
--   cells_in_headline [shown] of those, the cells with enough spells to count in the excess totals
--   spells [count] the provider's spells
--   bed_days [total from spells] their total length of stay, days (untrimmed)
--   trimmed_bed_days [total from spells] the same with each stay capped at its trim point, days
--   long_stay_bed_days [total from spells] days beyond the trim points
--   mean_los [from spells] trimmed_bed_days / spells
--   ics_spells [count] spells across every provider at the same level
--   ics_mean_los [from ics_spells] all providers' trimmed bed days / all providers' spells at the same level
--   excess_bed_days_vs_ics [total from spells] sum of the cells' excess bed days against the ICS average
--   excess_bed_days_vs_best [total from spells] sum of the cells' excess bed days against the best in system; cells
--     without a best in system add nothing
--   excess_cost_vs_ics [total from spells] sum of the cells' excess bed days against the ICS average, valued at the
--     provider's ward cost per bed day, pounds
--   excess_cost_vs_best [total from spells] the same against the best in system, pounds
--   net_bed_days_vs_ics [total from spells] sum of the headline cells' net bed days against the ICS average (both signs)
--   net_cost_vs_ics [total from spells] the same valued at the provider's ward cost per bed day, pounds
--   refresh_id [shown] the refresh that wrote the row
WITH cells AS (
    -- Excess bed days and pounds to the 10-billionth before they are added up, so the totals are exact sums, the same
    -- whatever order the cells arrive in (a sum of floating-point numbers depends on the order of adding). Cells with
    -- too few spells for a headline add nothing to the excess totals.
    SELECT fin_year, org_code, pod, hrg, in_headline, spells, bed_days,
           CAST(trimmed_bed_days AS DECIMAL(38, 10)) AS trimmed_bed_days,
           CAST(long_stay_bed_days AS DECIMAL(38, 10)) AS long_stay_bed_days,
           CAST(in_headline * excess_bed_days_vs_ics AS DECIMAL(38, 10)) AS excess_bed_days_vs_ics,
           CAST(in_headline * excess_bed_days_vs_best AS DECIMAL(38, 10)) AS excess_bed_days_vs_best,
           CAST(in_headline * excess_cost_vs_ics AS DECIMAL(38, 10)) AS excess_cost_vs_ics,
           CAST(in_headline * excess_cost_vs_best AS DECIMAL(38, 10)) AS excess_cost_vs_best,
           CAST(in_headline * net_bed_days_vs_ics AS DECIMAL(38, 10)) AS net_bed_days_vs_ics,
           CAST(in_headline * net_cost_vs_ics AS DECIMAL(38, 10)) AS net_cost_vs_ics
    FROM results.los_benchmark
),
levels AS (
    SELECT fin_year, org_code, '(all)' AS pod, '(all)' AS hrg, count(*) AS cells,
           sum(in_headline) AS cells_in_headline, sum(spells) AS spells,
           sum(bed_days) AS bed_days, sum(trimmed_bed_days) AS trimmed_bed_days,
           sum(long_stay_bed_days) AS long_stay_bed_days, sum(excess_bed_days_vs_ics) AS excess_bed_days_vs_ics,
           sum(excess_bed_days_vs_best) AS excess_bed_days_vs_best, sum(excess_cost_vs_ics) AS excess_cost_vs_ics,
           sum(excess_cost_vs_best) AS excess_cost_vs_best, sum(net_bed_days_vs_ics) AS net_bed_days_vs_ics,
           sum(net_cost_vs_ics) AS net_cost_vs_ics
    FROM cells
    GROUP BY fin_year, org_code
    UNION ALL
    SELECT fin_year, org_code, pod, '(all)' AS hrg, count(*) AS cells,
           sum(in_headline) AS cells_in_headline, sum(spells) AS spells,
           sum(bed_days) AS bed_days, sum(trimmed_bed_days) AS trimmed_bed_days,
           sum(long_stay_bed_days) AS long_stay_bed_days, sum(excess_bed_days_vs_ics) AS excess_bed_days_vs_ics,
           sum(excess_bed_days_vs_best) AS excess_bed_days_vs_best, sum(excess_cost_vs_ics) AS excess_cost_vs_ics,
           sum(excess_cost_vs_best) AS excess_cost_vs_best, sum(net_bed_days_vs_ics) AS net_bed_days_vs_ics,
           sum(net_cost_vs_ics) AS net_cost_vs_ics
    FROM cells
    GROUP BY fin_year, org_code, pod
    UNION ALL
    SELECT fin_year, org_code, pod, hrg, count(*) AS cells,
           sum(in_headline) AS cells_in_headline, sum(spells) AS spells,
           sum(bed_days) AS bed_days, sum(trimmed_bed_days) AS trimmed_bed_days,
           sum(long_stay_bed_days) AS long_stay_bed_days, sum(excess_bed_days_vs_ics) AS excess_bed_days_vs_ics,
           sum(excess_bed_days_vs_best) AS excess_bed_days_vs_best, sum(excess_cost_vs_ics) AS excess_cost_vs_ics,
           sum(excess_cost_vs_best) AS excess_cost_vs_best, sum(net_bed_days_vs_ics) AS net_bed_days_vs_ics,
           sum(net_cost_vs_ics) AS net_cost_vs_ics
    FROM cells
    GROUP BY fin_year, org_code, pod, hrg
),
ics AS (
    SELECT fin_year, pod, hrg, sum(spells) AS ics_spells,
           CAST(sum(trimmed_bed_days) AS DOUBLE) / NULLIF(sum(spells), 0) AS ics_mean_los
    FROM levels
    GROUP BY fin_year, pod, hrg
)
SELECT l.fin_year, l.org_code, l.pod, l.hrg, l.cells, l.cells_in_headline, l.spells, l.bed_days,
       CAST(l.trimmed_bed_days AS DOUBLE) AS trimmed_bed_days,
       CAST(l.long_stay_bed_days AS DOUBLE) AS long_stay_bed_days,
       CAST(l.trimmed_bed_days AS DOUBLE) / NULLIF(l.spells, 0) AS mean_los,
       i.ics_spells, i.ics_mean_los,
       CAST(l.excess_bed_days_vs_ics AS DOUBLE) AS excess_bed_days_vs_ics,
       CAST(l.excess_bed_days_vs_best AS DOUBLE) AS excess_bed_days_vs_best,
       CAST(l.excess_cost_vs_ics AS DOUBLE) AS excess_cost_vs_ics,
       CAST(l.excess_cost_vs_best AS DOUBLE) AS excess_cost_vs_best,
       CAST(l.net_bed_days_vs_ics AS DOUBLE) AS net_bed_days_vs_ics,
       CAST(l.net_cost_vs_ics AS DOUBLE) AS net_cost_vs_ics,
       s.refresh_id
FROM levels AS l
JOIN ics AS i ON i.fin_year = l.fin_year AND i.pod = l.pod AND i.hrg = l.hrg
CROSS JOIN results.refresh_parameters AS s
