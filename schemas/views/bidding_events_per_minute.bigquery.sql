-- One row per minute (UTC): bids, wins, win rate, clicks, mean bid, spend and mean price paid of won auctions, in micros.
SELECT
  TIMESTAMP_TRUNC(ts, MINUTE) AS minute,
  COUNT(*) AS bids,
  COUNTIF(won) AS wins,
  COUNTIF(won) / COUNT(*) AS win_rate,
  COUNTIF(clicked) AS clicks,
  AVG(bid_micros) AS avg_bid_micros,
  COALESCE(SUM(IF(won, price_paid_micros, NULL)), 0) AS spend_micros,
  AVG(IF(won, price_paid_micros, NULL)) AS avg_price_paid_micros
FROM `${project}.${dataset}.bidding_events`
GROUP BY minute
ORDER BY minute
