-- dim_pod: the points of delivery, for a report's POD slicer.
-- Grain: one row per point of delivery.
-- Inputs: ref_pod, event_costs, results.refresh_parameters
-- Published: yes
-- About: A dimension, not a measure: every POD the engine knows (with its setting and name) and any other code found
--   in the data (UNLINKED for cost lines without an activity record), so a POD slicer filters every table.
-- Columns:
--   pod [key] point of delivery
--   pod_name [key] what the code means, e.g. Non-elective long stay
--   setting [key] apc, op, ec, cc, mh or chs
--   refresh_id [shown] the refresh that wrote the row
WITH codes AS (
    SELECT pod FROM ref_pod
    UNION
    SELECT DISTINCT pod FROM event_costs
)
SELECT c.pod,
       coalesce(r.pod_name, c.pod) AS pod_name,
       coalesce(r.setting, 'unknown') AS setting,
       s.refresh_id
FROM codes AS c
LEFT JOIN ref_pod AS r ON r.pod = c.pod
CROSS JOIN results.refresh_parameters AS s
