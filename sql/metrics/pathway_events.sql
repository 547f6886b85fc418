-- pathway_events: each index admission of a configured pathway and every event that belongs to its pathway.
-- Grain: one row per pathway, index spell and event (the index spell's own episodes are step index_admission).
-- Inputs: patient_events, ref_pathway_step, ref_pathway_code
-- Published: no
-- About: Internal: patient-level, held in memory for the refresh only. An index admission is an admitted spell with
--   at least one episode that matches every code filter of the pathway's index (codes match as prefixes; an HRG
--   filter matches the episode or the spell HRG); a patient's first such spell in a financial year is their index,
--   at any provider. A step takes the patient's events, at any provider (or only the index provider when the step
--   says so), in its setting and window that match all its filters: during the index stay, or from from_day to
--   to_day days after the index discharge (admitted care counts from the admission date). An event that fits
--   several steps counts once, in the first step listed. A pathway is complete when its longest window has passed
--   by the latest event date loaded.
-- Columns:
--   fin_year [key] financial year of the index spell
--   pathway [key] pathway name from the config
--   pathway_label [key] its label
--   index_org_code [key] provider of the index admission
--   index_spell_id [key] the index spell
--   patient_id [key] patient pseudonym
--   is_complete [key] 1 when the pathway's longest window has passed by the latest event date loaded
--   step [key] index_admission or the step name from the config
--   step_order [key] 0 for the index admission, then the steps in config order
--   setting [key] setting of the event
--   org_code [key] provider of the event
--   record_id [key] the event
--   spell_id [key] admitted care: the event's spell
--   total_cost [shown] cost of the event, pounds (exact)
WITH recorded_events AS (
    -- Events with an activity record (only they have dates), in the columns the steps below use. Every step with a
    -- row per record (recorded_events, apc_episodes, episode_values, index_patient_events, step_candidates) is read
    -- at most twice, so Spark, which computes each such step once (engine.metrics.on_spark.stages), reads no
    -- record-level table more than twice.
    SELECT setting, org_code, record_id, spell_id, patient_id, fin_year, start_date, end_date, pod, primary_diagnosis,
           hrg, spell_hrg, tfc, service_code, total_cost
    FROM patient_events
    WHERE has_activity_record = 1
),
latest AS (
    -- patient_events' second read: one column, aggregated.
    SELECT max(start_date) AS data_end
    FROM patient_events
    WHERE has_activity_record = 1
),
apc_episodes AS (
    SELECT org_code, record_id, spell_id, patient_id, fin_year, start_date, end_date, pod, primary_diagnosis, hrg,
           spell_hrg, tfc, total_cost
    FROM recorded_events
    WHERE setting = 'apc' AND patient_id IS NOT NULL
),
index_steps AS (
    SELECT pathway, pathway_label, code_fields, follow_up_days
    FROM ref_pathway_step
    WHERE step_order = 0 AND setting = 'apc'
),
index_prefix_lengths AS (
    SELECT DISTINCT field, length(code_prefix) AS prefix_length
    FROM ref_pathway_code
    WHERE step = 'index_admission'
),
index_sources AS (
    -- The codes of an episode an index filter can match (both HRGs count as field hrg), and a row for the episode
    -- itself (for an index with no code filter).
    SELECT 'pod' AS source
    UNION ALL
    SELECT 'diagnosis'
    UNION ALL
    SELECT 'hrg'
    UNION ALL
    SELECT 'spell_hrg'
    UNION ALL
    SELECT 'tfc'
    UNION ALL
    SELECT 'episode'
),
episode_values AS (
    -- apc_episodes' first read: every episode once per source.
    SELECT e.org_code, e.record_id, e.spell_id, e.patient_id,
           CASE WHEN f.source = 'spell_hrg' THEN 'hrg' ELSE f.source END AS field,
           CASE f.source
               WHEN 'pod' THEN e.pod
               WHEN 'diagnosis' THEN e.primary_diagnosis
               WHEN 'hrg' THEN e.hrg
               WHEN 'spell_hrg' THEN e.spell_hrg
               WHEN 'tfc' THEN e.tfc
           END AS code
    FROM apc_episodes AS e
    CROSS JOIN index_sources AS f
),
index_matches AS (
    SELECT c.pathway, v.org_code, v.record_id, v.spell_id, v.patient_id, count(DISTINCT v.field) AS fields_matched
    FROM episode_values AS v
    JOIN index_prefix_lengths AS l ON l.field = v.field
    JOIN ref_pathway_code AS c
        ON c.step = 'index_admission' AND c.field = v.field AND c.code_prefix = substr(v.code, 1, l.prefix_length)
    GROUP BY c.pathway, v.org_code, v.record_id, v.spell_id, v.patient_id
),
index_records AS (
    SELECT m.pathway, m.org_code, m.spell_id, m.patient_id
    FROM index_matches AS m
    JOIN index_steps AS s ON s.pathway = m.pathway
    WHERE m.fields_matched = s.code_fields
    UNION ALL
    SELECT s.pathway, v.org_code, v.spell_id, v.patient_id
    FROM index_steps AS s
    JOIN episode_values AS v ON v.field = 'episode'
    WHERE s.code_fields = 0
),
index_episodes AS (
    SELECT DISTINCT s.pathway, s.pathway_label, s.follow_up_days, r.org_code, r.spell_id, r.patient_id
    FROM index_records AS r
    JOIN index_steps AS s ON s.pathway = r.pathway
),
spell_dates AS (
    -- apc_episodes' second read: each spell's first and last year and its admission and discharge dates.
    SELECT org_code, spell_id,
           min(fin_year) AS first_year,
           max(fin_year) AS fin_year,
           min(start_date) AS admission_date,
           max(end_date) AS discharge_date
    FROM apc_episodes
    GROUP BY org_code, spell_id
),
index_spells AS (
    SELECT i.pathway, i.pathway_label, i.org_code, i.spell_id, i.patient_id,
           max(i.follow_up_days) AS follow_up_days,
           min(d.first_year) AS first_year,
           max(d.fin_year) AS fin_year,
           min(d.admission_date) AS admission_date,
           max(d.discharge_date) AS discharge_date
    FROM index_episodes AS i
    JOIN spell_dates AS d ON d.org_code = i.org_code AND d.spell_id = i.spell_id
    GROUP BY i.pathway, i.pathway_label, i.org_code, i.spell_id, i.patient_id
),
first_spells AS (
    SELECT s.*,
           ROW_NUMBER() OVER (
               PARTITION BY s.pathway, s.patient_id, s.fin_year ORDER BY s.admission_date, s.org_code, s.spell_id
           ) AS position
    FROM index_spells AS s
),
indexes AS (
    SELECT f.pathway, f.pathway_label, f.org_code AS index_org_code, f.spell_id AS index_spell_id, f.patient_id,
           f.fin_year, f.admission_date, f.discharge_date,
           CASE WHEN date_diff('day', f.discharge_date, l.data_end) >= f.follow_up_days THEN 1 ELSE 0 END
               AS is_complete
    FROM first_spells AS f
    CROSS JOIN latest AS l
    WHERE f.position = 1
),
index_patient_events AS (
    -- recorded_events' second read: the index patients' events (what the steps look at) and the index spells'
    -- episodes (the index stays; an episode of the spell recorded against another patient too).
    SELECT e.setting, e.org_code, e.record_id, e.spell_id, e.patient_id, e.pod, e.primary_diagnosis, e.hrg,
           e.spell_hrg, e.tfc, e.service_code, e.start_date, e.total_cost
    FROM recorded_events AS e
    WHERE e.patient_id IN (SELECT patient_id FROM indexes)
       OR (e.setting = 'apc' AND e.patient_id IS NOT NULL AND e.spell_id IN (SELECT index_spell_id FROM indexes))
),
index_stays AS (
    SELECT i.fin_year, i.pathway, i.pathway_label, i.index_org_code, i.index_spell_id, i.patient_id, i.is_complete,
           'index_admission' AS step, 0 AS step_order, 'apc' AS setting, e.org_code, e.record_id, e.spell_id,
           e.total_cost
    FROM indexes AS i
    JOIN index_patient_events AS e
        ON e.setting = 'apc' AND e.org_code = i.index_org_code AND e.spell_id = i.index_spell_id
),
candidate_events AS (
    SELECT i.fin_year, i.pathway, i.pathway_label, i.index_org_code, i.index_spell_id, i.patient_id, i.is_complete,
           i.admission_date, i.discharge_date, e.setting, e.org_code, e.record_id, e.spell_id, e.total_cost, e.pod,
           e.primary_diagnosis, e.hrg, e.spell_hrg, e.tfc, e.service_code, e.start_date
    FROM indexes AS i
    JOIN index_patient_events AS e ON e.patient_id = i.patient_id
    WHERE NOT (e.setting = 'apc' AND e.org_code = i.index_org_code AND e.spell_id = i.index_spell_id)
),
step_candidates AS (
    SELECT c.fin_year, c.pathway, c.pathway_label, c.index_org_code, c.index_spell_id, c.patient_id, c.is_complete,
           s.step, s.step_order, s.code_fields, c.setting, c.org_code, c.record_id, c.spell_id, c.total_cost, c.pod,
           c.primary_diagnosis, c.hrg, c.spell_hrg, c.tfc, c.service_code
    FROM candidate_events AS c
    JOIN ref_pathway_step AS s ON s.pathway = c.pathway AND s.step_order > 0 AND s.setting = c.setting
    WHERE (s.same_provider = 0 OR c.org_code = c.index_org_code)
      AND (
          (s.window_kind = 'during' AND c.start_date >= c.admission_date AND c.start_date <= c.discharge_date)
          OR (s.window_kind = 'after'
              AND date_diff('day', c.discharge_date, c.start_date) >= s.from_day
              AND date_diff('day', c.discharge_date, c.start_date) <= s.to_day)
      )
),
step_sources AS (
    -- The codes of an event a step filter can match (both HRGs count as field hrg).
    SELECT 'pod' AS source
    UNION ALL
    SELECT 'diagnosis'
    UNION ALL
    SELECT 'hrg'
    UNION ALL
    SELECT 'spell_hrg'
    UNION ALL
    SELECT 'tfc'
    UNION ALL
    SELECT 'service'
),
step_values AS (
    -- step_candidates' first read (step_events is the second): every candidate once per source.
    SELECT c.pathway, c.index_org_code, c.index_spell_id, c.step, c.setting, c.org_code, c.record_id,
           CASE WHEN f.source = 'spell_hrg' THEN 'hrg' ELSE f.source END AS field,
           CASE f.source
               WHEN 'pod' THEN c.pod
               WHEN 'diagnosis' THEN c.primary_diagnosis
               WHEN 'hrg' THEN c.hrg
               WHEN 'spell_hrg' THEN c.spell_hrg
               WHEN 'tfc' THEN c.tfc
               WHEN 'service' THEN c.service_code
           END AS code
    FROM step_candidates AS c
    CROSS JOIN step_sources AS f
),
step_matches AS (
    SELECT v.pathway, v.index_org_code, v.index_spell_id, v.step, v.setting, v.org_code, v.record_id,
           count(DISTINCT v.field) AS fields_matched
    FROM step_values AS v
    JOIN ref_pathway_code AS c
        ON c.pathway = v.pathway AND c.step = v.step AND c.field = v.field
       AND substr(v.code, 1, length(c.code_prefix)) = c.code_prefix
    GROUP BY v.pathway, v.index_org_code, v.index_spell_id, v.step, v.setting, v.org_code, v.record_id
),
step_events AS (
    SELECT c.*,
           ROW_NUMBER() OVER (
               PARTITION BY c.pathway, c.index_org_code, c.index_spell_id, c.setting, c.org_code, c.record_id
               ORDER BY c.step_order
           ) AS position
    FROM step_candidates AS c
    LEFT JOIN step_matches AS m
        ON m.pathway = c.pathway AND m.index_org_code = c.index_org_code AND m.index_spell_id = c.index_spell_id
       AND m.step = c.step AND m.setting = c.setting AND m.org_code = c.org_code AND m.record_id = c.record_id
    WHERE c.code_fields = coalesce(m.fields_matched, 0)
)
SELECT fin_year, pathway, pathway_label, index_org_code, index_spell_id, patient_id, is_complete, step, step_order,
       setting, org_code, record_id, spell_id, total_cost
FROM index_stays
UNION ALL
SELECT fin_year, pathway, pathway_label, index_org_code, index_spell_id, patient_id, is_complete, step, step_order,
       setting, org_code, record_id, spell_id, total_cost
FROM step_events
WHERE position = 1
