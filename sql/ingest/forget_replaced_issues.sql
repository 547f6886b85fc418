-- When a file replaces periods, the issues recorded by the earlier loads of those periods no longer describe the
-- data held, so they are removed (the earlier loads stay in `loads` as history). The same goes for every issue of
-- an earlier load of the same file, including rows whose provider or period could not be read.
-- Issues of the loads of this run (run_loads) are kept: files of one period loaded together add up, none replaces
-- another. Inputs: load_issues, loads, stage_keys, run_loads; parameters $setting, $layout and $file_name (the
-- replacing file's).
DELETE FROM load_issues AS i
USING loads AS l, stage_keys AS k
WHERE i.load_id = l.load_id
  AND l.setting = $setting
  AND l.layout = $layout
  AND i.org_code = k.org_code
  AND i.fin_year = k.fin_year
  AND i.period = k.period
  AND i.load_id NOT IN (SELECT load_id FROM run_loads);

DELETE FROM load_issues AS i
USING loads AS l
WHERE i.load_id = l.load_id
  AND l.setting = $setting
  AND l.layout = $layout
  AND l.file_name = $file_name
  AND i.load_id NOT IN (SELECT load_id FROM run_loads);
