-- cell_dominance: how much of each cost cell its largest two contributors make up, for the dominance rule.
-- Grain: one row per family (unit_cost, driver_cost, spell_cost, spell_theatre, cc_cost, support_cost, service_cost,
--   service_cost_quarter, service_driver_cost, service_driver_cost_quarter, ward_cost, service_ward_cost,
--   trend_cost, system_cost or pod_hrg_driver), financial year, cell (setting, POD, TFC, HRG, cost driver, critical care unit type, service line,
--   ward or quarter) and provider, for every cell with a contributor of non-zero cost.
-- Inputs: event_costs, activity, cost_lines, spells, service_records, ref_pod, ref_cost_driver
-- Published: no
-- About: Internal: the magnitude (dominance) rule of docs/disclosure-control.md needs, for each published money cell,
--   its total and its largest two contributions; they come from the records, so they are worked out here and carried,
--   never published, in the money tables that read them: unit_cost_benchmark and cost_driver_benchmark (unit_cost,
--   driver_cost), los_benchmark (spell_cost: the cost of spells with a length of stay, by the spell's POD, TFC and
--   HRG), inpatient_cost_drivers (spell_theatre: spells' theatre cost by POD and HRG, TFC blank), critical_care
--   (cc_cost: the cost of critical care periods by unit type and critical care HRG, setting cc, POD and TFC blank),
--   clinical_support (support_cost: pharmacy, imaging and pathology cost by setting, POD and HRG, TFC blank),
--   service_line_benchmark (service_cost: a service line's records' cost in the year, detail the service line;
--   service_cost_quarter: in a quarter, detail service line|Q1 to Q4; service_driver_cost_quarter: their theatre or
--   ward cost in a quarter, detail service line|Q1 to Q4|theatre or ward, and service_driver_cost below in the year)
--   and service_line_drivers (service_driver_cost: their cost on one driver in the year, detail service
--   line|driver), ward_costs (ward_cost:
--   ward care cost lines by the ward they name, every loaded line, detail the ward) and service_line_wards
--   (service_ward_cost: a service line's records' ward care cost by ward, detail service line|ward); the service
--   line and ward cells have setting, POD, TFC and HRG blank, and a ward cell's ICS figures are its provider's (a
--   ward is the provider's own), and cost_trend (trend_cost: a POD's records' cost in a quarter, detail Q1 to Q4, TFC
--   and HRG blank), system_cost (system_cost: a provider's records' cost in a quarter, setting, POD and HRG, detail Q1
--   to Q4, TFC blank) and opportunity_summary (pod_hrg_driver: records' cost on one driver by setting, POD and HRG,
--   TFC blank, detail the driver: a POD + HRG cost driver row, which adds up TFC cells each checked on its own;
--   inpatient_cost_drivers' theatre cells, linked to it before, are by the spell's HRG, not the episode's; pharmacy,
--   imaging and pathology are support_cost's cells). A contributor is one patient, as UK Trusted Research Environments count
--   them: a patient's several records in the cell (episodes, attendances, contacts, spells, periods) are one
--   contribution, their costs added up, found through the pseudonym on the activity record (a spell's, on its episodes); a record (spell) without a
--   pseudonym is a contributor of its own. A contributor whose records in the cell add up to no cost (on a driver,
--   most) adds nothing and is left out. Contributions are compared by size: one of negative cost (a credit) counts by
--   its magnitude, as statistical agencies apply the rule, so a large credit dominates like a large cost. The same
--   figures for the cell across every provider (the ICS cell, where a patient seen by two providers is still one
--   contributor) protect the ICS cost per unit. Records are those of benchmark_inputs: loaded activity with a known
--   POD (the ward families: every loaded ward care cost line, a line without an activity record a contributor of its
--   own).
-- Columns:
--   family [key] unit_cost (the record's whole cost), driver_cost (its cost on one driver), spell_cost (a spell's
--     cost), spell_theatre (a spell's theatre cost), cc_cost (a critical care period's cost), support_cost (its
--     pharmacy, imaging or pathology cost, TFC blank), service_cost or service_cost_quarter (a service line record's
--     cost in the year or quarter), service_driver_cost (its cost on one driver in the year),
--     service_driver_cost_quarter (its theatre or ward cost in a quarter), ward_cost (a record's ward care cost on a
--     ward), service_ward_cost (a service line record's), trend_cost (a record's whole cost in its POD's quarter),
--     system_cost (its whole cost in its quarter's setting, POD and HRG cell, TFC blank) or pod_hrg_driver (its
--     cost on one driver in its POD and HRG, TFC blank)
--   fin_year [key] financial year
--   setting [key] apc, op, ec, cc, mh or chs; blank for the service line and ward families
--   pod [key] point of delivery
--   tfc [key] treatment function code; blank where the setting has none
--   hrg [key] HRG or currency; blank for the quarter family
--   detail [key] the cost driver for driver_cost, support_cost and pod_hrg_driver, the unit type for cc_cost, the service line (with
--     |quarter, |driver, |quarter|driver or |ward) for the service line families, the ward for ward_cost, the quarter
--     (Q1 to Q4) for trend_cost and system_cost; blank for the others
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
WITH cells AS (
    -- Every provider's (year, setting, POD, TFC, HRG) cell of a record, numbered, with the numbers of the same cell
    -- across every provider, of its support cells (TFC blank) and, for critical care, of its (year, HRG, unit type)
    -- cells, so that the contributions below are added up and ranked on small integer keys rather than on eight text
    -- columns and the pseudonym; 32-bit, as every number here is, to narrow the provider sums' hash table (the
    -- query's largest). A critical care cell has a row per unit type (blank for the other settings).
    SELECT fin_year, quarter, setting, pod, tfc, hrg, unit_type, org_code,
           CAST(dense_rank() OVER (ORDER BY fin_year, setting, pod, tfc, hrg, org_code) AS INTEGER) AS cell_no,
           CAST(dense_rank() OVER (ORDER BY fin_year, setting, pod, tfc, hrg) AS INTEGER) AS ics_cell_no,
           CAST(dense_rank() OVER (ORDER BY fin_year, setting, pod, hrg, org_code) AS INTEGER) AS support_no,
           CAST(dense_rank() OVER (ORDER BY fin_year, setting, pod, hrg) AS INTEGER) AS support_ics_no,
           CASE WHEN setting = 'cc'
               THEN CAST(dense_rank() OVER (ORDER BY fin_year, setting, hrg, unit_type, org_code) AS INTEGER)
           END AS cc_no,
           CASE WHEN setting = 'cc'
               THEN CAST(dense_rank() OVER (ORDER BY fin_year, setting, hrg, unit_type) AS INTEGER)
           END AS cc_ics_no,
           CAST(dense_rank() OVER (ORDER BY fin_year, quarter, setting, pod, org_code) AS INTEGER) AS trend_no,
           CAST(dense_rank() OVER (ORDER BY fin_year, quarter, setting, pod) AS INTEGER) AS trend_ics_no,
           CAST(dense_rank() OVER (ORDER BY fin_year, quarter, setting, pod, hrg, org_code) AS INTEGER) AS system_no,
           CAST(dense_rank() OVER (ORDER BY fin_year, quarter, setting, pod, hrg) AS INTEGER) AS system_ics_no
    FROM (
        SELECT DISTINCT e.fin_year, e.quarter, e.setting, e.pod, e.tfc, e.hrg,
               CASE WHEN e.setting = 'cc' THEN coalesce(e.unit_type, '') ELSE '' END AS unit_type, e.org_code
        FROM event_costs AS e
        JOIN ref_pod AS p ON p.setting = e.setting AND p.pod = e.pod
        WHERE e.has_activity_record = 1
    ) AS distinct_cells
),
patients AS (
    -- Each patient pseudonym numbered, so that contributions are added up on an integer rather than on 64 characters,
    -- one row a setting the patient was seen in, with whether more than one provider saw them in that setting
    -- (shared) or in any (shared_anywhere). A patient no other provider saw has the same contribution to the ICS cell
    -- as to their provider's, so only shared patients' contributions are added up again across providers below.
    SELECT patient_id, setting, CAST(dense_rank() OVER (ORDER BY patient_id) AS INTEGER) AS patient_no,
           CASE WHEN min(org_code) < max(org_code) THEN 1 ELSE 0 END AS shared,
           CASE WHEN min(min(org_code)) OVER (PARTITION BY patient_id) < max(max(org_code)) OVER (PARTITION BY patient_id)
               THEN 1 ELSE 0 END AS shared_anywhere
    FROM activity
    WHERE patient_id IS NOT NULL
    GROUP BY patient_id, setting
),
record_patients AS (
    -- Each activity record's patient number (none without a pseudonym) and, in admitted care, its spell: the records
    -- and the spells' patients below both read it, so that activity is read twice in all (here and for the numbers)
    -- and event_costs twice (the cells and the records), within the two reads of a record-level table that Spark,
    -- which reads a table again wherever it is named, is held to (engine/metrics/on_spark.py).
    SELECT a.setting, a.org_code, a.record_id, a.pod,
           CASE WHEN a.setting = 'apc' THEN coalesce(a.spell_id, a.record_id) END AS spell_id, n.patient_no, n.shared,
           n.shared_anywhere
    FROM activity AS a
    LEFT JOIN patients AS n ON n.patient_id = a.patient_id AND n.setting = a.setting
),
records AS (
    -- lone_record names a record without a patient pseudonym, so that it stays a contributor of its own (its provider
    -- is its cell's).
    SELECT c.cell_no, c.ics_cell_no, c.support_no, c.support_ics_no, c.cc_no, c.cc_ics_no, c.trend_no,
           c.trend_ics_no, c.system_no, c.system_ics_no, n.patient_no, coalesce(n.shared, 0) AS shared,
           coalesce(n.shared_anywhere, 0) AS shared_anywhere, e.setting, e.org_code, e.record_id,
           CASE WHEN n.patient_no IS NULL THEN e.record_id END AS lone_record,
           e.total_cost, e.ward_cost, e.theatre_cost,
           e.critical_care_cost, e.pathology_cost, e.imaging_cost, e.pharmacy_cost, e.high_cost_drugs_cost,
           e.therapies_cost, e.outpatient_care_cost, e.emergency_care_cost, e.community_care_cost,
           e.mental_health_care_cost, e.other_clinical_cost, e.overheads_cost, e.other_cost
    FROM event_costs AS e
    JOIN cells AS c
        ON c.fin_year = e.fin_year AND c.quarter = e.quarter AND c.setting = e.setting AND c.pod = e.pod
       AND c.tfc = e.tfc AND c.hrg = e.hrg AND c.unit_type = CASE WHEN e.setting = 'cc' THEN coalesce(e.unit_type, '') ELSE '' END
       AND c.org_code = e.org_code
    LEFT JOIN record_patients AS n
        ON n.setting = e.setting AND n.org_code = e.org_code AND n.record_id = e.record_id
    WHERE e.has_activity_record = 1
),
kinds AS (
    -- What a contribution is, numbered: the record's whole cost (unit_cost), its cost on one driver (driver_cost), its
    -- pharmacy, imaging or pathology cost in the support cell (support_cost, TFC blank), or a critical care
    -- period's whole cost in its unit type's cell (cc_cost).
    SELECT family, detail, support, CAST(row_number() OVER (ORDER BY family, detail) AS INTEGER) AS kind
    FROM (
        SELECT 'unit_cost' AS family, '' AS detail, 0 AS support
        UNION ALL
        SELECT 'driver_cost' AS family, cost_driver AS detail, 0 AS support
        FROM ref_cost_driver
        UNION ALL
        SELECT 'support_cost' AS family, 'pharmacy' AS detail, 1 AS support
        UNION ALL
        SELECT 'support_cost' AS family, 'imaging' AS detail, 1 AS support
        UNION ALL
        SELECT 'support_cost' AS family, 'pathology' AS detail, 1 AS support
        UNION ALL
        SELECT 'pod_hrg_driver' AS family, cost_driver AS detail, 1 AS support
        FROM ref_cost_driver
        WHERE cost_driver NOT IN ('pharmacy', 'imaging', 'pathology')
        UNION ALL
        SELECT 'cc_cost' AS family, '' AS detail, 2 AS support
        UNION ALL
        SELECT 'service_cost' AS family, '' AS detail, 3 AS support
        UNION ALL
        SELECT 'service_driver_cost' AS family, cost_driver AS detail, 3 AS support
        FROM ref_cost_driver
        UNION ALL
        SELECT 'service_cost_quarter' AS family, '' AS detail, 4 AS support
        UNION ALL
        SELECT 'service_driver_cost_quarter' AS family, 'theatre' AS detail, 4 AS support
        UNION ALL
        SELECT 'service_driver_cost_quarter' AS family, 'ward' AS detail, 4 AS support
        UNION ALL
        SELECT 'ward_cost' AS family, '' AS detail, 5 AS support
        UNION ALL
        SELECT 'trend_cost' AS family, '' AS detail, 7 AS support
        UNION ALL
        SELECT 'system_cost' AS family, '' AS detail, 8 AS support
        UNION ALL
        SELECT 'service_ward_cost' AS family, '' AS detail, 6 AS support
    ) AS kind_list
),
service_periods AS (
    -- Each service line record in its year (support 3) and its quarter (support 4), with the numbers of its service
    -- line cell at the provider and across every provider.
    SELECT service_line, fin_year, period, support, setting, org_code, record_id,
           CAST(dense_rank() OVER (ORDER BY service_line, fin_year, period, org_code) AS INTEGER) AS cell_no,
           CAST(dense_rank() OVER (ORDER BY service_line, fin_year, period) AS INTEGER) AS ics_cell_no
    FROM (
        SELECT s.service_line, s.fin_year,
               CASE WHEN p.support = 3 THEN 'year' ELSE 'Q' || CAST(s.quarter AS VARCHAR) END AS period,
               p.support, s.setting, s.org_code, s.record_id
        FROM service_records AS s
        CROSS JOIN (SELECT 3 AS support UNION ALL SELECT 4 AS support) AS p
    ) AS service_period_list
),
ward_lines AS (
    -- Each record's ward care cost on each ward (the location of its ward cost lines), as ward_costs reads them: every
    -- loaded line, with an activity record or not. cost_lines' one read.
    SELECT setting, org_code, record_id, fin_year, coalesce(location, '(no ward given)') AS ward, sum(cost) AS cost
    FROM cost_lines
    WHERE cost_driver = 'ward'
    GROUP BY setting, org_code, record_id, fin_year, coalesce(location, '(no ward given)')
),
ward_cells AS (
    -- ward_costs' cells (support 5): a provider's ward in a year. A ward is the provider's own, so its ICS cell is
    -- its provider cell.
    SELECT setting, org_code, record_id, fin_year, ward, cost,
           CAST(dense_rank() OVER (ORDER BY fin_year, org_code, ward) AS INTEGER) AS cell_no
    FROM ward_lines
),
service_ward_cells AS (
    -- service_line_wards' cells (support 6): a service line's records' ward cost on a provider's ward in a year.
    SELECT s.service_line, w.setting, w.org_code, w.record_id, w.fin_year, w.ward, w.cost,
           CAST(dense_rank() OVER (ORDER BY s.service_line, w.fin_year, w.org_code, w.ward) AS INTEGER) AS cell_no
    FROM service_records AS s
    JOIN ward_lines AS w ON w.setting = s.setting AND w.org_code = s.org_code AND w.record_id = s.record_id
),
record_links AS (
    -- The records the service line and ward cells take (a record in several), with the ward cells' cost: joined to
    -- the records' patients in one (their second) read.
    SELECT support, cell_no, ics_cell_no, setting, org_code, record_id, CAST(NULL AS DECIMAL(38, 4)) AS cost
    FROM service_periods
    UNION ALL
    SELECT 5 AS support, cell_no, cell_no AS ics_cell_no, setting, org_code, record_id, cost
    FROM ward_cells
    UNION ALL
    SELECT 6 AS support, cell_no, cell_no AS ics_cell_no, setting, org_code, record_id, cost
    FROM service_ward_cells
),
contributions AS (
    -- Each record's cost of each kind, in its provider cell (cell) and its ICS cell (ics_cell), and whether its
    -- patient was seen by another provider in the cell's setting (shared; in any setting for the service line cells,
    -- which span settings; never for a ward, whose ICS cell is its provider's, nor for a record without a patient).
    SELECT k.kind,
           CASE k.support WHEN 1 THEN r.support_no WHEN 2 THEN r.cc_no WHEN 7 THEN r.trend_no
               WHEN 8 THEN r.system_no ELSE r.cell_no END AS cell,
           CASE k.support WHEN 1 THEN r.support_ics_no WHEN 2 THEN r.cc_ics_no WHEN 7 THEN r.trend_ics_no
               WHEN 8 THEN r.system_ics_no ELSE r.ics_cell_no END AS ics_cell,
           r.patient_no, r.shared, r.lone_record,
           CASE WHEN k.family IN ('unit_cost', 'trend_cost', 'system_cost') THEN r.total_cost
                WHEN k.family = 'cc_cost' THEN CASE WHEN r.cc_no IS NOT NULL THEN r.total_cost END
                ELSE CASE k.detail
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
                END
           END AS cost
    FROM records AS r
    CROSS JOIN kinds AS k
    WHERE k.support < 3 OR k.support IN (7, 8)
    UNION ALL
    -- A service line record's whole cost, or its cost on one driver (every driver in the year; theatre and ward in a
    -- quarter), in its service line cell, and
    -- a record's ward cost on a ward: the records' second read. Ward lines without an activity record (so without
    -- a patient) are contributors of their own.
    SELECT k.kind, s.cell_no AS cell, s.ics_cell_no AS ics_cell, r.patient_no,
           CASE WHEN s.support IN (3, 4) THEN coalesce(r.shared_anywhere, 0) ELSE 0 END AS shared,
           CASE WHEN r.patient_no IS NULL THEN s.record_id END AS lone_record,
           CASE WHEN s.support >= 5 THEN s.cost
                WHEN k.detail = '' THEN r.total_cost
                ELSE CASE k.detail
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
                END
           END AS cost
    FROM record_links AS s
    LEFT JOIN records AS r ON r.setting = s.setting AND r.org_code = s.org_code AND r.record_id = s.record_id
    JOIN kinds AS k ON k.support = s.support
),
provider_sums AS (
    -- One row per contributor to a provider's cell, its records' costs added up (signed, so that a patient's credit
    -- nets against their cost before the contribution is taken by size). The key is integers but for lone_record:
    -- the cell names the provider (so a record without a pseudonym needs only its id) and the ICS cell follows from it.
    SELECT kind, cell, max(ics_cell) AS ics_cell, patient_no, max(shared) AS shared, sum(cost) AS cost
    FROM contributions
    WHERE cost <> 0
    GROUP BY kind, cell, patient_no, lone_record
),
sized AS (
    -- Contributions to a provider's cell by size; a contributor whose records cancel out has nothing to protect.
    SELECT kind, cell, ics_cell, shared, abs(cost) AS cost
    FROM provider_sums
    WHERE cost <> 0
),
largest AS (
    -- The largest two per cell from aggregates, not a ranking window over every contribution: the largest is the
    -- cell's max; the second is the max of what is below it, or the largest again where two contributors tie for it.
    -- The same for the cell's unshared contributors (own_), whose contributions to the ICS cell are these.
    SELECT kind, cell, ics_cell, count(*) AS contributors, sum(cost) AS cost, max(cost) AS largest,
           sum(CASE WHEN shared = 0 THEN 1 ELSE 0 END) AS own_contributors,
           sum(CASE WHEN shared = 0 THEN cost ELSE 0 END) AS own_cost,
           max(CASE WHEN shared = 0 THEN cost END) AS own_largest
    FROM sized
    GROUP BY kind, cell, ics_cell
),
ranked AS (
    -- own_second is NULL with fewer than two unshared contributors.
    SELECT l.kind, l.cell, l.ics_cell,
           max(l.contributors) AS contributors, max(l.cost) AS cost, max(l.largest) AS largest,
           CASE WHEN sum(CASE WHEN c.cost = l.largest THEN 1 ELSE 0 END) > 1 THEN max(l.largest)
                ELSE coalesce(max(CASE WHEN c.cost < l.largest THEN c.cost END), 0) END AS second,
           max(l.own_contributors) AS own_contributors, max(l.own_cost) AS own_cost,
           max(l.own_largest) AS own_largest,
           CASE WHEN sum(CASE WHEN c.shared = 0 AND c.cost = l.own_largest THEN 1 ELSE 0 END) > 1
                    THEN max(l.own_largest)
                ELSE max(CASE WHEN c.shared = 0 AND c.cost < l.own_largest THEN c.cost END) END AS own_second
    FROM largest AS l
    JOIN sized AS c ON c.kind = l.kind AND c.cell = l.cell
    GROUP BY l.kind, l.cell, l.ics_cell
),
ics_parts AS (
    -- What makes up an ICS cell: each of its provider cells' unshared contributors (their count, cost and largest
    -- two), and each shared patient's contributions added up across providers (a contributor of its own).
    SELECT kind, ics_cell, own_contributors AS contributors, own_cost AS cost, own_largest AS first,
           own_second AS second
    FROM ranked
    UNION ALL
    SELECT kind, ics_cell, 1 AS contributors, abs(sum(cost)) AS cost, abs(sum(cost)) AS first,
           CAST(NULL AS DECIMAL(38, 4)) AS second
    FROM provider_sums
    WHERE shared = 1
    GROUP BY kind, ics_cell, patient_no
    HAVING sum(cost) <> 0
),
ics_largest AS (
    SELECT kind, ics_cell, sum(contributors) AS contributors, sum(cost) AS cost, max(first) AS largest
    FROM ics_parts
    GROUP BY kind, ics_cell
),
ics_ranked AS (
    -- The ICS cell's largest two from its parts' largest two; a cell whose contributions all cancel out has none.
    SELECT l.kind, l.ics_cell, max(l.contributors) AS contributors, max(l.cost) AS cost, max(l.largest) AS largest,
           CASE WHEN sum(CASE WHEN c.first = l.largest THEN 1 ELSE 0 END)
                     + sum(CASE WHEN c.second = l.largest THEN 1 ELSE 0 END) > 1 THEN max(l.largest)
                ELSE coalesce(max(CASE WHEN c.first < l.largest THEN c.first
                                       WHEN c.second < l.largest THEN c.second END), 0) END AS second
    FROM ics_largest AS l
    JOIN ics_parts AS c ON c.kind = l.kind AND c.ics_cell = l.ics_cell
    WHERE l.contributors > 0
    GROUP BY l.kind, l.ics_cell
),
cell_names AS (
    -- A number's cell again: provider cells (support 0), support cells (support 1, TFC blank) and critical care cells
    -- (support 2, POD and TFC blank, the unit type as detail), in one read of the cells.
    SELECT DISTINCT s.support,
           CASE s.support WHEN 0 THEN c.cell_no WHEN 1 THEN c.support_no WHEN 7 THEN c.trend_no
               WHEN 8 THEN c.system_no ELSE c.cc_no END AS cell,
           c.fin_year, c.setting, CASE WHEN s.support = 2 THEN '' ELSE c.pod END AS pod,
           CASE WHEN s.support = 0 THEN c.tfc ELSE '' END AS tfc, CASE WHEN s.support = 7 THEN '' ELSE c.hrg END AS hrg,
           CASE s.support WHEN 2 THEN c.unit_type WHEN 7 THEN 'Q' || CAST(c.quarter AS VARCHAR)
               WHEN 8 THEN 'Q' || CAST(c.quarter AS VARCHAR) ELSE '' END AS detail,
           c.org_code
    FROM cells AS c
    CROSS JOIN (
        SELECT 0 AS support UNION ALL SELECT 1 AS support UNION ALL SELECT 2 AS support UNION ALL SELECT 7 AS support
        UNION ALL SELECT 8 AS support
    ) AS s
    WHERE s.support <> 2 OR c.cc_no IS NOT NULL
    UNION ALL
    -- service line cells (support 3 the year, 4 a quarter): setting, POD, TFC and HRG blank, the service line (and
    -- |quarter) as detail
    SELECT DISTINCT support, cell_no AS cell, fin_year, '' AS setting, '' AS pod, '' AS tfc, '' AS hrg,
           CASE WHEN support = 3 THEN service_line ELSE service_line || '|' || period END AS detail, org_code
    FROM service_periods
    UNION ALL
    -- ward cells (support 5, detail the ward) and service line ward cells (6, detail service line|ward)
    SELECT DISTINCT 5 AS support, cell_no AS cell, fin_year, '' AS setting, '' AS pod, '' AS tfc, '' AS hrg,
           ward AS detail, org_code
    FROM ward_cells
    UNION ALL
    SELECT DISTINCT 6 AS support, cell_no AS cell, fin_year, '' AS setting, '' AS pod, '' AS tfc, '' AS hrg,
           service_line || '|' || ward AS detail, org_code
    FROM service_ward_cells
),
numbered_cells AS (
    SELECT k.family, n.fin_year, n.setting, n.pod, n.tfc, n.hrg,
           CASE WHEN k.support = 2 OR (k.support >= 3 AND k.detail = '') THEN n.detail
                WHEN k.support >= 3 THEN n.detail || '|' || k.detail
                ELSE k.detail END AS detail, n.org_code,
           CAST(p.contributors AS BIGINT) AS contributors, CAST(p.cost AS DECIMAL(38, 4)) AS cost,
           CAST(p.largest AS DECIMAL(38, 4)) AS largest, CAST(p.second AS DECIMAL(38, 4)) AS second,
           CAST(i.contributors AS BIGINT) AS ics_contributors, CAST(i.cost AS DECIMAL(38, 4)) AS ics_cost,
           CAST(i.largest AS DECIMAL(38, 4)) AS ics_largest, CAST(i.second AS DECIMAL(38, 4)) AS ics_second
    FROM ranked AS p
    JOIN ics_ranked AS i ON i.kind = p.kind AND i.ics_cell = p.ics_cell
    JOIN kinds AS k ON k.kind = p.kind
    JOIN cell_names AS n ON n.support = k.support AND n.cell = p.cell
),
spell_patients AS (
    -- The patient of each admitted care spell, from its episodes' activity records (those with a known POD, as
    -- event_costs names the spell: the record itself where no spell id was sent); numbers follow the pseudonyms.
    SELECT r.org_code, r.spell_id, max(r.patient_no) AS patient_no
    FROM record_patients AS r
    JOIN ref_pod AS p ON p.setting = r.setting AND p.pod = r.pod
    WHERE r.setting = 'apc'
    GROUP BY r.org_code, r.spell_id
),
spell_contributions AS (
    -- The spell families, one row a spell and family: spell_cost (the cost of a spell with a length of stay) and
    -- spell_theatre (a spell's theatre cost, TFC blank), added up and ranked on their text keys.
    SELECT f.family, s.fin_year, s.pod, CASE WHEN f.family = 'spell_cost' THEN s.tfc ELSE '' END AS tfc, s.hrg,
           s.org_code, p.patient_no, CASE WHEN p.patient_no IS NULL THEN s.spell_id END AS lone_record,
           CASE WHEN f.family = 'spell_cost' THEN s.total_cost ELSE s.theatre_cost END AS cost
    FROM spells AS s
    CROSS JOIN (SELECT 'spell_cost' AS family UNION ALL SELECT 'spell_theatre' AS family) AS f
    LEFT JOIN spell_patients AS p ON p.org_code = s.org_code AND p.spell_id = s.spell_id
    WHERE CASE WHEN f.family = 'spell_cost' THEN CASE WHEN s.los IS NOT NULL THEN s.total_cost END
               ELSE s.theatre_cost END <> 0
),
spell_provider_contributors AS (
    SELECT family, fin_year, pod, tfc, hrg, org_code, patient_no, lone_record, sum(cost) AS cost
    FROM spell_contributions
    GROUP BY family, fin_year, pod, tfc, hrg, org_code, patient_no, lone_record
),
spell_ics_contributors AS (
    SELECT family, fin_year, pod, tfc, hrg, abs(sum(cost)) AS cost
    FROM spell_provider_contributors
    GROUP BY family, fin_year, pod, tfc, hrg, patient_no, CASE WHEN patient_no IS NULL THEN org_code END, lone_record
),
spell_provider_sized AS (
    SELECT family, fin_year, pod, tfc, hrg, org_code, abs(cost) AS cost
    FROM spell_provider_contributors
    WHERE cost <> 0
),
spell_ics_sized AS (
    SELECT family, fin_year, pod, tfc, hrg, cost
    FROM spell_ics_contributors
    WHERE cost > 0
),
spell_provider_largest AS (
    SELECT family, fin_year, pod, tfc, hrg, org_code, count(*) AS contributors, sum(cost) AS cost,
           max(cost) AS largest
    FROM spell_provider_sized
    GROUP BY family, fin_year, pod, tfc, hrg, org_code
),
spell_ics_largest AS (
    SELECT family, fin_year, pod, tfc, hrg, count(*) AS ics_contributors, sum(cost) AS ics_cost,
           max(cost) AS ics_largest
    FROM spell_ics_sized
    GROUP BY family, fin_year, pod, tfc, hrg
),
spell_provider_cells AS (
    SELECT l.family, l.fin_year, l.pod, l.tfc, l.hrg, l.org_code,
           max(l.contributors) AS contributors, max(l.cost) AS cost, max(l.largest) AS largest,
           CASE WHEN sum(CASE WHEN c.cost = l.largest THEN 1 ELSE 0 END) > 1 THEN max(l.largest)
                ELSE coalesce(max(CASE WHEN c.cost < l.largest THEN c.cost END), 0) END AS second
    FROM spell_provider_largest AS l
    JOIN spell_provider_sized AS c
        ON c.family = l.family AND c.fin_year = l.fin_year AND c.pod = l.pod AND c.tfc = l.tfc AND c.hrg = l.hrg
       AND c.org_code = l.org_code
    GROUP BY l.family, l.fin_year, l.pod, l.tfc, l.hrg, l.org_code
),
spell_ics_cells AS (
    SELECT l.family, l.fin_year, l.pod, l.tfc, l.hrg,
           max(l.ics_contributors) AS ics_contributors, max(l.ics_cost) AS ics_cost,
           max(l.ics_largest) AS ics_largest,
           CASE WHEN sum(CASE WHEN c.cost = l.ics_largest THEN 1 ELSE 0 END) > 1 THEN max(l.ics_largest)
                ELSE coalesce(max(CASE WHEN c.cost < l.ics_largest THEN c.cost END), 0) END AS ics_second
    FROM spell_ics_largest AS l
    JOIN spell_ics_sized AS c
        ON c.family = l.family AND c.fin_year = l.fin_year AND c.pod = l.pod AND c.tfc = l.tfc AND c.hrg = l.hrg
    GROUP BY l.family, l.fin_year, l.pod, l.tfc, l.hrg
)
SELECT family, fin_year, setting, pod, tfc, hrg, detail, org_code, contributors, cost, largest, second,
       ics_contributors, ics_cost, ics_largest, ics_second
FROM numbered_cells
UNION ALL
SELECT p.family, p.fin_year, 'apc' AS setting, p.pod, p.tfc, p.hrg, '' AS detail, p.org_code,
       p.contributors, p.cost, p.largest, p.second, i.ics_contributors, i.ics_cost, i.ics_largest, i.ics_second
FROM spell_provider_cells AS p
JOIN spell_ics_cells AS i
    ON i.family = p.family AND i.fin_year = p.fin_year AND i.pod = p.pod AND i.tfc = p.tfc AND i.hrg = p.hrg
