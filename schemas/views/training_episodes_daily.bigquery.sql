-- One row per day (UTC, by episode start): episodes, steps, auctions won, spend, revenue and the win rate, ROAS and mean reward.
SELECT
  DATE(started_at) AS date,
  COUNT(*) AS episodes,
  COUNT(DISTINCT run_id) AS runs,
  COALESCE(SUM(steps), 0) AS steps,
  COALESCE(SUM(auctions), 0) AS auctions,
  COALESCE(SUM(auctions_won), 0) AS auctions_won,
  COALESCE(SUM(impressions), 0) AS impressions,
  COALESCE(SUM(clicks), 0) AS clicks,
  COALESCE(SUM(conversions), 0) AS conversions,
  COALESCE(SUM(spend), 0) AS spend,
  COALESCE(SUM(revenue), 0) AS revenue,
  SUM(auctions_won) / NULLIF(SUM(auctions), 0) AS win_rate,
  COALESCE(SUM(revenue), 0) / NULLIF(COALESCE(SUM(spend), 0), 0) AS roas,
  AVG(total_reward) AS avg_reward,
  COALESCE(SUM(safety_violations), 0) AS safety_violations
FROM `${project}.${dataset}.training_episodes`
GROUP BY date
ORDER BY date
