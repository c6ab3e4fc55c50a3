-- One row per day (UTC, by exposure), experiment and arm: exposures, distinct units, conversions, conversion rate and value.
SELECT
  substr(exposed_at, 1, 10) AS date,
  experiment_id,
  arm,
  COUNT(*) AS exposures,
  COUNT(DISTINCT unit_id) AS units,
  SUM(CASE WHEN converted THEN 1 ELSE 0 END) AS conversions,
  CAST(SUM(CASE WHEN converted THEN 1 ELSE 0 END) AS REAL) / COUNT(*) AS conversion_rate,
  TOTAL(conversion_value) AS conversion_value
FROM ab_exposures
GROUP BY substr(exposed_at, 1, 10), experiment_id, arm
ORDER BY date, experiment_id, arm
