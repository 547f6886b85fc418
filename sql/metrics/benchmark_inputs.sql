-- benchmark_inputs: what each provider brings to every benchmark: its cases, units and value in each cell.
-- Grain: one row per benchmark family, financial year, cell (setting, POD, TFC, HRG, detail) and provider.
-- Inputs: event_costs, spells, ref_cost_driver, ref_pod, ref_national_schedule, results.refresh_parameters
-- Published: no
-- About: Internal: the one place each benchmark's figures are gathered, so that benchmark_cells can apply the
--   benchmark method (ICS rate, median, best in system, funnel limits, opportunity) to all of them in the same way.
--   A provider's rate is value / units: unit_cost is cost per record, driver_cost a driver's cost per record,
--   los bed days per spell, cc_bed_day_cost critical care cost per bed day, cost_per_wau priced cost per weighted
--   activity unit, and pod_hrg_cost cost per record at POD and HRG level (adding up every TFC), for the total and
--   for each driver. Cells have the columns their family needs and '' in the others.
-- Columns:
--   family [key] unit_cost, driver_cost, los, cc_bed_day_cost, cost_per_wau or pod_hrg_cost
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs; '' for pod_hrg_cost
--   pod [key] point of delivery; '' where the family has none
--   tfc [key] treatment function code; '' where the family has none
--   hrg [key] HRG or currency; '' where the family has none
--   detail [key] the cost driver (driver_cost, pod_hrg_cost: (all) for the total) or critical care unit type
--   org_code [key] provider ODS code
--   cases [count] the provider's records (spells for los, periods for cc_bed_day_cost, priced records for
--     cost_per_wau) in the cell: what eligibility for best in system counts
--   units [from cases] what the rate is per: records, spells, bed days or weighted activity units
--   value [from cases] what the rate measures, added up: pounds, or bed days for los
--   value_squared [from cases] sum over the records of value squared (for the spread); blank where the records'
--     spread is not measured
--   national_rate [shown] the national average for the cell in the family's unit; blank where there is none
WITH national_prices AS (
    SELECT p.pod, p.national_unit, n.currency AS hrg, sum(n.total_cost) / sum(n.activity) AS national_rate
    FROM ref_national_schedule AS n
    JOIN ref_pod AS p ON p.national_department = n.department
    WHERE n.activity > 0
    GROUP BY p.pod, p.national_unit, n.currency
),
record_prices AS (
    SELECT pod, hrg, national_rate FROM national_prices WHERE national_unit = 'record'
),
bed_day_prices AS (
    SELECT n.currency AS hrg, sum(n.total_cost) / sum(n.activity) AS national_rate
    FROM ref_national_schedule AS n
    JOIN ref_pod AS p ON p.national_department = n.department AND p.national_unit = 'bed_day'
    WHERE n.activity > 0
    GROUP BY n.currency
),
unit_cells AS (
    SELECT fin_year, setting, pod, tfc, hrg, org_code,
           count(*) AS activity,
           sum(total_cost) AS total_cost,
           sum(CAST(total_cost AS DECIMAL(19, 4)) * CAST(total_cost AS DECIMAL(19, 4))) AS cost_squared,
           sum(ward_cost) AS ward_cost,
           sum(CAST(ward_cost AS DECIMAL(19, 4)) * CAST(ward_cost AS DECIMAL(19, 4))) AS ward_squared,
           sum(theatre_cost) AS theatre_cost,
           sum(CAST(theatre_cost AS DECIMAL(19, 4)) * CAST(theatre_cost AS DECIMAL(19, 4))) AS theatre_squared,
           sum(critical_care_cost) AS critical_care_cost,
           sum(CAST(critical_care_cost AS DECIMAL(19, 4)) * CAST(critical_care_cost AS DECIMAL(19, 4)))
               AS critical_care_squared,
           sum(pathology_cost) AS pathology_cost,
           sum(CAST(pathology_cost AS DECIMAL(19, 4)) * CAST(pathology_cost AS DECIMAL(19, 4))) AS pathology_squared,
           sum(imaging_cost) AS imaging_cost,
           sum(CAST(imaging_cost AS DECIMAL(19, 4)) * CAST(imaging_cost AS DECIMAL(19, 4))) AS imaging_squared,
           sum(pharmacy_cost) AS pharmacy_cost,
           sum(CAST(pharmacy_cost AS DECIMAL(19, 4)) * CAST(pharmacy_cost AS DECIMAL(19, 4))) AS pharmacy_squared,
           sum(high_cost_drugs_cost) AS high_cost_drugs_cost,
           sum(CAST(high_cost_drugs_cost AS DECIMAL(19, 4)) * CAST(high_cost_drugs_cost AS DECIMAL(19, 4)))
               AS high_cost_drugs_squared,
           sum(therapies_cost) AS therapies_cost,
           sum(CAST(therapies_cost AS DECIMAL(19, 4)) * CAST(therapies_cost AS DECIMAL(19, 4))) AS therapies_squared,
           sum(outpatient_care_cost) AS outpatient_care_cost,
           sum(CAST(outpatient_care_cost AS DECIMAL(19, 4)) * CAST(outpatient_care_cost AS DECIMAL(19, 4)))
               AS outpatient_care_squared,
           sum(emergency_care_cost) AS emergency_care_cost,
           sum(CAST(emergency_care_cost AS DECIMAL(19, 4)) * CAST(emergency_care_cost AS DECIMAL(19, 4)))
               AS emergency_care_squared,
           sum(community_care_cost) AS community_care_cost,
           sum(CAST(community_care_cost AS DECIMAL(19, 4)) * CAST(community_care_cost AS DECIMAL(19, 4)))
               AS community_care_squared,
           sum(mental_health_care_cost) AS mental_health_care_cost,
           sum(CAST(mental_health_care_cost AS DECIMAL(19, 4)) * CAST(mental_health_care_cost AS DECIMAL(19, 4)))
               AS mental_health_care_squared,
           sum(other_clinical_cost) AS other_clinical_cost,
           sum(CAST(other_clinical_cost AS DECIMAL(19, 4)) * CAST(other_clinical_cost AS DECIMAL(19, 4)))
               AS other_clinical_squared,
           sum(overheads_cost) AS overheads_cost,
           sum(CAST(overheads_cost AS DECIMAL(19, 4)) * CAST(overheads_cost AS DECIMAL(19, 4))) AS overheads_squared,
           sum(other_cost) AS other_cost,
           sum(CAST(other_cost AS DECIMAL(19, 4)) * CAST(other_cost AS DECIMAL(19, 4))) AS other_squared
    FROM event_costs
    WHERE has_activity_record = 1
    GROUP BY fin_year, setting, pod, tfc, hrg, org_code
),
unit_cost AS (
    SELECT 'unit_cost' AS family, c.fin_year, c.setting, c.pod, c.tfc, c.hrg, '' AS detail, c.org_code,
           c.activity AS cases, CAST(c.activity AS DOUBLE) AS units, c.total_cost AS value,
           c.cost_squared AS value_squared, n.national_rate
    FROM unit_cells AS c
    LEFT JOIN record_prices AS n ON n.pod = c.pod AND n.hrg = c.hrg
),
provider_drivers AS (
    SELECT c.fin_year, c.setting, c.pod, c.tfc, c.hrg, c.org_code, d.cost_driver, c.activity,
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
    FROM unit_cells AS c
    CROSS JOIN ref_cost_driver AS d
),
driver_cells_used AS (
    SELECT fin_year, setting, pod, tfc, hrg, cost_driver
    FROM provider_drivers
    GROUP BY fin_year, setting, pod, tfc, hrg, cost_driver
    HAVING sum(CASE WHEN driver_cost <> 0 THEN 1 ELSE 0 END) > 0
),
driver_cost AS (
    SELECT 'driver_cost' AS family, p.fin_year, p.setting, p.pod, p.tfc, p.hrg, p.cost_driver AS detail, p.org_code,
           p.activity AS cases, CAST(p.activity AS DOUBLE) AS units, p.driver_cost AS value,
           p.driver_squared AS value_squared, CAST(NULL AS DOUBLE) AS national_rate
    FROM provider_drivers AS p
    JOIN driver_cells_used AS u
        ON u.fin_year = p.fin_year AND u.setting = p.setting AND u.pod = p.pod AND u.tfc = p.tfc AND u.hrg = p.hrg
       AND u.cost_driver = p.cost_driver
),
pod_hrg_cost AS (
    SELECT 'pod_hrg_cost' AS family, fin_year, '' AS setting, pod, '' AS tfc, hrg, detail, org_code,
           CAST(sum(cases) AS BIGINT) AS cases, CAST(sum(cases) AS DOUBLE) AS units, sum(value) AS value,
           CAST(NULL AS DECIMAL(38, 8)) AS value_squared, CAST(NULL AS DOUBLE) AS national_rate
    FROM (
        SELECT fin_year, pod, hrg, '(all)' AS detail, org_code, cases, value FROM unit_cost
        UNION ALL
        SELECT fin_year, pod, hrg, detail, org_code, cases, value FROM driver_cost
    ) AS cells
    GROUP BY fin_year, pod, hrg, detail, org_code
),
los AS (
    SELECT 'los' AS family, fin_year, 'apc' AS setting, pod, tfc, hrg, '' AS detail, org_code,
           count(*) AS cases, CAST(count(*) AS DOUBLE) AS units, CAST(sum(los) AS DECIMAL(38, 4)) AS value,
           sum(CAST(los AS DECIMAL(19, 4)) * CAST(los AS DECIMAL(19, 4))) AS value_squared,
           CAST(NULL AS DOUBLE) AS national_rate
    FROM spells
    WHERE los IS NOT NULL
    GROUP BY fin_year, pod, tfc, hrg, org_code
),
cc_bed_day_cost AS (
    SELECT 'cc_bed_day_cost' AS family, c.fin_year, 'cc' AS setting, '' AS pod, '' AS tfc, c.hrg,
           coalesce(c.unit_type, '') AS detail, c.org_code,
           count(*) AS cases, sum(coalesce(c.record_bed_days, c.cc_bed_days)) AS units, sum(c.total_cost) AS value,
           CAST(NULL AS DECIMAL(38, 8)) AS value_squared, max(n.national_rate) AS national_rate
    FROM event_costs AS c
    LEFT JOIN bed_day_prices AS n ON n.hrg = c.hrg
    WHERE c.setting = 'cc' AND c.has_activity_record = 1
    GROUP BY c.fin_year, c.hrg, coalesce(c.unit_type, ''), c.org_code
),
priced_records AS (
    SELECT e.fin_year, e.setting, e.org_code, e.total_cost,
           CAST(CASE WHEN n.national_unit = 'bed_day' THEN n.national_rate * coalesce(e.record_bed_days, e.cc_bed_days)
                     ELSE n.national_rate END AS DECIMAL(18, 6)) AS national_cost
    FROM event_costs AS e
    JOIN national_prices AS n ON n.pod = e.pod AND n.hrg = e.hrg
    WHERE e.has_activity_record = 1
),
cost_per_wau AS (
    SELECT 'cost_per_wau' AS family, p.fin_year, p.setting, '' AS pod, '' AS tfc, '' AS hrg, '' AS detail, p.org_code,
           count(*) AS cases, CAST(sum(p.national_cost) AS DOUBLE) / max(s.wau_unit_cost) AS units,
           sum(p.total_cost) AS value, CAST(NULL AS DECIMAL(38, 8)) AS value_squared,
           CAST(NULL AS DOUBLE) AS national_rate
    FROM priced_records AS p
    CROSS JOIN results.refresh_parameters AS s
    WHERE p.national_cost IS NOT NULL
    GROUP BY p.fin_year, p.setting, p.org_code
)
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, cases, units, value, value_squared, national_rate
FROM unit_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, cases, units, value, value_squared, national_rate
FROM driver_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, cases, units, value, value_squared, national_rate
FROM pod_hrg_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, cases, units, value, value_squared, national_rate
FROM los
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, cases, units, value, value_squared, national_rate
FROM cc_bed_day_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, cases, units, value, value_squared, national_rate
FROM cost_per_wau
