-- One row per day (UTC, by episode start): episodes, steps, auctions won, spend, revenue and the win rate, ROAS and mean reward.
SELECT
  substr(started_at, 1, 10) AS date,
  COUNT(*) AS episodes,
  COUNT(DISTINCT run_id) AS runs,
  COALESCE(SUM(steps), 0) AS steps,
  COALESCE(SUM(auctions), 0) AS auctions,
  COALESCE(SUM(auctions_won), 0) AS auctions_won,
  COALESCE(SUM(impressions), 0) AS impressions,
  COALESCE(SUM(clicks), 0) AS clicks,
  TOTAL(conversions) AS conversions,
  TOTAL(spend) AS spend,
  TOTAL(revenue) AS revenue,
  CAST(SUM(auctions_won) AS REAL) / NULLIF(SUM(auctions), 0) AS win_rate,
  TOTAL(revenue) / NULLIF(TOTAL(spend), 0) AS roas,
  AVG(total_reward) AS avg_reward,
  COALESCE(SUM(safety_violations), 0) AS safety_violations
FROM training_episodes
GROUP BY substr(started_at, 1, 10)
ORDER BY date
