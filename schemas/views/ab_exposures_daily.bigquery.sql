-- One row per day (UTC, by exposure), experiment and arm: exposures, distinct units, conversions, conversion rate and value.
SELECT
  DATE(exposed_at) AS date,
  experiment_id,
  arm,
  COUNT(*) AS exposures,
  COUNT(DISTINCT unit_id) AS units,
  COUNTIF(converted) AS conversions,
  COUNTIF(converted) / COUNT(*) AS conversion_rate,
  COALESCE(SUM(conversion_value), 0) AS conversion_value
FROM `${project}.${dataset}.ab_exposures`
GROUP BY date, experiment_id, arm
ORDER BY date, experiment_id, arm
