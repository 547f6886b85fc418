-- Record the start of a refresh in refresh_log (one row per attempt). Parameters: $refresh_id, $started_at,
-- $config_file, $config_sha256, $settings (JSON), $loads (JSON), $inputs_sha256 (NULL when not kept).
INSERT INTO refresh_log (refresh_id, started_at, status, config_file, config_sha256, settings, loads, inputs_sha256)
VALUES ($refresh_id, $started_at, 'running', $config_file, $config_sha256, $settings, $loads, $inputs_sha256);
