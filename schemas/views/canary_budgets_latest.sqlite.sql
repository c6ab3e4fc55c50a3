-- One row per campaign: its latest daily budget, from the newest snapshot or from a change applied (or shadow-applied) after that snapshot was captured.
WITH snap AS (
  SELECT
    campaign_id, customer_id, campaign_name, platform, channel, campaign_status, budget_id,
    daily_budget_micros, snapshot_date, captured_at,
    ROW_NUMBER() OVER (PARTITION BY campaign_id ORDER BY snapshot_date DESC, julianday(captured_at) DESC) AS rn
  FROM canary_budgets_snapshot
), chg AS (
  SELECT
    campaign_id, change_id, proposed_daily_budget, applied_at,
    ROW_NUMBER() OVER (PARTITION BY campaign_id ORDER BY julianday(applied_at) DESC, change_id DESC) AS rn
  FROM canary_changes
  WHERE status IN ('applied', 'shadow_applied') AND applied_at IS NOT NULL
)
SELECT
  snap.campaign_id AS campaign_id,
  snap.customer_id AS customer_id,
  snap.campaign_name AS campaign_name,
  snap.platform AS platform,
  snap.channel AS channel,
  snap.campaign_status AS campaign_status,
  snap.budget_id AS budget_id,
  CASE WHEN julianday(chg.applied_at) > julianday(snap.captured_at)
    THEN CAST(ROUND(chg.proposed_daily_budget * 1e6) AS INTEGER)
    ELSE snap.daily_budget_micros END AS daily_budget_micros,
  CASE WHEN julianday(chg.applied_at) > julianday(snap.captured_at) THEN 'change' ELSE 'snapshot' END AS source,
  CASE WHEN julianday(chg.applied_at) > julianday(snap.captured_at) THEN chg.applied_at ELSE snap.captured_at END AS as_of,
  CASE WHEN julianday(chg.applied_at) > julianday(snap.captured_at) THEN chg.change_id END AS change_id,
  snap.snapshot_date AS snapshot_date
FROM snap LEFT JOIN chg ON chg.campaign_id = snap.campaign_id AND chg.rn = 1
WHERE snap.rn = 1
ORDER BY campaign_id
