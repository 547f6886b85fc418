-- benchmark_inputs: what each provider brings to every benchmark: its cases, units and value in each cell.
-- Grain: one row per benchmark family, financial year, cell (setting, POD, TFC, HRG, detail) and provider.
-- Inputs: event_costs, spells, spell_trim_points, service_records, ref_pod, ref_cost_driver, ref_national_schedule,
--   ref_market_forces, ref_wau_constant, results.refresh_parameters
-- Published: no
-- About: Internal: the one place each benchmark's figures are gathered, so that benchmark_cells can apply the
--   benchmark method (ICS rate, median, best in system, funnel limits, opportunity) to all of them in the same way.
--   A provider's rate is value / units, always per the unit of count of the POD (engine/codes.py): unit_cost is
--   cost per episode, attendance, contact, bed day (mental health inpatients) or critical care day; driver_cost a
--   driver's cost per the same unit; los bed days per spell, trimmed at the HRG's trim point, and los_untrimmed
--   the same without the trim; cc_bed_day_cost critical care cost per day by unit type; cost_per_wau cost / market
--   forces factor per weighted activity unit (Model Health System); pod_hrg_cost cost per unit at POD and HRG
--   level (every TFC together), for the total and for each driver; service_cost cost per unit of a service line's
--   records in the year (detail: the service line) and service_cost_quarter in each quarter (detail: service line|Q1
--   to Q4), service_driver_cost a driver's cost per unit of the service line (detail: service line|driver). The
--   national rate is the national schedule's
--   price for each record's currency (for outpatients by consultant-led or not and by TFC, for emergency care by
--   department type, where the schedule has them; else the all-specialty price) in the unit of count, from the
--   schedule for the year (or the latest one before it), times the provider's market forces factor when one is
--   configured, averaged over the cell's units: blank unless every record in the cell has a price.
-- Columns:
--   family [key] unit_cost, driver_cost, los, los_untrimmed, cc_bed_day_cost, cost_per_wau, pod_hrg_cost,
--     service_cost, service_cost_quarter or service_driver_cost
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs; '' for pod_hrg_cost; (all) for a provider's whole cost per WAU
--   pod [key] point of delivery; '' where the family has none
--   tfc [key] treatment function code; '' where the family has none
--   hrg [key] HRG or currency; '' where the family has none
--   detail [key] the cost driver (driver_cost, pod_hrg_cost: (all) for the total), critical care unit type, or the
--     service line (with |quarter or |driver for service_cost_quarter and service_driver_cost)
--   org_code [key] provider ODS code
--   unit_of_count [key] what one unit is: episode, attendance, contact, bed_day, critical_care_day, spell or wau
--   cases [count] the provider's records (spells for los, periods for cc_bed_day_cost, priced records for
--     cost_per_wau) in the cell: what eligibility for best in system and the headline minimum count
--   units [from cases] how many units: records, spells, bed days, critical care days, or for cost_per_wau weighted
--     activity units x the provider's market forces factor
--   value [from cases] what the rate measures, added up: pounds, or bed days for los
--   value_squared [from cases] sum over the records of value squared; blank where the spread is not measured
--   value_units [from cases] sum over the records of value x units (for the spread of a rate per unit)
--   units_squared [from cases] sum over the records of units squared
--   national_cost [from cases] the cell's units at national prices (market forces adjusted), pounds; blank unless
--     every record has a national price
--   national_basis [shown] which national price: the schedule year, how specific the price is, and the market
--     forces factor when one applies
WITH provider_years AS (
    -- The years and providers with data, from one pass over event_costs (Spark computes it once and reads it after).
    SELECT DISTINCT fin_year, org_code
    FROM event_costs
),
schedule_years AS (
    -- Each year of data is compared with its own year's schedule, else the latest one before it, else the first.
    SELECT y.fin_year,
           coalesce(max(CASE WHEN s.fin_year <= y.fin_year THEN s.fin_year END), min(s.fin_year)) AS schedule_year
    FROM (SELECT DISTINCT fin_year FROM provider_years) AS y
    CROSS JOIN (SELECT DISTINCT fin_year FROM ref_national_schedule) AS s
    GROUP BY y.fin_year
),
service_prices AS (
    SELECT fin_year, department, service_code, currency, sum(total_cost) / NULLIF(sum(activity), 0) AS unit_cost
    FROM ref_national_schedule
    WHERE activity > 0 AND service_code <> ''
    GROUP BY fin_year, department, service_code, currency
),
currency_prices AS (
    SELECT fin_year, department, currency, sum(total_cost) / NULLIF(sum(activity), 0) AS unit_cost
    FROM ref_national_schedule
    WHERE activity > 0
    GROUP BY fin_year, department, currency
),
market_forces AS (
    SELECT y.fin_year, p.org_code,
           coalesce(max(CASE WHEN m.fin_year = y.fin_year THEN m.mff END),
                    max(CASE WHEN m.fin_year = '' THEN m.mff END)) AS mff
    FROM (SELECT DISTINCT fin_year FROM provider_years) AS y
    CROSS JOIN (SELECT DISTINCT org_code FROM provider_years) AS p
    LEFT JOIN ref_market_forces AS m ON m.org_code = p.org_code
    GROUP BY y.fin_year, p.org_code
),
records AS (
    SELECT e.fin_year, e.quarter, e.setting, e.pod, e.tfc, e.hrg, e.org_code, e.record_id, e.unit_type, p.unit_of_count,
           e.total_cost,
           e.ward_cost, e.theatre_cost, e.critical_care_cost, e.pathology_cost, e.imaging_cost, e.pharmacy_cost,
           e.high_cost_drugs_cost, e.therapies_cost, e.outpatient_care_cost, e.emergency_care_cost,
           e.community_care_cost, e.mental_health_care_cost, e.other_clinical_cost, e.overheads_cost, e.other_cost,
           CASE WHEN p.units_per_record = 1 THEN CAST(1 AS DECIMAL(18, 4))
                ELSE CAST(coalesce(e.record_bed_days, e.cc_bed_days, 0) AS DECIMAL(18, 4)) END AS units,
           y.schedule_year,
           coalesce(sp.unit_cost, cp.unit_cost) AS national_unit_cost,
           CASE WHEN sp.unit_cost IS NOT NULL THEN 1 ELSE 0 END AS service_priced,
           p.service_code_field
    FROM event_costs AS e
    JOIN ref_pod AS p ON p.setting = e.setting AND p.pod = e.pod
    JOIN schedule_years AS y ON y.fin_year = e.fin_year
    LEFT JOIN service_prices AS sp
        ON sp.fin_year = y.schedule_year AND sp.currency = e.hrg
       AND sp.department = CASE WHEN e.consultant_led = 0 AND p.non_consultant_department IS NOT NULL
                                THEN p.non_consultant_department ELSE p.national_department END
       AND sp.service_code = CASE p.service_code_field WHEN 'tfc' THEN e.tfc
                                                       WHEN 'department_type' THEN coalesce(e.department_type, '')
                                                       ELSE '' END
    LEFT JOIN currency_prices AS cp
        ON cp.fin_year = y.schedule_year AND cp.currency = e.hrg
       AND cp.department = CASE WHEN e.consultant_led = 0 AND p.non_consultant_department IS NOT NULL
                                THEN p.non_consultant_department ELSE p.national_department END
    WHERE e.has_activity_record = 1
),
unit_type_cells AS (
    -- The one pass over the records for the cells and the critical care unit types: each cell's figures, split by
    -- the critical care unit type (for critical care records; '' for the rest), so that unit_cells and
    -- cc_bed_day_cost both add them up from here (sums of exact decimals and counts, so the same as from the records)
    -- and Spark reads the records twice in all (here and for the service lines), not three times.
    SELECT r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.org_code, r.unit_of_count,
           CASE WHEN r.setting = 'cc' THEN coalesce(r.unit_type, '') ELSE '' END AS unit_type,
           count(*) AS activity,
           sum(r.units) AS units,
           sum(r.units * r.units) AS units_squared,
           sum(r.total_cost) AS total_cost,
           sum(CAST(r.total_cost AS DECIMAL(19, 4)) * CAST(r.total_cost AS DECIMAL(19, 4))) AS cost_squared,
           sum(CAST(r.total_cost AS DECIMAL(19, 4)) * r.units) AS cost_units,
           count(r.national_unit_cost) AS priced,
           sum(r.service_priced) AS service_priced,
           sum(CASE WHEN r.national_unit_cost IS NOT NULL THEN r.total_cost END) AS priced_cost,
           sum(CAST(r.national_unit_cost * CAST(r.units AS DOUBLE) AS DECIMAL(18, 6))) AS national_cost,
           min(r.schedule_year) AS schedule_year,
           min(r.service_code_field) AS service_code_field,
           sum(r.ward_cost) AS ward_cost,
           sum(CAST(r.ward_cost AS DECIMAL(19, 4)) * CAST(r.ward_cost AS DECIMAL(19, 4))) AS ward_squared,
           sum(CAST(r.ward_cost AS DECIMAL(19, 4)) * r.units) AS ward_units,
           sum(r.theatre_cost) AS theatre_cost,
           sum(CAST(r.theatre_cost AS DECIMAL(19, 4)) * CAST(r.theatre_cost AS DECIMAL(19, 4))) AS theatre_squared,
           sum(CAST(r.theatre_cost AS DECIMAL(19, 4)) * r.units) AS theatre_units,
           sum(r.critical_care_cost) AS critical_care_cost,
           sum(CAST(r.critical_care_cost AS DECIMAL(19, 4)) * CAST(r.critical_care_cost AS DECIMAL(19, 4)))
               AS critical_care_squared,
           sum(CAST(r.critical_care_cost AS DECIMAL(19, 4)) * r.units) AS critical_care_units,
           sum(r.pathology_cost) AS pathology_cost,
           sum(CAST(r.pathology_cost AS DECIMAL(19, 4)) * CAST(r.pathology_cost AS DECIMAL(19, 4)))
               AS pathology_squared,
           sum(CAST(r.pathology_cost AS DECIMAL(19, 4)) * r.units) AS pathology_units,
           sum(r.imaging_cost) AS imaging_cost,
           sum(CAST(r.imaging_cost AS DECIMAL(19, 4)) * CAST(r.imaging_cost AS DECIMAL(19, 4))) AS imaging_squared,
           sum(CAST(r.imaging_cost AS DECIMAL(19, 4)) * r.units) AS imaging_units,
           sum(r.pharmacy_cost) AS pharmacy_cost,
           sum(CAST(r.pharmacy_cost AS DECIMAL(19, 4)) * CAST(r.pharmacy_cost AS DECIMAL(19, 4))) AS pharmacy_squared,
           sum(CAST(r.pharmacy_cost AS DECIMAL(19, 4)) * r.units) AS pharmacy_units,
           sum(r.high_cost_drugs_cost) AS high_cost_drugs_cost,
           sum(CAST(r.high_cost_drugs_cost AS DECIMAL(19, 4)) * CAST(r.high_cost_drugs_cost AS DECIMAL(19, 4)))
               AS high_cost_drugs_squared,
           sum(CAST(r.high_cost_drugs_cost AS DECIMAL(19, 4)) * r.units) AS high_cost_drugs_units,
           sum(r.therapies_cost) AS therapies_cost,
           sum(CAST(r.therapies_cost AS DECIMAL(19, 4)) * CAST(r.therapies_cost AS DECIMAL(19, 4)))
               AS therapies_squared,
           sum(CAST(r.therapies_cost AS DECIMAL(19, 4)) * r.units) AS therapies_units,
           sum(r.outpatient_care_cost) AS outpatient_care_cost,
           sum(CAST(r.outpatient_care_cost AS DECIMAL(19, 4)) * CAST(r.outpatient_care_cost AS DECIMAL(19, 4)))
               AS outpatient_care_squared,
           sum(CAST(r.outpatient_care_cost AS DECIMAL(19, 4)) * r.units) AS outpatient_care_units,
           sum(r.emergency_care_cost) AS emergency_care_cost,
           sum(CAST(r.emergency_care_cost AS DECIMAL(19, 4)) * CAST(r.emergency_care_cost AS DECIMAL(19, 4)))
               AS emergency_care_squared,
           sum(CAST(r.emergency_care_cost AS DECIMAL(19, 4)) * r.units) AS emergency_care_units,
           sum(r.community_care_cost) AS community_care_cost,
           sum(CAST(r.community_care_cost AS DECIMAL(19, 4)) * CAST(r.community_care_cost AS DECIMAL(19, 4)))
               AS community_care_squared,
           sum(CAST(r.community_care_cost AS DECIMAL(19, 4)) * r.units) AS community_care_units,
           sum(r.mental_health_care_cost) AS mental_health_care_cost,
           sum(CAST(r.mental_health_care_cost AS DECIMAL(19, 4)) * CAST(r.mental_health_care_cost AS DECIMAL(19, 4)))
               AS mental_health_care_squared,
           sum(CAST(r.mental_health_care_cost AS DECIMAL(19, 4)) * r.units) AS mental_health_care_units,
           sum(r.other_clinical_cost) AS other_clinical_cost,
           sum(CAST(r.other_clinical_cost AS DECIMAL(19, 4)) * CAST(r.other_clinical_cost AS DECIMAL(19, 4)))
               AS other_clinical_squared,
           sum(CAST(r.other_clinical_cost AS DECIMAL(19, 4)) * r.units) AS other_clinical_units,
           sum(r.overheads_cost) AS overheads_cost,
           sum(CAST(r.overheads_cost AS DECIMAL(19, 4)) * CAST(r.overheads_cost AS DECIMAL(19, 4)))
               AS overheads_squared,
           sum(CAST(r.overheads_cost AS DECIMAL(19, 4)) * r.units) AS overheads_units,
           sum(r.other_cost) AS other_cost,
           sum(CAST(r.other_cost AS DECIMAL(19, 4)) * CAST(r.other_cost AS DECIMAL(19, 4))) AS other_squared,
           sum(CAST(r.other_cost AS DECIMAL(19, 4)) * r.units) AS other_units
    FROM records AS r
    GROUP BY r.fin_year, r.setting, r.pod, r.tfc, r.hrg, r.org_code, r.unit_of_count,
             CASE WHEN r.setting = 'cc' THEN coalesce(r.unit_type, '') ELSE '' END
),
unit_cells AS (
    -- Each cell of every setting: the unit types' figures added up.
    SELECT fin_year, setting, pod, tfc, hrg, org_code, unit_of_count,
           CAST(sum(activity) AS BIGINT) AS activity, sum(units) AS units, sum(units_squared) AS units_squared,
           sum(total_cost) AS total_cost, sum(cost_squared) AS cost_squared, sum(cost_units) AS cost_units,
           CAST(sum(priced) AS BIGINT) AS priced, sum(service_priced) AS service_priced,
           sum(priced_cost) AS priced_cost, sum(national_cost) AS national_cost,
           min(schedule_year) AS schedule_year, min(service_code_field) AS service_code_field,
           sum(ward_cost) AS ward_cost, sum(ward_squared) AS ward_squared, sum(ward_units) AS ward_units,
           sum(theatre_cost) AS theatre_cost, sum(theatre_squared) AS theatre_squared,
           sum(theatre_units) AS theatre_units,
           sum(critical_care_cost) AS critical_care_cost, sum(critical_care_squared) AS critical_care_squared,
           sum(critical_care_units) AS critical_care_units,
           sum(pathology_cost) AS pathology_cost, sum(pathology_squared) AS pathology_squared,
           sum(pathology_units) AS pathology_units,
           sum(imaging_cost) AS imaging_cost, sum(imaging_squared) AS imaging_squared,
           sum(imaging_units) AS imaging_units,
           sum(pharmacy_cost) AS pharmacy_cost, sum(pharmacy_squared) AS pharmacy_squared,
           sum(pharmacy_units) AS pharmacy_units,
           sum(high_cost_drugs_cost) AS high_cost_drugs_cost, sum(high_cost_drugs_squared) AS high_cost_drugs_squared,
           sum(high_cost_drugs_units) AS high_cost_drugs_units,
           sum(therapies_cost) AS therapies_cost, sum(therapies_squared) AS therapies_squared,
           sum(therapies_units) AS therapies_units,
           sum(outpatient_care_cost) AS outpatient_care_cost, sum(outpatient_care_squared) AS outpatient_care_squared,
           sum(outpatient_care_units) AS outpatient_care_units,
           sum(emergency_care_cost) AS emergency_care_cost, sum(emergency_care_squared) AS emergency_care_squared,
           sum(emergency_care_units) AS emergency_care_units,
           sum(community_care_cost) AS community_care_cost, sum(community_care_squared) AS community_care_squared,
           sum(community_care_units) AS community_care_units,
           sum(mental_health_care_cost) AS mental_health_care_cost,
           sum(mental_health_care_squared) AS mental_health_care_squared,
           sum(mental_health_care_units) AS mental_health_care_units,
           sum(other_clinical_cost) AS other_clinical_cost, sum(other_clinical_squared) AS other_clinical_squared,
           sum(other_clinical_units) AS other_clinical_units,
           sum(overheads_cost) AS overheads_cost, sum(overheads_squared) AS overheads_squared,
           sum(overheads_units) AS overheads_units,
           sum(other_cost) AS other_cost, sum(other_squared) AS other_squared, sum(other_units) AS other_units
    FROM unit_type_cells
    GROUP BY fin_year, setting, pod, tfc, hrg, org_code, unit_of_count
),
unit_cost AS (
    SELECT 'unit_cost' AS family, c.fin_year, c.setting, c.pod, c.tfc, c.hrg, '' AS detail, c.org_code,
           c.unit_of_count, c.activity AS cases, c.units, c.total_cost AS value, c.cost_squared AS value_squared,
           c.cost_units AS value_units, c.units_squared,
           CASE WHEN c.priced = c.activity
                THEN CAST(CAST(c.national_cost AS DOUBLE) * coalesce(m.mff, 1) AS DECIMAL(18, 6)) END AS national_cost,
           CASE WHEN c.priced < c.activity THEN NULL
                ELSE 'NCC ' || c.schedule_year || ': '
                     || CASE WHEN c.service_code_field = 'tfc' AND c.service_priced = c.activity
                             THEN 'price for the TFC'
                             WHEN c.service_code_field = 'tfc' AND c.service_priced = 0
                             THEN 'all-specialty price (the schedule has none for the TFC)'
                             WHEN c.service_code_field = 'tfc' THEN 'TFC prices where the schedule has them'
                             WHEN c.service_code_field = 'department_type' AND c.service_priced = c.activity
                             THEN 'prices by department type'
                             WHEN c.service_code_field = 'department_type'
                             THEN 'all-department price (the schedule has none by department type)'
                             ELSE 'price for the currency' END
                     || CASE WHEN m.mff IS NOT NULL THEN ', x market forces factor ' || CAST(m.mff AS VARCHAR)
                             ELSE '' END
           END AS national_basis
    FROM unit_cells AS c
    LEFT JOIN market_forces AS m ON m.fin_year = c.fin_year AND m.org_code = c.org_code
),
provider_drivers AS (
    SELECT c.fin_year, c.setting, c.pod, c.tfc, c.hrg, c.org_code, c.unit_of_count, d.cost_driver, c.activity,
           c.units, c.units_squared,
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
           END AS driver_squared,
           CASE d.cost_driver
                WHEN 'ward' THEN c.ward_units
                WHEN 'theatre' THEN c.theatre_units
                WHEN 'critical_care' THEN c.critical_care_units
                WHEN 'pathology' THEN c.pathology_units
                WHEN 'imaging' THEN c.imaging_units
                WHEN 'pharmacy' THEN c.pharmacy_units
                WHEN 'high_cost_drugs' THEN c.high_cost_drugs_units
                WHEN 'therapies' THEN c.therapies_units
                WHEN 'outpatient_care' THEN c.outpatient_care_units
                WHEN 'emergency_care' THEN c.emergency_care_units
                WHEN 'community_care' THEN c.community_care_units
                WHEN 'mental_health_care' THEN c.mental_health_care_units
                WHEN 'other_clinical' THEN c.other_clinical_units
                WHEN 'overheads' THEN c.overheads_units
                WHEN 'other' THEN c.other_units
           END AS driver_units
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
           p.unit_of_count, p.activity AS cases, p.units, p.driver_cost AS value, p.driver_squared AS value_squared,
           p.driver_units AS value_units, p.units_squared, CAST(NULL AS DECIMAL(18, 6)) AS national_cost,
           CAST(NULL AS VARCHAR) AS national_basis
    FROM provider_drivers AS p
    JOIN driver_cells_used AS u
        ON u.fin_year = p.fin_year AND u.setting = p.setting AND u.pod = p.pod AND u.tfc = p.tfc AND u.hrg = p.hrg
       AND u.cost_driver = p.cost_driver
),
pod_hrg_cost AS (
    SELECT 'pod_hrg_cost' AS family, fin_year, '' AS setting, pod, '' AS tfc, hrg, detail, org_code, unit_of_count,
           CAST(sum(cases) AS BIGINT) AS cases, sum(units) AS units, sum(value) AS value,
           CAST(NULL AS DECIMAL(38, 8)) AS value_squared, CAST(NULL AS DECIMAL(38, 8)) AS value_units,
           CAST(NULL AS DECIMAL(38, 8)) AS units_squared, CAST(NULL AS DECIMAL(18, 6)) AS national_cost,
           CAST(NULL AS VARCHAR) AS national_basis
    FROM (
        SELECT fin_year, pod, hrg, '(all)' AS detail, org_code, unit_of_count, cases, units, value FROM unit_cost
        UNION ALL
        SELECT fin_year, pod, hrg, detail, org_code, unit_of_count, cases, units, value FROM driver_cost
    ) AS cells
    GROUP BY fin_year, pod, hrg, detail, org_code, unit_of_count
),
trimmed_spells AS (
    SELECT s.fin_year, s.pod, s.tfc, s.hrg, s.org_code, CAST(s.los AS DECIMAL(18, 4)) AS los,
           CAST(CASE WHEN s.los > t.trim_point THEN t.trim_point ELSE s.los END AS DECIMAL(18, 4)) AS trimmed_los
    FROM spells AS s
    JOIN spell_trim_points AS t ON t.fin_year = s.fin_year AND t.pod = s.pod AND t.hrg = s.hrg
    WHERE s.los IS NOT NULL
),
los AS (
    SELECT 'los' AS family, fin_year, 'apc' AS setting, pod, tfc, hrg, '' AS detail, org_code,
           'spell' AS unit_of_count, count(*) AS cases, CAST(count(*) AS DECIMAL(38, 4)) AS units,
           sum(trimmed_los) AS value, sum(trimmed_los * trimmed_los) AS value_squared,
           sum(trimmed_los) AS value_units, CAST(count(*) AS DECIMAL(38, 8)) AS units_squared,
           CAST(NULL AS DECIMAL(18, 6)) AS national_cost, CAST(NULL AS VARCHAR) AS national_basis
    FROM trimmed_spells
    GROUP BY fin_year, pod, tfc, hrg, org_code
),
los_untrimmed AS (
    SELECT 'los_untrimmed' AS family, fin_year, 'apc' AS setting, pod, tfc, hrg, '' AS detail, org_code,
           'spell' AS unit_of_count, count(*) AS cases, CAST(count(*) AS DECIMAL(38, 4)) AS units,
           sum(los) AS value, sum(los * los) AS value_squared, sum(los) AS value_units,
           CAST(count(*) AS DECIMAL(38, 8)) AS units_squared,
           CAST(NULL AS DECIMAL(18, 6)) AS national_cost, CAST(NULL AS VARCHAR) AS national_basis
    FROM trimmed_spells
    GROUP BY fin_year, pod, tfc, hrg, org_code
),
cc_bed_day_cost AS (
    SELECT 'cc_bed_day_cost' AS family, c.fin_year, 'cc' AS setting, '' AS pod, '' AS tfc, c.hrg,
           c.unit_type AS detail, c.org_code, c.unit_of_count,
           CAST(sum(c.activity) AS BIGINT) AS cases, sum(c.units) AS units, sum(c.total_cost) AS value,
           sum(c.cost_squared) AS value_squared, sum(c.cost_units) AS value_units,
           sum(c.units_squared) AS units_squared,
           CASE WHEN sum(c.priced) = sum(c.activity)
                THEN CAST(CAST(sum(c.national_cost) AS DOUBLE) * coalesce(max(m.mff), 1) AS DECIMAL(18, 6)) END
               AS national_cost,
           CASE WHEN sum(c.priced) = sum(c.activity)
                THEN 'NCC ' || min(c.schedule_year) || ': price per critical care day'
                     || CASE WHEN max(m.mff) IS NOT NULL
                             THEN ', x market forces factor ' || CAST(max(m.mff) AS VARCHAR) ELSE '' END END
               AS national_basis
    FROM unit_type_cells AS c
    LEFT JOIN market_forces AS m ON m.fin_year = c.fin_year AND m.org_code = c.org_code
    WHERE c.setting = 'cc'
    GROUP BY c.fin_year, c.hrg, c.unit_type, c.org_code, c.unit_of_count
),
wau_settings AS (
    -- The priced records' count, cost and national cost, added up from the cells (a record is in one cell; sums of
    -- exact decimals, so the same as from the records).
    SELECT fin_year, setting, org_code, CAST(sum(priced) AS BIGINT) AS priced_records, sum(priced_cost) AS priced_cost,
           sum(national_cost) AS national_cost
    FROM unit_cells
    GROUP BY fin_year, setting, org_code
    HAVING sum(priced) > 0
    UNION ALL
    SELECT fin_year, '(all)' AS setting, org_code, CAST(sum(priced) AS BIGINT) AS priced_records,
           sum(priced_cost) AS priced_cost, sum(national_cost) AS national_cost
    FROM unit_cells
    GROUP BY fin_year, org_code
    HAVING sum(priced) > 0
),
cost_per_wau AS (
    -- Model Health System: WAU = national cost / the year's pounds per WAU, and cost per WAU = cost / market forces
    -- factor / WAU, so an expensive area's unavoidable costs do not count against it. The units here are WAU x MFF:
    -- the same rate, with the provider's own pounds as the value (so opportunities come out in its own pounds).
    SELECT 'cost_per_wau' AS family, w.fin_year, w.setting, '' AS pod, '' AS tfc, '' AS hrg, '' AS detail,
           w.org_code, 'wau' AS unit_of_count, w.priced_records AS cases,
           CAST(CAST(w.national_cost AS DOUBLE) / NULLIF(coalesce(k.wau_constant, s.wau_unit_cost), 0) * coalesce(m.mff, 1)
                AS DECIMAL(38, 10)) AS units,
           w.priced_cost AS value, CAST(NULL AS DECIMAL(38, 8)) AS value_squared,
           CAST(NULL AS DECIMAL(38, 8)) AS value_units, CAST(NULL AS DECIMAL(38, 8)) AS units_squared,
           CAST(NULL AS DECIMAL(18, 6)) AS national_cost, CAST(NULL AS VARCHAR) AS national_basis
    FROM wau_settings AS w
    CROSS JOIN results.refresh_parameters AS s
    LEFT JOIN ref_wau_constant AS k ON k.fin_year = w.fin_year
    LEFT JOIN market_forces AS m ON m.fin_year = w.fin_year AND m.org_code = w.org_code
),
service_line_records AS (
    -- The service lines' records (a record may be in several service lines): read by the service cost and the
    -- service driver cost, so the records are joined to the service lines once.
    SELECT s.service_line, r.fin_year, r.quarter, r.org_code, r.unit_of_count, r.units, r.total_cost,
           r.national_unit_cost, r.schedule_year, r.ward_cost, r.theatre_cost, r.critical_care_cost,
           r.pathology_cost, r.imaging_cost, r.pharmacy_cost, r.high_cost_drugs_cost, r.therapies_cost,
           r.outpatient_care_cost, r.emergency_care_cost, r.community_care_cost, r.mental_health_care_cost,
           r.other_clinical_cost, r.overheads_cost, r.other_cost
    FROM records AS r
    JOIN service_records AS s ON s.setting = r.setting AND s.org_code = r.org_code AND s.record_id = r.record_id
),
service_periods AS (
    SELECT 'year' AS period_kind
    UNION ALL
    SELECT 'quarter'
),
service_priced AS (
    -- Each service line record twice: for its year, and for its quarter.
    SELECT r.service_line, r.fin_year,
           CASE WHEN k.period_kind = 'year' THEN 'year' ELSE 'Q' || CAST(r.quarter AS VARCHAR) END AS period,
           r.org_code, r.unit_of_count, r.units, r.total_cost, r.national_unit_cost, r.schedule_year
    FROM service_line_records AS r
    CROSS JOIN service_periods AS k
),
service_cost AS (
    SELECT CASE WHEN c.period = 'year' THEN 'service_cost' ELSE 'service_cost_quarter' END AS family, c.fin_year,
           '' AS setting, '' AS pod, '' AS tfc, '' AS hrg,
           CASE WHEN c.period = 'year' THEN c.service_line ELSE c.service_line || '|' || c.period END AS detail,
           c.org_code, c.unit_of_count, count(*) AS cases, sum(c.units) AS units, sum(c.total_cost) AS value,
           sum(CAST(c.total_cost AS DECIMAL(19, 4)) * CAST(c.total_cost AS DECIMAL(19, 4))) AS value_squared,
           sum(CAST(c.total_cost AS DECIMAL(19, 4)) * c.units) AS value_units, sum(c.units * c.units) AS units_squared,
           CASE WHEN count(c.national_unit_cost) = count(*)
                THEN CAST(CAST(sum(CAST(c.national_unit_cost * CAST(c.units AS DOUBLE) AS DECIMAL(18, 6))) AS DOUBLE)
                          * coalesce(max(m.mff), 1) AS DECIMAL(18, 6)) END AS national_cost,
           CASE WHEN count(c.national_unit_cost) = count(*)
                THEN 'NCC ' || min(c.schedule_year) || ': prices for the service line''s currencies'
                     || CASE WHEN max(m.mff) IS NOT NULL
                             THEN ', x market forces factor ' || CAST(max(m.mff) AS VARCHAR) ELSE '' END END
               AS national_basis
    FROM service_priced AS c
    LEFT JOIN market_forces AS m ON m.fin_year = c.fin_year AND m.org_code = c.org_code
    GROUP BY c.fin_year, c.period, c.service_line, c.org_code, c.unit_of_count
),
service_driver_records AS (
    SELECT r.service_line, r.fin_year, r.org_code, r.unit_of_count, r.units, d.cost_driver,
           CASE d.cost_driver
                WHEN 'ward' THEN r.ward_cost
                WHEN 'theatre' THEN r.theatre_cost
                WHEN 'critical_care' THEN r.critical_care_cost
                WHEN 'pathology' THEN r.pathology_cost
                WHEN 'imaging' THEN r.imaging_cost
                WHEN 'pharmacy' THEN r.pharmacy_cost
                WHEN 'high_cost_drugs' THEN r.high_cost_drugs_cost
                WHEN 'therapies' THEN r.therapies_cost
                WHEN 'outpatient_care' THEN r.outpatient_care_cost
                WHEN 'emergency_care' THEN r.emergency_care_cost
                WHEN 'community_care' THEN r.community_care_cost
                WHEN 'mental_health_care' THEN r.mental_health_care_cost
                WHEN 'other_clinical' THEN r.other_clinical_cost
                WHEN 'overheads' THEN r.overheads_cost
                WHEN 'other' THEN r.other_cost
           END AS driver_cost
    FROM service_line_records AS r
    CROSS JOIN ref_cost_driver AS d
),
service_drivers_used AS (
    SELECT service_line, fin_year, cost_driver
    FROM service_driver_records
    GROUP BY service_line, fin_year, cost_driver
    HAVING sum(CASE WHEN driver_cost <> 0 THEN 1 ELSE 0 END) > 0
),
service_driver_cost AS (
    SELECT 'service_driver_cost' AS family, r.fin_year, '' AS setting, '' AS pod, '' AS tfc, '' AS hrg,
           r.service_line || '|' || r.cost_driver AS detail, r.org_code, r.unit_of_count, count(*) AS cases,
           sum(r.units) AS units, sum(r.driver_cost) AS value,
           sum(CAST(r.driver_cost AS DECIMAL(19, 4)) * CAST(r.driver_cost AS DECIMAL(19, 4))) AS value_squared,
           sum(CAST(r.driver_cost AS DECIMAL(19, 4)) * r.units) AS value_units, sum(r.units * r.units) AS units_squared,
           CAST(NULL AS DECIMAL(18, 6)) AS national_cost, CAST(NULL AS VARCHAR) AS national_basis
    FROM service_driver_records AS r
    JOIN service_drivers_used AS u
        ON u.service_line = r.service_line AND u.fin_year = r.fin_year AND u.cost_driver = r.cost_driver
    GROUP BY r.fin_year, r.service_line, r.cost_driver, r.org_code, r.unit_of_count
)
-- Every branch in the same types, so no figure loses decimals when the branches are put together.
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM unit_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM driver_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM pod_hrg_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM los
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM los_untrimmed
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM cc_bed_day_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM cost_per_wau
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM service_cost
UNION ALL
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, unit_of_count, cases,
       CAST(units AS DECIMAL(38, 10)) AS units, CAST(value AS DECIMAL(38, 4)) AS value,
       CAST(value_squared AS DECIMAL(38, 8)) AS value_squared, CAST(value_units AS DECIMAL(38, 8)) AS value_units,
       CAST(units_squared AS DECIMAL(38, 8)) AS units_squared, national_cost, national_basis
FROM service_driver_cost
