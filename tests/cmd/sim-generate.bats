#!/usr/bin/env bats
# sim-generate: a synthetic advertiser whose truth the data must match, the
# same rows for a day whichever window made them, loadable as is.

load ../helpers

setup_file() {
  export PATH="${AELP_BIN:-$REPO/bin}:$PATH"
  # One 120-day run shared by the checks that only read it.
  D="$BATS_FILE_TMPDIR"
  sim-generate --start 2024-03-01 --days 120 --seed 7 --truth "$D/truth.json" > "$D/all.ndjson"
  for t in ads_campaign_performance ads_ad_performance ga4_aggregates \
           gaelp_users.journey_sessions gaelp_users.persistent_touchpoints customer_transactions \
           canary_budgets_snapshot; do
    grep -F "\"_table\":\"$t\"" "$D/all.ndjson" > "$D/$t.ndjson" || true
  done
}

# The rows of FILE whose day (date, session_start, touched_at or occurred_at) lies in [FROM, TO].
rows_between() { # FILE FROM TO
  awk -v from="$2" -v to="$3" 'match($0, /"(date|session_start|touched_at|occurred_at)":"[0-9-]+/) {
    d = substr($0, RSTART + RLENGTH - 10, 10); if (d >= from && d <= to) print }' "$1"
}

@test "--help teaches the model, the tables, the truth keys and the exit codes" {
  run -0 sim-generate --help
  for w in --start --days --seed --users --truth --origin --tables --campaigns-per-channel \
           --ads-per-campaign ads_campaign_performance canary_budgets_snapshot \
           gaelp_users.persistent_touchpoints "hill(x) = x^S / (x^S + K^S)" adstock overclaim_realised \
           transition_matrix customer_transactions BG/NBD Gamma-Gamma "time unit the week" \
           expected_repeat_purchases_52_weeks "bq-load --upsert" "Exit status:" "70  internal"; do
    [[ "$output" == *"$w"* ]] || { echo "help lacks: $w"; false; }
  done
  run -70 bash -c 'sim-generate --help > /dev/full'
}

@test "the same seed gives byte-identical rows and truth; another seed does not" {
  sim-generate --start 2024-03-01 --days 120 --seed 7 --truth "$BATS_TEST_TMPDIR/t2.json" > "$BATS_TEST_TMPDIR/again.ndjson"
  cmp "$BATS_FILE_TMPDIR/all.ndjson" "$BATS_TEST_TMPDIR/again.ndjson"
  cmp "$BATS_FILE_TMPDIR/truth.json" "$BATS_TEST_TMPDIR/t2.json"
  sim-generate --start 2024-03-01 --days 120 --seed 8 > "$BATS_TEST_TMPDIR/other.ndjson"
  ! cmp -s "$BATS_FILE_TMPDIR/all.ndjson" "$BATS_TEST_TMPDIR/other.ndjson"
  # Every table differs, not just one.
  for t in ads_ad_performance ga4_aggregates gaelp_users.journey_sessions; do
    ! diff -q <(grep -F "\"$t\"" "$BATS_FILE_TMPDIR/all.ndjson") <(grep -F "\"$t\"" "$BATS_TEST_TMPDIR/other.ndjson")
  done
}

@test "a day's rows are the same whichever window produced them" {
  # Days 30-39 of a 60-day window against a 10-day window on those days;
  # the journeys include users acquired before the short window started,
  # the transactions customers acquired before it.
  sim-generate --start 2024-05-01 --days 60 --seed 3 --tables ads_campaign_performance,ads_ad_performance,ga4_aggregates,gaelp_users.journey_sessions,gaelp_users.persistent_touchpoints,customer_transactions > "$BATS_TEST_TMPDIR/long.ndjson"
  sim-generate --start 2024-05-31 --days 10 --seed 3 > "$BATS_TEST_TMPDIR/short.ndjson"
  grep -v canary_budgets_snapshot "$BATS_TEST_TMPDIR/short.ndjson" > "$BATS_TEST_TMPDIR/short2.ndjson"
  rows_between "$BATS_TEST_TMPDIR/long.ndjson" 2024-05-31 2024-06-09 > "$BATS_TEST_TMPDIR/long10.ndjson"
  [ "$(grep -c . "$BATS_TEST_TMPDIR/long10.ndjson")" -gt 1000 ]
  diff "$BATS_TEST_TMPDIR/long10.ndjson" "$BATS_TEST_TMPDIR/short2.ndjson"
  # Sessions of users acquired before 2024-05-31 are there, and repeat
  # purchases of customers acquired before 2024-05-01.
  grep -F '"session_id":"u-150-' "$BATS_TEST_TMPDIR/short2.ndjson" | grep -q .
  grep -F '"_table":"customer_transactions"' "$BATS_TEST_TMPDIR/short2.ndjson" |
    grep -E '"customer_id":"u-([0-9]|[1-9][0-9]|1[01][0-9])-' | grep -qF '"first_purchase":false'
  # A window far from the origin (day 700) too.
  sim-generate --start 2025-11-01 --days 20 --seed 3 --tables customer_transactions > "$BATS_TEST_TMPDIR/late.ndjson"
  sim-generate --start 2025-11-15 --days 2 --seed 3 --tables customer_transactions > "$BATS_TEST_TMPDIR/late2.ndjson"
  [ "$(grep -c . "$BATS_TEST_TMPDIR/late2.ndjson")" -gt 5 ]
  rows_between "$BATS_TEST_TMPDIR/late.ndjson" 2025-11-15 2025-11-16 | diff - "$BATS_TEST_TMPDIR/late2.ndjson"
  # Two windows back to back equal one long window.
  sim-generate --start 2024-05-01 --days 30 --seed 3 | grep -v canary_budgets_snapshot > "$BATS_TEST_TMPDIR/a.ndjson"
  sim-generate --start 2024-05-31 --days 30 --seed 3 | grep -v canary_budgets_snapshot >> "$BATS_TEST_TMPDIR/a.ndjson"
  cmp "$BATS_TEST_TMPDIR/long.ndjson" "$BATS_TEST_TMPDIR/a.ndjson"
}

@test "the stream loads with bq-load --upsert, and loading it again changes no count" {
  bq-ensure >/dev/null 2>&1
  run --separate-stderr bq-load --upsert < "$BATS_FILE_TMPDIR/all.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  counts() {
    for t in ads_campaign_performance ads_ad_performance ga4_aggregates \
             gaelp_users.journey_sessions gaelp_users.persistent_touchpoints customer_transactions \
             canary_budgets_snapshot; do
      echo "$t $(sqlite3 "$WH" "ATTACH '$AELP_HOME/gaelp_users.sqlite' AS gaelp_users; SELECT count(*) FROM $t")"
    done
  }
  before="$(counts)"
  echo "$before"
  # Each table got every row of its kind: keys are unique.
  while read -r t n; do [ "$n" -eq "$(grep -c . "$BATS_FILE_TMPDIR/$t.ndjson")" ]; [ "$n" -gt 0 ]; done <<< "$before"
  bq-load --upsert --quiet < "$BATS_FILE_TMPDIR/all.ndjson"
  [ "$(counts)" = "$before" ]
}

@test "a campaign's row is the sum of its ads' rows for the day" {
  D="$BATS_FILE_TMPDIR"
  run -0 jq -n --slurpfile c "$D/ads_campaign_performance.ndjson" --slurpfile a "$D/ads_ad_performance.ndjson" '
    ($a | group_by([.date, .campaign_id]) | map({key: "\(.[0].date) \(.[0].campaign_id)",
       value: {i: (map(.impressions)|add), k: (map(.clicks)|add), m: (map(.cost_micros)|add),
               c: (map(.conversions)|add), v: (map(.conversion_value)|add), n: length}}) | from_entries) as $s
    | [$c[] | . as $r | $s["\($r.date) \($r.campaign_id)"] as $x
       | select($x == null or $x.i != $r.impressions or $x.k != $r.clicks or $x.m != $r.cost_micros
                or $x.c != $r.conversions or (($x.v - $r.conversion_value) | fabs) > 0.005)] | length'
  [ "$output" -eq 0 ]
  # 18 campaigns of 4 ads a day.
  [ "$(grep -c . "$D/ads_campaign_performance.ndjson")" -eq $((120 * 18)) ]
  [ "$(grep -c . "$D/ads_ad_performance.ndjson")" -eq $((120 * 72)) ]
}

@test "the ads' CTR and CVR lie within their binomial intervals" {
  D="$BATS_FILE_TMPDIR"
  # The ad with the most impressions; +-4 standard errors: a fair draw falls
  # outside with probability ~6e-5 (and the seed is fixed, so it is either
  # always in or a bug), yet a CTR off by 5% of itself would fail at n ~ 1e7.
  run -0 jq -rn --slurpfile a "$D/ads_ad_performance.ndjson" --slurpfile t "$D/truth.json" '
    ($a | group_by(.ad_id) | map({id: .[0].ad_id, n: (map(.impressions)|add), k: (map(.clicks)|add),
        c: (map(.conversions)|add)}) | max_by(.n)) as $e
    | ($t[0].ads[] | select(.ad_id == $e.id)) as $truth
    | ($e.k / $e.n) as $ctr | ($e.c / $e.k) as $cvr
    | (4 * ($truth.ctr * (1 - $truth.ctr) / $e.n | sqrt)) as $wt
    | (4 * ($truth.cvr * (1 - $truth.cvr) / $e.k | sqrt)) as $wv
    | "\($e.id) ctr \($ctr) vs \($truth.ctr) +- \($wt); cvr \($cvr) vs \($truth.cvr) +- \($wv)",
      (if (($ctr - $truth.ctr) | fabs) <= $wt and (($cvr - $truth.cvr) | fabs) <= $wv then "ok" else "off" end)'
  echo "$output"
  [ "${lines[1]}" = ok ]
}

@test "platforms over-claim: the realised factor exceeds 1 for every channel" {
  D="$BATS_FILE_TMPDIR"
  run -0 jq -r '.channels | to_entries[] | "\(.key) \(.value.overclaim_realised)"' "$D/truth.json"
  echo "$output"
  [ "${#lines[@]}" -eq 6 ]
  # Recompute the realised factor from the rows and the truth's daily contributions.
  run -0 jq -rn --slurpfile c "$D/ads_campaign_performance.ndjson" --slurpfile t "$D/truth.json" '
    $t[0] as $T | $T.channels | keys[] as $ch
    | ([$c[] | select(.channel == $ch) | .conversions] | add) as $p
    | ([$T.daily[][$ch]] | add) as $i
    | "\($ch) \($p / $i) \($T.channels[$ch].overclaim_realised)"'
  echo "$output"
  while read -r ch f g; do
    awk -v f="$f" -v g="$g" 'BEGIN { exit !(f > 1 && (f - g) < 1e-9 && (g - f) < 1e-9) }'
  done <<< "$output"
}

@test "GA4 conversions sum to the true KPI: baseline + contributions within the noise" {
  D="$BATS_FILE_TMPDIR"
  run -0 jq -rn --slurpfile g "$D/ga4_aggregates.ndjson" --slurpfile t "$D/truth.json" '
    ($g | group_by(.date) | map({key: .[0].date, value: (map(.conversions) | add)}) | from_entries) as $sum
    | $t[0] as $T
    # Each day: the rows add up to the observed KPI exactly, and paid rows carry round(contribution).
    | ([$T.daily[] | select($sum[.date] != .observed)] | length) as $bad
    | ([$T.daily[] | .observed - (.baseline + .google_search + .google_pmax + .youtube + .meta
         + .tiktok + .linkedin)] ) as $r
    | ($r | add / length) as $mean
    # Noise sd plus the rounding to whole conversions (variance 1/12).
    | (4 * (($T.model.noise_sd * $T.model.noise_sd + 1/12) / ($r | length)) | sqrt) as $tol
    | "\($bad) \($mean) \($tol) \($r | length)"'
  echo "$output"
  read -r bad mean tol n <<< "$output"
  [ "$bad" -eq 0 ]
  [ "$n" -eq 120 ]
  awk -v m="$mean" -v t="$tol" 'BEGIN { exit !(m <= t && -m <= t) }'
  # A paid row is its channel's rounded true contribution.
  run -0 jq -rn --slurpfile g "$D/ga4_aggregates.ndjson" --slurpfile t "$D/truth.json" '
    ($t[0].daily | map({key: .date, value: .}) | from_entries) as $d
    | [$g[] | select(.channel == "meta") | select(.conversions != ($d[.date].meta | round))] | length'
  [ "$output" -eq 0 ]
}

@test "first steps of journeys follow the truth's (start) row" {
  D="$BATS_FILE_TMPDIR"
  run -0 jq -rn --slurpfile s "$D/gaelp_users.journey_sessions.ndjson" --slurpfile t "$D/truth.json" '
    [$s[] | select(.session_id | endswith("-s1")) | .channel] as $first
    | ($first | length) as $n
    | $t[0].journeys as $J
    | range(1; $J.states | length) as $i
    | $J.states[$i] as $ch | $J.transition_matrix[0][$i] as $p
    | ([$first[] | select(. == $ch)] | length) as $k
    | "\($ch) \($k) \($n * $p) \(4 * ($n * $p * (1 - $p) | sqrt) + 1e-9)"'
  echo "$output"
  while read -r ch k e w; do
    awk -v k="$k" -v e="$e" -v w="$w" 'BEGIN { exit !(k - e <= w && e - k <= w) }' || { echo "$ch off"; false; }
  done <<< "$output"
  # The matrix is stochastic.
  run -0 jq '[.journeys.transition_matrix[] | add | . - 1 | fabs] | max < 1e-12' "$D/truth.json"
  [ "$output" = true ]
}

@test "journeys: unique ids, conversions with lags and both kinds of conversion type" {
  D="$BATS_FILE_TMPDIR"
  S="$D/gaelp_users.journey_sessions.ndjson" T="$D/gaelp_users.persistent_touchpoints.ndjson"
  [ -z "$(jq -r .session_id "$S" | sort | uniq -d)" ]
  [ -z "$(jq -r .touchpoint_id "$T" | sort | uniq -d)" ]
  run -0 jq -rs '[.[] | select(.converted) | .conversion_type] | unique | join(",")' "$S"
  [ "$output" = "first_open,first_visit,lead,purchase" ]
  # converted_at never precedes the session; some conversions come a day or more later.
  run -0 jq -rs '[.[] | select(.converted) | (.converted_at | fromdate) - (.session_start | fromdate)]
                 | "\(min) \(map(select(. >= 86400)) | length)"' "$S"
  read -r lo late <<< "$output"
  [ "$lo" -ge 0 ] && [ "$late" -gt 0 ]
  # Paid touches carry a cost; every conversion touch names its conversion and session.
  [ "$(jq -s '[.[] | select(.touch_type == "click" and .channel == "google_search" and .cost > 0)] | length' "$T")" -gt 0 ]
  [ "$(jq -s '[.[] | select(.touch_type == "conversion" and (.conversion_id == null or .session_id == null or .conversion_type == null))] | length' "$T")" -eq 0 ]
}

@test "customer_transactions: first purchases are the journeys' purchases, ids unique, by time" {
  D="$BATS_FILE_TMPDIR"
  X="$D/customer_transactions.ndjson" S="$D/gaelp_users.journey_sessions.ndjson"
  [ "$(grep -c . "$X")" -gt 1000 ]
  [ -z "$(jq -r .transaction_id "$X" | sort | uniq -d)" ]
  # Rows come by time: the file is sorted by occurred_at.
  jq -r .occurred_at "$X" | sort -c
  # Every purchase conversion up to the window's end is a first purchase with
  # its user, time, value and channel; the other first purchases are of users
  # acquired before the window (2024-03-01 is day 60), whose sessions are not in it.
  jq -c 'select(.conversion_type == "purchase" and .converted_at < "2024-06-29")
         | [.user_id, .converted_at, .conversion_value, .channel]' "$S" | sort > "$D/conv.txt"
  jq -c 'select(.first_purchase) | [.customer_id, .occurred_at, .value, .channel]' "$X" | sort > "$D/first.txt"
  [ "$(grep -c . "$D/conv.txt")" -gt 500 ]
  [ -z "$(comm -23 "$D/conv.txt" "$D/first.txt")" ]
  run -0 jq -r '.[0] | split("-")[1]' < <(comm -13 "$D/conv.txt" "$D/first.txt")
  for a in "${lines[@]}"; do [ "$a" -le 60 ]; done
  # tx-USER-K: K = 1 is the first purchase; a customer's rows keep its channel,
  # and for a customer first seen in the window K runs 1, 2, ... in time order.
  run -0 jq -rs 'group_by(.customer_id) | map(select(any(.[]; .first_purchase))) as $g
    | [$g[] | select((map(.channel) | unique | length) != 1
        or (sort_by(.occurred_at, (.transaction_id | split("-") | last | tonumber))
            | map(.transaction_id | split("-") | last | tonumber)) != [range(1; length + 1)]
        or (map(select(.first_purchase)) | .[0].transaction_id | endswith("-1") | not))] | length,
      ($g | map(select(length > 1)) | length)' "$X"
  echo "$output"
  [ "${lines[0]}" -eq 0 ] && [ "${lines[1]}" -gt 100 ]
  # The truth counts the rows by acquisition channel.
  run -0 jq -rn --slurpfile x "$X" --slurpfile t "$D/truth.json" '
    $t[0].customers.channels | to_entries[] | .key as $c
    | ([$x[] | select(.channel == $c and .first_purchase)] | length) as $f
    | ([$x[] | select(.channel == $c and (.first_purchase | not))] | length) as $r
    | "\($c) \($f) \(.value.window_first_purchases) \($r) \(.value.window_repeat_purchases)"'
  echo "$output"
  [ "${#lines[@]}" -eq 9 ]
  while read -r c f tf r tr; do [ "$f" -eq "$tf" ] && [ "$r" -eq "$tr" ]; done <<< "$output"
  # --help's parameter table is the truth's.
  run -0 jq -r '.customers.channels | to_entries[] | .value as $v
    | "\(.key) \($v.r) \($v.alpha) \($v.a) \($v.b) \($v.p) \($v.q) \($v.gamma) \($v.expected_repeat_purchases_52_weeks)"' "$D/truth.json"
  help="$(sim-generate --help)"
  while read -r c r al a b p q g e; do
    line=$(grep -E "^  $c +[0-9]" <<< "$help" | tail -n 1)   # the customers' table, after the KPI's
    awk -v l="$line" -v w="$r $al $a $b $p $q $g $e" 'BEGIN { n = split(l, x, " "); split(w, y, " ")
      for (i = 1; i <= 8; i++) if ((x[i + 1] - y[i]) > 0.006 || (y[i] - x[i + 1]) > 0.006) exit 1 }' ||
      { echo "help: $line; truth: $w"; false; }
  done <<< "$output"
}

@test "customer_transactions: repeat purchases per channel follow the truth's BG/NBD" {
  # Two years of customers: a channel's mean repeat purchases in the 26 weeks
  # after a first purchase made before 2025-06-01 (so all 26 weeks are in the
  # window), against E[X(26)] from the truth's parameters (eq. 9, the 2F1 by
  # its series), within 4 standard errors; email buys again more than tiktok.
  sim-generate --start 2024-01-01 --days 731 --seed 9 --users 200 --tables customer_transactions \
    --truth "$BATS_TEST_TMPDIR/t.json" > "$BATS_TEST_TMPDIR/x.ndjson"
  run -0 jq -rn --slurpfile x "$BATS_TEST_TMPDIR/x.ndjson" --slurpfile t "$BATS_TEST_TMPDIR/t.json" '
    def f21(a; b; c; z): {k: 0, t: 1, s: 1} | until(.k > 20 and .t < 1e-12 * .s;
      .t *= (a + .k) * (b + .k) / ((c + .k) * (.k + 1)) * z | .s += .t | .k += 1) | .s;
    def ex(m; t): (m.a + m.b - 1) / (m.a - 1) * (1 - pow(m.alpha / (m.alpha + t); m.r)
      * f21(m.r; m.b; m.a + m.b - 1; t / (m.alpha + t)));
    ($x | group_by(.customer_id) | map(select(any(.[]; .first_purchase))
       | (map(select(.first_purchase))[0]) as $f | select($f.occurred_at < "2025-06-01")
       | {c: $f.channel, n: ([.[] | select((.first_purchase | not) and
            ((.occurred_at | fromdate) - ($f.occurred_at | fromdate)) <= 26 * 604800)] | length)})
       | group_by(.c)) as $g
    | $g[] | .[0].c as $c | (map(.n) | add / length) as $m
    | (map((.n - $m) * (.n - $m)) | add / (length - 1) / length | sqrt) as $se
    | "\($c) \(length) \($m) \($se) \(ex($t[0].customers.channels[$c]; 26))"'
  echo "$output"
  [ "${#lines[@]}" -eq 9 ]
  while read -r c n m se e; do
    [ "$n" -gt 100 ]
    awk -v m="$m" -v se="$se" -v e="$e" 'BEGIN { exit !(m - e <= 4 * se && e - m <= 4 * se) }' ||
      { echo "$c off"; false; }
  done <<< "$output"
  em=$(awk '$1 == "email" { print $3 }' <<< "$output") tt=$(awk '$1 == "tiktok" { print $3 }' <<< "$output")
  awk -v a="$em" -v b="$tt" 'BEGIN { exit !(a > 2 * b) }'
}

@test "flighting leaves dark days, and the budget snapshot is of the last day" {
  D="$BATS_FILE_TMPDIR"
  run -0 jq -rs '[.[] | select(.cost_micros == 0 and .campaign_status == "PAUSED") | .campaign_id] | unique | length' \
    "$D/ads_campaign_performance.ndjson"
  [ "$output" -gt 0 ]
  [ "$(grep -c . "$D/canary_budgets_snapshot.ndjson")" -eq 18 ]
  [ "$(jq -r .snapshot_date "$D/canary_budgets_snapshot.ndjson" | sort -u)" = 2024-06-28 ]
  [ "$(jq -s '[.[] | select(.daily_budget_micros <= 0)] | length' "$D/canary_budgets_snapshot.ndjson")" -eq 0 ]
}

@test "--tables restricts the output; the scale flags scale it" {
  run -0 sim-generate --start 2024-03-01 --days 3 --tables ga4_aggregates,canary_budgets_snapshot --users 0
  [ "$(printf '%s\n' "$output" | jq -r ._table | sort -u | tr '\n' ' ')" = "canary_budgets_snapshot ga4_aggregates " ]
  run -0 sim-generate --start 2024-03-01 --days 2 --campaigns-per-channel 5 --ads-per-campaign 7 --tables ads_ad_performance
  [ "${#lines[@]}" -eq $((2 * 6 * 5 * 7)) ]
  # Selecting a table does not change its rows.
  sim-generate --start 2024-03-01 --days 120 --seed 7 --tables customer_transactions |
    cmp - "$BATS_FILE_TMPDIR/customer_transactions.ndjson"
  sim-generate --start 2024-03-01 --days 120 --seed 7 --tables gaelp_users.journey_sessions |
    cmp - "$BATS_FILE_TMPDIR/gaelp_users.journey_sessions.ndjson"
  # No users, no customers.
  run -0 sim-generate --start 2024-03-01 --days 3 --users 0 --tables customer_transactions
  [ -z "$output" ]
}

@test "bad usage exits 2 with a message" {
  run -2 --separate-stderr sim-generate --start 2024-03-01 --days 3 --tables ga4_aggregates,nope
  [[ "$stderr" == *"'nope' is not a table"* ]]
  run -2 --separate-stderr sim-generate --start 2023-12-31 --days 3
  [[ "$stderr" == *"starts before the origin"* ]]
  run -2 --separate-stderr sim-generate --start 2024-03-01 --days 3 --origin 2024-06-01
  [[ "$stderr" == *"starts before the origin 2024-06-01"* ]]
  run -2 --separate-stderr sim-generate --start 2024-02-30 --days 3
  [[ "$stderr" == *"'2024-02-30' is not a date"* ]]
  run -2 --separate-stderr sim-generate --start 2024-03-01 --days 0
  [[ "$stderr" == *"--days"* ]]
  run -2 --separate-stderr sim-generate --origin 9999-12-01 --start 9999-12-30 --days 3
  [[ "$stderr" == *"the window ends after 9999-12-31"* ]]
  run -2 --separate-stderr sim-generate --start 2024-03-01 --seed -1
  run -2 --separate-stderr sim-generate --start 2024-03-01 extra
  run -2 --separate-stderr sim-generate --start 2024-03-01 --days 3 --truth /nonexistent/dir/t.json
  [[ "$stderr" == *"cannot write"* ]]
  [ -z "$output" ]
}

@test "a failed write is exit 70, not silence" {
  run -70 --separate-stderr bash -c 'sim-generate --start 2024-03-01 --days 30 > /dev/full'
  [[ "$stderr" == *"sim-generate: write error on standard output: No space left on device"* ]]
  run -70 --separate-stderr bash -c 'sim-generate --start 2024-03-01 --days 3 --truth /dev/full > /dev/null'
  [[ "$stderr" == *"write error on '/dev/full'"* ]]
}
