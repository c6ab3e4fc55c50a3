-- One row per minute (UTC): bids, wins, win rate, clicks, mean bid, spend and mean price paid of won auctions, in micros.
SELECT
  substr(ts, 1, 16) || ':00Z' AS minute,
  COUNT(*) AS bids,
  SUM(CASE WHEN won THEN 1 ELSE 0 END) AS wins,
  CAST(SUM(CASE WHEN won THEN 1 ELSE 0 END) AS REAL) / COUNT(*) AS win_rate,
  SUM(CASE WHEN clicked THEN 1 ELSE 0 END) AS clicks,
  AVG(bid_micros) AS avg_bid_micros,
  COALESCE(SUM(CASE WHEN won THEN price_paid_micros END), 0) AS spend_micros,
  AVG(CASE WHEN won THEN price_paid_micros END) AS avg_price_paid_micros
FROM bidding_events
GROUP BY substr(ts, 1, 16)
ORDER BY minute
