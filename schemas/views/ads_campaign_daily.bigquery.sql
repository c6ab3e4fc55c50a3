-- One row per day and campaign: summed platform metrics, cost in currency, and CTR, CVR, CPA, ROAS (null when the denominator is 0).
SELECT
  date,
  campaign_id,
  MAX(channel) AS channel,
  MAX(platform) AS platform,
  MAX(campaign_name) AS campaign_name,
  COALESCE(SUM(impressions), 0) AS impressions,
  COALESCE(SUM(clicks), 0) AS clicks,
  COALESCE(SUM(cost_micros), 0) AS cost_micros,
  COALESCE(SUM(cost_micros), 0) / 1e6 AS cost,
  COALESCE(SUM(conversions), 0) AS conversions,
  COALESCE(SUM(conversion_value), 0) AS conversion_value,
  SUM(clicks) / NULLIF(SUM(impressions), 0) AS ctr,
  COALESCE(SUM(conversions), 0) / NULLIF(SUM(clicks), 0) AS cvr,
  (COALESCE(SUM(cost_micros), 0) / 1e6) / NULLIF(COALESCE(SUM(conversions), 0), 0) AS cpa,
  COALESCE(SUM(conversion_value), 0) / NULLIF(COALESCE(SUM(cost_micros), 0) / 1e6, 0) AS roas
FROM `${project}.${dataset}.ads_campaign_performance`
GROUP BY date, campaign_id
ORDER BY date, campaign_id
