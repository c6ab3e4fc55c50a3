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
  TOTAL(conversions) AS conversions,
  TOTAL(conversion_value) AS conversion_value,
  CAST(SUM(clicks) AS REAL) / NULLIF(SUM(impressions), 0) AS ctr,
  TOTAL(conversions) / NULLIF(SUM(clicks), 0) AS cvr,
  (COALESCE(SUM(cost_micros), 0) / 1e6) / NULLIF(TOTAL(conversions), 0) AS cpa,
  TOTAL(conversion_value) / NULLIF(COALESCE(SUM(cost_micros), 0) / 1e6, 0) AS roas
FROM ads_campaign_performance
GROUP BY date, campaign_id
ORDER BY date, campaign_id
