-- critical_care: cost per critical care bed day by unit type and HRG, and critical care days per linked spell.
-- Grain: one row per financial year, unit type, critical care HRG and provider.
-- Inputs: provider_year_quality, benchmark_cells, event_costs, cell_dominance, results.refresh_parameters
-- Published: yes
-- About: Critical care is compared per critical care day (bed day), the unit the national schedule prices it in,
--   here and everywhere else (unit_cost_benchmark and opportunity_summary too). Opportunity =
--   (provider's cost per bed day - benchmark) x the provider's bed days, floored at 0; do not add opportunities
--   across benchmarks. Linked spells are the admitted care spells the periods belong to (through the linked
--   episode); critical care days per spell shows how much critical care each stay needing it used.
-- Columns:
--   fin_year [key] financial year
--   unit_type [key] adult, paediatric or neonatal
--   hrg [key] critical care HRG (XA, XB or XC)
--   unit_of_count [key] critical_care_day
--   org_code [key] provider ODS code
--   periods [count] critical care periods
--   bed_days [total from periods] critical care bed days
--   level_2_days [total from periods] days at level 2
--   level_3_days [total from periods] days at level 3
--   total_cost [total from periods] cost of those periods, pounds
--   cost_per_bed_day [from periods] total_cost / bed_days, pounds
--   linked_spells [count] admitted care spells the periods are linked to
--   cc_days_per_spell [from linked_spells] bed days of linked periods / linked_spells
--   ics_periods [count] periods in the cell across every provider
--   ics_cost_per_bed_day [from ics_periods] all providers' cost / all providers' bed days, pounds
--   best_in_system_cost_per_bed_day [benchmark] lowest cost per bed day among providers with more than the configured
--     number of periods
--   best_in_system_org [benchmark] the provider that sets it
--   national_cost_per_bed_day [shown] national average cost per critical care bed day for the HRG, pounds
--   opportunity_vs_ics [total from periods] (cost_per_bed_day - ics_cost_per_bed_day) x bed_days, floored at 0, pounds
--   opportunity_vs_best [total from periods vs best_in_system_cost_per_bed_day] (cost_per_bed_day - best_in_system_cost_per_bed_day) x bed_days, floored
--     at 0; blank when no provider has enough periods
--   opportunity_vs_national [total from periods] (cost_per_bed_day - national_cost_per_bed_day) x bed_days, floored at 0
--   net_vs_ics [total from periods] (cost_per_bed_day - ics_cost_per_bed_day) x bed_days, either sign
--   net_vs_best [total from periods vs best_in_system_cost_per_bed_day] (cost_per_bed_day - best_in_system_cost_per_bed_day) x bed_days, either sign
--   net_vs_national [total from periods] (cost_per_bed_day - national_cost_per_bed_day) x bed_days, either sign
--   national_basis [shown] which national price: schedule year and market forces factor
--   in_headline [from periods] 1 when the cell has enough periods to count in headline totals
--   outlier_95 [from periods] high, low or within the 95% funnel limits around the ICS cost per day (log scale,
--     overdispersion included); untested when the spread is unmeasurable
--   periods_aligned [shown] 1 when every provider loaded the same months in the year, 0 when not (period_alignment)
--   costing_score [shown] the provider's costing data-quality score for the year, 0 to 100 (costing_quality)
--   refresh_id [shown] the refresh that wrote the row
--   dominance_cost [dominance total of periods] the provider's critical care cost in the cell by size (a credit
--     counted as positive; cell_dominance), pounds; read by the dominance rule, never published
--   dominance_largest [dominance largest of periods] the cost in the cell of the provider's largest contributor (a
--     patient's periods added up, or a period without a patient), pounds; never published
--   dominance_second [dominance second of periods] its second largest contributor's cost, pounds; never published
--   dominance_contributors [dominance contributors of periods] how many contributors (patients) of non-zero cost it
--     comes from; read by the threshold rule, never published
--   ics_dominance_cost [dominance total of ics_periods] the cell's cost across every provider, pounds; never published
--   ics_dominance_largest [dominance largest of ics_periods] the largest contributor's cost in the cell across every
--     provider, pounds; never published
--   ics_dominance_second [dominance second of ics_periods] the second largest, pounds; never published
--   ics_dominance_contributors [dominance contributors of ics_periods] how many contributors (patients) of non-zero
--     cost it comes from; read by the threshold rule, never published
WITH periods AS (
    SELECT c.fin_year, coalesce(c.unit_type, '') AS unit_type, c.hrg, c.org_code,
           coalesce(c.record_bed_days, c.cc_bed_days) AS bed_days,
           coalesce(c.level_2_days, 0) AS level_2_days,
           coalesce(c.level_3_days, 0) AS level_3_days,
           a.spell_id
    FROM event_costs AS c
    LEFT JOIN event_costs AS a
        ON a.setting = 'apc' AND a.org_code = c.org_code AND a.record_id = c.apc_record_id
    WHERE c.setting = 'cc' AND c.has_activity_record = 1
),
provider_cells AS (
    SELECT fin_year, unit_type, hrg, org_code,
           sum(level_2_days) AS level_2_days,
           sum(level_3_days) AS level_3_days,
           count(DISTINCT spell_id) AS linked_spells,
           sum(CASE WHEN spell_id IS NOT NULL THEN bed_days ELSE 0 END) AS linked_bed_days
    FROM periods
    GROUP BY fin_year, unit_type, hrg, org_code
)
SELECT c.fin_year, c.detail AS unit_type, c.hrg, c.unit_of_count, c.org_code, c.cases AS periods,
       CAST(c.units AS DOUBLE) AS bed_days,
       p.level_2_days, p.level_3_days, c.value AS total_cost, c.rate AS cost_per_bed_day, p.linked_spells,
       p.linked_bed_days / nullif(p.linked_spells, 0) AS cc_days_per_spell,
       c.ics_cases AS ics_periods, c.ics_rate AS ics_cost_per_bed_day,
       c.best_in_system_rate AS best_in_system_cost_per_bed_day, c.best_in_system_org,
       c.national_rate AS national_cost_per_bed_day,
       c.opportunity_vs_ics, c.opportunity_vs_best, c.opportunity_vs_national, c.net_vs_ics, c.net_vs_best,
       c.net_vs_national, c.national_basis, c.in_headline, c.outlier_95, q.periods_aligned, q.costing_score,
       s.refresh_id, dom.cost AS dominance_cost, dom.largest AS dominance_largest, dom.second AS dominance_second,
       dom.contributors AS dominance_contributors,
       ics_dom.ics_cost AS ics_dominance_cost, ics_dom.ics_largest AS ics_dominance_largest,
       ics_dom.ics_second AS ics_dominance_second, ics_dom.ics_contributors AS ics_dominance_contributors
FROM benchmark_cells AS c
JOIN provider_cells AS p
    ON p.fin_year = c.fin_year AND p.unit_type = c.detail AND p.hrg = c.hrg AND p.org_code = c.org_code
LEFT JOIN provider_year_quality AS q ON q.fin_year = c.fin_year AND q.org_code = c.org_code
LEFT JOIN cell_dominance AS dom
    ON dom.family = 'cc_cost' AND dom.fin_year = c.fin_year AND dom.hrg = c.hrg AND dom.detail = c.detail
   AND dom.org_code = c.org_code
LEFT JOIN (
    SELECT DISTINCT family, fin_year, hrg, detail, ics_cost, ics_largest, ics_second, ics_contributors
    FROM cell_dominance
) AS ics_dom
    ON ics_dom.family = 'cc_cost' AND ics_dom.fin_year = c.fin_year AND ics_dom.hrg = c.hrg
   AND ics_dom.detail = c.detail
CROSS JOIN results.refresh_parameters AS s
WHERE c.family = 'cc_bed_day_cost'
