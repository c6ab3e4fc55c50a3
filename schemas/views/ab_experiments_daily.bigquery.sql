-- One row per day (UTC, by creation): experiments created, by status, with the share of concluded ones that found a winner.
SELECT
  DATE(created_at) AS date,
  COUNT(*) AS experiments,
  COUNTIF(status = 'proposed') AS proposed,
  COUNTIF(status = 'running') AS running,
  COUNTIF(status = 'stopped') AS stopped,
  COUNTIF(status = 'concluded') AS concluded,
  COUNTIF(status = 'concluded' AND winner_arm IS NOT NULL) AS with_winner,
  COUNTIF(status = 'concluded' AND winner_arm IS NOT NULL)
    / NULLIF(COUNTIF(status = 'concluded'), 0) AS winner_rate,
  COALESCE(SUM(min_sample_size), 0) AS min_sample_size
FROM `${project}.${dataset}.ab_experiments`
GROUP BY date
ORDER BY date
