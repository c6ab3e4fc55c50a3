-- One row per day (UTC, by creation): experiments created, by status, with the share of concluded ones that found a winner.
SELECT
  substr(created_at, 1, 10) AS date,
  COUNT(*) AS experiments,
  SUM(CASE WHEN status = 'proposed' THEN 1 ELSE 0 END) AS proposed,
  SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running,
  SUM(CASE WHEN status = 'stopped' THEN 1 ELSE 0 END) AS stopped,
  SUM(CASE WHEN status = 'concluded' THEN 1 ELSE 0 END) AS concluded,
  SUM(CASE WHEN status = 'concluded' AND winner_arm IS NOT NULL THEN 1 ELSE 0 END) AS with_winner,
  CAST(SUM(CASE WHEN status = 'concluded' AND winner_arm IS NOT NULL THEN 1 ELSE 0 END) AS REAL)
    / NULLIF(SUM(CASE WHEN status = 'concluded' THEN 1 ELSE 0 END), 0) AS winner_rate,
  COALESCE(SUM(min_sample_size), 0) AS min_sample_size
FROM ab_experiments
GROUP BY substr(created_at, 1, 10)
ORDER BY date
