-- cell_dominance: how much of each cost cell its largest two contributors make up, for the dominance rule.
-- Grain: one row per family (unit_cost, driver_cost, spell_cost, cc_cost or support_cost), financial year, cell
--   (setting, POD, TFC, HRG, cost driver or critical care unit type) and provider, for every cell with a contributor
--   of non-zero cost.
-- Inputs: event_costs, activity, spells, ref_pod, ref_cost_driver
-- Published: no
-- About: Internal: the magnitude (dominance) rule of docs/disclosure-control.md needs, for each published money cell,
--   its total and its largest two contributions; they come from the records, so they are worked out here and carried,
--   never published, in the money tables that read them: unit_cost_benchmark and cost_driver_benchmark (unit_cost,
--   driver_cost), los_benchmark (spell_cost: the cost of spells with a length of stay, by the spell's POD, TFC and
--   HRG), critical_care (cc_cost: the cost of critical care periods by unit type and critical care HRG, setting cc, POD
--   and TFC blank) and clinical_support (support_cost: pharmacy, imaging and pathology cost by setting, POD and HRG,
--   TFC blank). A contributor is one patient, as UK Trusted Research Environments count them: a patient's several
--   records in the cell (episodes, attendances, contacts, spells, periods) are one contribution, their costs added up,
--   found through the pseudonym on the activity record (a spell's, on its episodes); a record (spell) without a
--   pseudonym is a contributor of its own. A contributor whose records in the cell add up to no cost (on a driver,
--   most) adds nothing and is left out. Contributions are compared by size: one of negative cost (a credit) counts by
--   its magnitude, as statistical agencies apply the rule, so a large credit dominates like a large cost. The same
--   figures for the cell across every provider (the ICS cell, where a patient seen by two providers is still one
--   contributor) protect the ICS cost per unit. Records are those of benchmark_inputs: loaded activity with a known
--   POD.
-- Columns:
--   family [key] unit_cost (the record's whole cost), driver_cost (its cost on one driver), spell_cost (a spell's
--     cost), cc_cost (a critical care period's cost) or support_cost (its pharmacy, imaging or pathology cost, TFC
--     blank)
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs
--   pod [key] point of delivery
--   tfc [key] treatment function code; blank where the setting has none
--   hrg [key] HRG or currency
--   detail [key] the cost driver for driver_cost and support_cost, the unit type for cc_cost; blank for the others
--   org_code [key] provider ODS code
--   contributors [count] the provider's contributors of non-zero cost in the cell: patients, and records without
--     a patient pseudonym
--   cost [from contributors] their cost by size (each contributor's cost in the cell made positive), pounds
--   largest [from contributors] the largest contributor's cost by size, pounds
--   second [from contributors] the second largest contributor's cost by size, pounds (0 with a single contributor)
--   ics_contributors [count] contributors of non-zero cost in the cell across every provider
--   ics_cost [from ics_contributors] their cost by size, pounds
--   ics_largest [from ics_contributors] the largest contributor's cost by size in the cell across every provider,
--     pounds
--   ics_second [from ics_contributors] the second largest, pounds
WITH records AS (
    -- lone_record names a record without a patient pseudonym, so that it stays a contributor of its own.
    SELECT e.fin_year, e.setting, e.pod, e.tfc, e.hrg, e.org_code, e.spell_id, e.unit_type, a.patient_id,
           CASE WHEN a.patient_id IS NULL THEN e.record_id END AS lone_record,
           e.total_cost, e.ward_cost, e.theatre_cost,
           e.critical_care_cost, e.pathology_cost, e.imaging_cost, e.pharmacy_cost, e.high_cost_drugs_cost,
           e.therapies_cost, e.outpatient_care_cost, e.emergency_care_cost, e.community_care_cost,
           e.mental_health_care_cost, e.other_clinical_cost, e.overheads_cost, e.other_cost
    FROM event_costs AS e
    JOIN ref_pod AS p ON p.setting = e.setting AND p.pod = e.pod
    LEFT JOIN activity AS a
        ON a.setting = e.setting AND a.org_code = e.org_code AND a.record_id = e.record_id
    WHERE e.has_activity_record = 1
),
spell_patients AS (
    -- The patient of each admitted care spell, from its episodes' activity records.
    SELECT org_code, spell_id, max(patient_id) AS patient_id
    FROM records
    WHERE setting = 'apc'
    GROUP BY org_code, spell_id
),
contributions AS (
    SELECT 'unit_cost' AS family, fin_year, setting, pod, tfc, hrg, '' AS detail, org_code, patient_id,
           lone_record, total_cost AS cost
    FROM records
    WHERE total_cost <> 0
    UNION ALL
    SELECT 'cc_cost' AS family, fin_year, setting, '' AS pod, '' AS tfc, hrg, coalesce(unit_type, '') AS detail,
           org_code, patient_id, lone_record, total_cost AS cost
    FROM records
    WHERE setting = 'cc' AND total_cost <> 0
    UNION ALL
    SELECT 'spell_cost' AS family, s.fin_year, 'apc' AS setting, s.pod, s.tfc, s.hrg, '' AS detail, s.org_code,
           p.patient_id,
           CASE WHEN p.patient_id IS NULL THEN s.spell_id END AS lone_record,
           s.total_cost AS cost
    FROM spells AS s
    LEFT JOIN spell_patients AS p ON p.org_code = s.org_code AND p.spell_id = s.spell_id
    WHERE s.los IS NOT NULL AND s.total_cost <> 0
    UNION ALL
    SELECT 'support_cost' AS family, fin_year, setting, pod, '' AS tfc, hrg, 'pharmacy' AS detail, org_code,
           patient_id, lone_record, pharmacy_cost AS cost
    FROM records
    WHERE pharmacy_cost <> 0
    UNION ALL
    SELECT 'support_cost' AS family, fin_year, setting, pod, '' AS tfc, hrg, 'imaging' AS detail, org_code,
           patient_id, lone_record, imaging_cost AS cost
    FROM records
    WHERE imaging_cost <> 0
    UNION ALL
    SELECT 'support_cost' AS family, fin_year, setting, pod, '' AS tfc, hrg, 'pathology' AS detail, org_code,
           patient_id, lone_record, pathology_cost AS cost
    FROM records
    WHERE pathology_cost <> 0
    UNION ALL
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, patient_id, lone_record, cost
    FROM (
        SELECT 'driver_cost' AS family, r.fin_year, r.setting, r.pod, r.tfc, r.hrg, d.cost_driver AS detail,
               r.org_code, r.patient_id, r.lone_record,
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
               END AS cost
        FROM records AS r
        CROSS JOIN ref_cost_driver AS d
    ) AS drivers
    WHERE cost <> 0
),
provider_contributors AS (
    -- One row per contributor to a provider's cell, its records' costs added up (signed, so that a patient's credit
    -- nets against their cost before the contribution is taken by size).
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, patient_id, lone_record, sum(cost) AS cost
    FROM contributions
    GROUP BY family, fin_year, setting, pod, tfc, hrg, detail, org_code, patient_id, lone_record
),
ics_contributors AS (
    -- The same across every provider, from the providers' contributions: a patient seen by several providers is one
    -- contributor to the ICS cell, a record without a pseudonym still one of its own.
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, abs(sum(cost)) AS cost
    FROM provider_contributors
    GROUP BY family, fin_year, setting, pod, tfc, hrg, detail, patient_id,
             CASE WHEN patient_id IS NULL THEN org_code END, lone_record
),
provider_sized AS (
    -- Contributions by size; a contributor whose records cancel out has nothing to protect.
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, abs(cost) AS cost
    FROM provider_contributors
    WHERE cost <> 0
),
ics_sized AS (
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, cost
    FROM ics_contributors
    WHERE cost > 0
),
provider_largest AS (
    -- The largest two per cell from aggregates, not a ranking window over every contribution (the costliest step of
    -- the refresh at scale 1.0): the largest is the cell's max; the second is the max of what is below it, or the
    -- largest again where two contributors tie for it.
    SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code,
           count(*) AS contributors, sum(cost) AS cost, max(cost) AS largest
    FROM provider_sized
    GROUP BY family, fin_year, setting, pod, tfc, hrg, detail, org_code
),
ics_largest AS (
    SELECT family, fin_year, setting, pod, tfc, hrg, detail,
           count(*) AS ics_contributors, sum(cost) AS ics_cost, max(cost) AS ics_largest
    FROM ics_sized
    GROUP BY family, fin_year, setting, pod, tfc, hrg, detail
),
provider_cells AS (
    SELECT l.family, l.fin_year, l.setting, l.pod, l.tfc, l.hrg, l.detail, l.org_code,
           max(l.contributors) AS contributors, max(l.cost) AS cost, max(l.largest) AS largest,
           CASE WHEN sum(CASE WHEN c.cost = l.largest THEN 1 ELSE 0 END) > 1 THEN max(l.largest)
                ELSE coalesce(max(CASE WHEN c.cost < l.largest THEN c.cost END), 0) END AS second
    FROM provider_largest AS l
    JOIN provider_sized AS c
        ON c.family = l.family AND c.fin_year = l.fin_year AND c.setting = l.setting AND c.pod = l.pod
       AND c.tfc = l.tfc AND c.hrg = l.hrg AND c.detail = l.detail AND c.org_code = l.org_code
    GROUP BY l.family, l.fin_year, l.setting, l.pod, l.tfc, l.hrg, l.detail, l.org_code
),
ics_cells AS (
    SELECT l.family, l.fin_year, l.setting, l.pod, l.tfc, l.hrg, l.detail,
           max(l.ics_contributors) AS ics_contributors, max(l.ics_cost) AS ics_cost,
           max(l.ics_largest) AS ics_largest,
           CASE WHEN sum(CASE WHEN c.cost = l.ics_largest THEN 1 ELSE 0 END) > 1 THEN max(l.ics_largest)
                ELSE coalesce(max(CASE WHEN c.cost < l.ics_largest THEN c.cost END), 0) END AS ics_second
    FROM ics_largest AS l
    JOIN ics_sized AS c
        ON c.family = l.family AND c.fin_year = l.fin_year AND c.setting = l.setting AND c.pod = l.pod
       AND c.tfc = l.tfc AND c.hrg = l.hrg AND c.detail = l.detail
    GROUP BY l.family, l.fin_year, l.setting, l.pod, l.tfc, l.hrg, l.detail
)
SELECT p.family, p.fin_year, p.setting, p.pod, p.tfc, p.hrg, p.detail, p.org_code, p.contributors, p.cost,
       p.largest, p.second, i.ics_contributors, i.ics_cost, i.ics_largest, i.ics_second
FROM provider_cells AS p
JOIN ics_cells AS i
    ON i.family = p.family AND i.fin_year = p.fin_year AND i.setting = p.setting AND i.pod = p.pod
   AND i.tfc = p.tfc AND i.hrg = p.hrg AND i.detail = p.detail
