-- cost_driver_benchmark: an opportunity broken down by cost driver (ward, theatre, imaging, pathology, pharmacy ...).
-- Grain: one row per financial year, setting, POD, TFC, HRG, provider and cost driver, for the drivers any provider
--   has cost on in that cell.
-- Inputs: event_costs, results.refresh_settings, ref_cost_driver
-- Published: yes
-- About: The drill-down of unit_cost_benchmark: what each provider spends per case on each collection activity,
--   against the ICS. Cost per case is over all the provider's cases in the cell, including cases with no cost on
--   that driver, so a provider's driver costs per case add up to its average cost in unit_cost_benchmark. Each
--   driver's opportunity is floored at 0 on its own, so driver opportunities do not add up to the cell's
--   opportunity: use them to see where the difference lies, not as a second total. Funnel flags as in
--   unit_cost_benchmark, on the driver's cost per case.
-- Columns:
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   pod [key] point of delivery
--   tfc [key] treatment function code; blank where the setting has none
--   hrg [key] HRG or currency
--   org_code [key] provider ODS code
--   cost_driver [key] collection activity code: ward, theatre, critical_care, pathology, imaging, pharmacy ...
--   cost_driver_name [key] the driver's name
--   activity [count] the provider's records in the cell
--   driver_cost [from activity] the provider's cost on this driver in the cell, pounds
--   driver_cost_per_case [from activity] driver_cost / activity, pounds
--   ics_activity [count] records in the cell across every provider
--   ics_driver_cost_per_case [from ics_activity] all providers' driver cost / all providers' activity, pounds
--   ics_median_driver_cost_per_case [shown] median of the providers' driver cost per case
--   best_in_system_driver_cost_per_case [shown] lowest driver cost per case among providers with more than the
--     configured number of cases (10 by default)
--   best_in_system_org [shown] the provider that sets it
--   opportunity_vs_ics [from activity] (driver_cost_per_case - ics_driver_cost_per_case) x activity, floored at 0
--   opportunity_vs_best [from activity] (driver_cost_per_case - best_in_system_driver_cost_per_case) x activity,
--     floored at 0; blank when no provider has enough cases
--   funnel_z [from activity] standard errors between the provider's and the ICS driver cost per case
--   outlier_95 [from activity] high, low or within the 95% funnel limits; untested when the spread is unmeasurable
--   outlier_99_8 [from activity] the same at 99.8%
--   refresh_id [shown] the refresh that wrote the row
WITH provider_cells AS (
    SELECT fin_year, setting, pod, tfc, hrg, org_code,
           count(*) AS activity,
           sum(ward_cost) AS ward_cost,
           sum(CAST(ward_cost AS DOUBLE) * CAST(ward_cost AS DOUBLE)) AS ward_squared,
           sum(theatre_cost) AS theatre_cost,
           sum(CAST(theatre_cost AS DOUBLE) * CAST(theatre_cost AS DOUBLE)) AS theatre_squared,
           sum(critical_care_cost) AS critical_care_cost,
           sum(CAST(critical_care_cost AS DOUBLE) * CAST(critical_care_cost AS DOUBLE)) AS critical_care_squared,
           sum(pathology_cost) AS pathology_cost,
           sum(CAST(pathology_cost AS DOUBLE) * CAST(pathology_cost AS DOUBLE)) AS pathology_squared,
           sum(imaging_cost) AS imaging_cost,
           sum(CAST(imaging_cost AS DOUBLE) * CAST(imaging_cost AS DOUBLE)) AS imaging_squared,
           sum(pharmacy_cost) AS pharmacy_cost,
           sum(CAST(pharmacy_cost AS DOUBLE) * CAST(pharmacy_cost AS DOUBLE)) AS pharmacy_squared,
           sum(high_cost_drugs_cost) AS high_cost_drugs_cost,
           sum(CAST(high_cost_drugs_cost AS DOUBLE) * CAST(high_cost_drugs_cost AS DOUBLE)) AS high_cost_drugs_squared,
           sum(therapies_cost) AS therapies_cost,
           sum(CAST(therapies_cost AS DOUBLE) * CAST(therapies_cost AS DOUBLE)) AS therapies_squared,
           sum(outpatient_care_cost) AS outpatient_care_cost,
           sum(CAST(outpatient_care_cost AS DOUBLE) * CAST(outpatient_care_cost AS DOUBLE)) AS outpatient_care_squared,
           sum(emergency_care_cost) AS emergency_care_cost,
           sum(CAST(emergency_care_cost AS DOUBLE) * CAST(emergency_care_cost AS DOUBLE)) AS emergency_care_squared,
           sum(community_care_cost) AS community_care_cost,
           sum(CAST(community_care_cost AS DOUBLE) * CAST(community_care_cost AS DOUBLE)) AS community_care_squared,
           sum(mental_health_care_cost) AS mental_health_care_cost,
           sum(CAST(mental_health_care_cost AS DOUBLE) * CAST(mental_health_care_cost AS DOUBLE)) AS mental_health_care_squared,
           sum(other_clinical_cost) AS other_clinical_cost,
           sum(CAST(other_clinical_cost AS DOUBLE) * CAST(other_clinical_cost AS DOUBLE)) AS other_clinical_squared,
           sum(overheads_cost) AS overheads_cost,
           sum(CAST(overheads_cost AS DOUBLE) * CAST(overheads_cost AS DOUBLE)) AS overheads_squared,
           sum(other_cost) AS other_cost,
           sum(CAST(other_cost AS DOUBLE) * CAST(other_cost AS DOUBLE)) AS other_squared
    FROM event_costs
    WHERE has_activity_record = 1
    GROUP BY fin_year, setting, pod, tfc, hrg, org_code
),
provider_drivers AS (
    SELECT c.fin_year, c.setting, c.pod, c.tfc, c.hrg, c.org_code, d.cost_driver, d.cost_driver_name, c.activity,
           CASE d.cost_driver
                WHEN 'ward' THEN c.ward_cost
                WHEN 'theatre' THEN c.theatre_cost
                WHEN 'critical_care' THEN c.critical_care_cost
                WHEN 'pathology' THEN c.pathology_cost
                WHEN 'imaging' THEN c.imaging_cost
                WHEN 'pharmacy' THEN c.pharmacy_cost
                WHEN 'high_cost_drugs' THEN c.high_cost_drugs_cost
                WHEN 'therapies' THEN c.therapies_cost
                WHEN 'outpatient_care' THEN c.outpatient_care_cost
                WHEN 'emergency_care' THEN c.emergency_care_cost
                WHEN 'community_care' THEN c.community_care_cost
                WHEN 'mental_health_care' THEN c.mental_health_care_cost
                WHEN 'other_clinical' THEN c.other_clinical_cost
                WHEN 'overheads' THEN c.overheads_cost
                WHEN 'other' THEN c.other_cost
           END AS driver_cost,
           CASE d.cost_driver
                WHEN 'ward' THEN c.ward_squared
                WHEN 'theatre' THEN c.theatre_squared
                WHEN 'critical_care' THEN c.critical_care_squared
                WHEN 'pathology' THEN c.pathology_squared
                WHEN 'imaging' THEN c.imaging_squared
                WHEN 'pharmacy' THEN c.pharmacy_squared
                WHEN 'high_cost_drugs' THEN c.high_cost_drugs_squared
                WHEN 'therapies' THEN c.therapies_squared
                WHEN 'outpatient_care' THEN c.outpatient_care_squared
                WHEN 'emergency_care' THEN c.emergency_care_squared
                WHEN 'community_care' THEN c.community_care_squared
                WHEN 'mental_health_care' THEN c.mental_health_care_squared
                WHEN 'other_clinical' THEN c.other_clinical_squared
                WHEN 'overheads' THEN c.overheads_squared
                WHEN 'other' THEN c.other_squared
           END AS driver_squared
    FROM provider_cells AS c
    CROSS JOIN ref_cost_driver AS d
),
cells AS (
    SELECT fin_year, setting, pod, tfc, hrg, cost_driver,
           sum(activity) AS ics_activity,
           sum(CAST(driver_cost AS DOUBLE)) AS ics_cost,
           sum(driver_squared) AS ics_squared
    FROM provider_drivers
    GROUP BY fin_year, setting, pod, tfc, hrg, cost_driver
    HAVING sum(CASE WHEN driver_cost <> 0 THEN 1 ELSE 0 END) > 0
),
per_case AS (
    SELECT p.fin_year, p.setting, p.pod, p.tfc, p.hrg, p.org_code, p.cost_driver, p.cost_driver_name, p.activity,
           p.driver_cost,
           CAST(p.driver_cost AS DOUBLE) / p.activity AS driver_cost_per_case,
           c.ics_activity,
           c.ics_cost / c.ics_activity AS ics_driver_cost_per_case,
           CASE WHEN c.ics_activity > 1
                THEN sqrt(CASE WHEN c.ics_squared - c.ics_cost * c.ics_cost / c.ics_activity > 0
                               THEN (c.ics_squared - c.ics_cost * c.ics_cost / c.ics_activity) / (c.ics_activity - 1)
                               ELSE 0 END)
           END AS ics_sd,
           ROW_NUMBER() OVER (
               PARTITION BY p.fin_year, p.setting, p.pod, p.tfc, p.hrg, p.cost_driver
               ORDER BY CAST(p.driver_cost AS DOUBLE) / p.activity, p.org_code
           ) AS position,
           COUNT(*) OVER (PARTITION BY p.fin_year, p.setting, p.pod, p.tfc, p.hrg, p.cost_driver) AS providers
    FROM provider_drivers AS p
    JOIN cells AS c
        ON c.fin_year = p.fin_year AND c.setting = p.setting AND c.pod = p.pod AND c.tfc = p.tfc AND c.hrg = p.hrg
       AND c.cost_driver = p.cost_driver
),
medians AS (
    SELECT fin_year, setting, pod, tfc, hrg, cost_driver,
           avg(driver_cost_per_case) AS ics_median_driver_cost_per_case
    FROM per_case
    WHERE position * 2 IN (providers, providers + 1, providers + 2)
    GROUP BY fin_year, setting, pod, tfc, hrg, cost_driver
),
eligible AS (
    SELECT p.fin_year, p.setting, p.pod, p.tfc, p.hrg, p.cost_driver, p.org_code, p.driver_cost_per_case,
           ROW_NUMBER() OVER (
               PARTITION BY p.fin_year, p.setting, p.pod, p.tfc, p.hrg, p.cost_driver
               ORDER BY p.driver_cost_per_case, p.org_code
           ) AS best_rank
    FROM per_case AS p
    CROSS JOIN results.refresh_settings AS s
    WHERE p.activity > s.best_in_system_min_cases
),
benchmarked AS (
    SELECT p.*, m.ics_median_driver_cost_per_case,
           b.driver_cost_per_case AS best_in_system_driver_cost_per_case,
           b.org_code AS best_in_system_org,
           CASE WHEN p.ics_sd > 0 THEN p.ics_sd / sqrt(p.activity) END AS standard_error
    FROM per_case AS p
    JOIN medians AS m
        ON m.fin_year = p.fin_year AND m.setting = p.setting AND m.pod = p.pod AND m.tfc = p.tfc AND m.hrg = p.hrg
       AND m.cost_driver = p.cost_driver
    LEFT JOIN eligible AS b
        ON b.fin_year = p.fin_year AND b.setting = p.setting AND b.pod = p.pod AND b.tfc = p.tfc AND b.hrg = p.hrg
       AND b.cost_driver = p.cost_driver AND b.best_rank = 1
)
SELECT x.fin_year, x.setting, x.pod, x.tfc, x.hrg, x.org_code, x.cost_driver, x.cost_driver_name, x.activity,
       x.driver_cost, x.driver_cost_per_case, x.ics_activity, x.ics_driver_cost_per_case,
       x.ics_median_driver_cost_per_case, x.best_in_system_driver_cost_per_case, x.best_in_system_org,
       CASE WHEN x.driver_cost_per_case > x.ics_driver_cost_per_case
            THEN (x.driver_cost_per_case - x.ics_driver_cost_per_case) * x.activity ELSE 0 END AS opportunity_vs_ics,
       CASE WHEN x.best_in_system_driver_cost_per_case IS NULL THEN NULL
            WHEN x.driver_cost_per_case > x.best_in_system_driver_cost_per_case
            THEN (x.driver_cost_per_case - x.best_in_system_driver_cost_per_case) * x.activity
            ELSE 0 END AS opportunity_vs_best,
       (x.driver_cost_per_case - x.ics_driver_cost_per_case) / x.standard_error AS funnel_z,
       CASE WHEN x.standard_error IS NULL THEN 'untested'
            WHEN x.driver_cost_per_case - x.ics_driver_cost_per_case > s.funnel_z_95 * x.standard_error THEN 'high'
            WHEN x.ics_driver_cost_per_case - x.driver_cost_per_case > s.funnel_z_95 * x.standard_error THEN 'low'
            ELSE 'within' END AS outlier_95,
       CASE WHEN x.standard_error IS NULL THEN 'untested'
            WHEN x.driver_cost_per_case - x.ics_driver_cost_per_case > s.funnel_z_99_8 * x.standard_error THEN 'high'
            WHEN x.ics_driver_cost_per_case - x.driver_cost_per_case > s.funnel_z_99_8 * x.standard_error THEN 'low'
            ELSE 'within' END AS outlier_99_8,
       s.refresh_id
FROM benchmarked AS x
CROSS JOIN results.refresh_settings AS s
