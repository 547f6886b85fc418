-- cost_per_wau: cost per weighted activity unit (WAU) per provider and setting, the Model Health System measure.
-- Grain: one row per financial year, setting and provider.
-- Inputs: event_costs, results.refresh_settings, ref_pod, ref_national_schedule
-- Published: yes
-- About: Productivity on one scale across different case mixes: each record is weighted by the national average
--   unit cost of its POD and HRG (critical care by bed days), and WAU = the sum of those weights / the configured
--   pounds per WAU. Cost per WAU = the cost of the priced records / their WAU, so records the national schedule has
--   no price for are left out of both sides (priced_share says how much of the cost that covers). Below the ICS
--   median is better. priced_cost and wau add up across settings, so a provider's overall cost per WAU is the sum
--   of its priced_cost / the sum of its wau; cost per WAU itself does not add up.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   org_code [key] provider ODS code
--   activity [count] the provider's records in the setting
--   total_cost [from activity] their cost, pounds
--   priced_activity [count] records with a national price
--   priced_cost [from priced_activity] cost of the records with a national price, pounds
--   priced_share [from priced_activity] priced_cost / total_cost
--   wau [from priced_activity] weighted activity units: national cost of the priced records / pounds per WAU
--   cost_per_wau [from priced_activity] priced_cost / wau, pounds
--   ics_cost_per_wau [shown] the same across every provider in the setting, pounds
--   ics_median_cost_per_wau [shown] median of the providers' cost per WAU
--   opportunity_vs_median [from priced_activity] (cost_per_wau - ics_median_cost_per_wau) x wau, floored at 0, pounds
--   refresh_id [shown] the refresh that wrote the row
WITH national_prices AS (
    SELECT p.pod, n.currency AS hrg, p.national_unit, sum(n.total_cost) / sum(n.activity) AS unit_cost
    FROM ref_national_schedule AS n
    JOIN ref_pod AS p ON p.national_department = n.department
    WHERE n.activity > 0
    GROUP BY p.pod, n.currency, p.national_unit
),
priced AS (
    SELECT e.fin_year, e.setting, e.org_code, e.total_cost,
           CASE WHEN n.national_unit = 'bed_day' THEN n.unit_cost * coalesce(e.record_bed_days, e.cc_bed_days)
                ELSE n.unit_cost END AS national_cost
    FROM event_costs AS e
    LEFT JOIN national_prices AS n ON n.pod = e.pod AND n.hrg = e.hrg
    WHERE e.has_activity_record = 1
),
providers_wau AS (
    SELECT p.fin_year, p.setting, p.org_code,
           count(*) AS activity,
           sum(p.total_cost) AS total_cost,
           sum(CASE WHEN p.national_cost IS NOT NULL THEN 1 ELSE 0 END) AS priced_activity,
           sum(CASE WHEN p.national_cost IS NOT NULL THEN p.total_cost ELSE 0 END) AS priced_cost,
           sum(p.national_cost) / max(s.wau_unit_cost) AS wau
    FROM priced AS p
    CROSS JOIN results.refresh_settings AS s
    GROUP BY p.fin_year, p.setting, p.org_code
),
rated AS (
    SELECT w.*,
           CAST(w.priced_cost AS DOUBLE) / nullif(w.wau, 0) AS cost_per_wau,
           ROW_NUMBER() OVER (
               PARTITION BY w.fin_year, w.setting ORDER BY CAST(w.priced_cost AS DOUBLE) / nullif(w.wau, 0), w.org_code
           ) AS position,
           COUNT(w.wau) OVER (PARTITION BY w.fin_year, w.setting) AS providers
    FROM providers_wau AS w
),
ics AS (
    SELECT fin_year, setting,
           CAST(sum(priced_cost) AS DOUBLE) / nullif(sum(wau), 0) AS ics_cost_per_wau,
           avg(CASE WHEN wau > 0 AND position * 2 IN (providers, providers + 1, providers + 2) THEN cost_per_wau END)
               AS ics_median_cost_per_wau
    FROM rated
    GROUP BY fin_year, setting
)
SELECT r.fin_year, r.setting, r.org_code, r.activity, r.total_cost, r.priced_activity, r.priced_cost,
       CAST(r.priced_cost AS DOUBLE) / nullif(r.total_cost, 0) AS priced_share,
       r.wau, r.cost_per_wau, i.ics_cost_per_wau, i.ics_median_cost_per_wau,
       CASE WHEN r.cost_per_wau > i.ics_median_cost_per_wau
            THEN (r.cost_per_wau - i.ics_median_cost_per_wau) * r.wau ELSE 0 END AS opportunity_vs_median,
       s.refresh_id
FROM rated AS r
JOIN ics AS i ON i.fin_year = r.fin_year AND i.setting = r.setting
CROSS JOIN results.refresh_settings AS s
