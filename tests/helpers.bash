# Shared set-up for the bats suites: a fresh warehouse per test, the
bats_require_minimum_version 1.5.0
# programs under test first on PATH ($AELP_BIN, default bin/).

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AELP_SCHEMAS="$REPO/schemas"
FIX="$REPO/tests/fixtures"

setup() {
  export AELP_HOME="$BATS_TEST_TMPDIR/home"
  export PATH="${AELP_BIN:-$REPO/bin}:$PATH"
  unset AELP_WAREHOUSE GOOGLE_CLOUD_PROJECT BIGQUERY_TRAINING_DATASET
  WH="$AELP_HOME/warehouse.sqlite"
}

# Every table's qualified name, from the contract.
all_tables() {
  local f
  for f in "$AELP_SCHEMAS"/tables/*.json; do basename "$f" .json; done
}

# The rows of a fixture as bq-extract writes them: every column of the
# schema present (null when absent), keys sorted; one object per line.
normalize_fixture() { # TABLE FILE
  jq -c --slurpfile s "$AELP_SCHEMAS/tables/$1.json" \
    '. as $r | reduce ($s[0].columns[].name) as $c ({}; .[$c] = $r[$c])' "$2" | jq -cS .
}

# A digest of a table's contents, to show a failed load changed nothing.
table_digest() { # TABLE
  bq-extract "$1" | sha256sum | cut -d' ' -f1
}

# N valid ads_campaign_performance rows with distinct keys; with PAD, each
# row also carries a campaign_name of PAD characters.
gen_campaign_rows() { # N [START [PAD]]
  awk -v n="$1" -v s="${2:-0}" -v pad="${3:-0}" 'BEGIN {
    name = ""
    if (pad > 0) { name = sprintf("%*s", pad, ""); gsub(/ /, "n", name); name = ",\"campaign_name\":\"" name "\"" }
    for (i = s; i < s + n; i++)
      printf "{\"date\":\"2025-01-%02d\",\"campaign_id\":\"c%07d\",\"channel\":\"meta\",\"platform\":\"meta\",\"impressions\":%d,\"clicks\":%d,\"cost_micros\":%d,\"conversions\":%.2f,\"conversion_value\":%.2f%s}\n", i % 28 + 1, i, 1000 + i, 10 + i % 90, 1000000 * (i % 500), (i % 37) / 4.0, (i % 91) * 1.25, name
  }'
}

# The public data sets and conformance suites (../shared/data beside the
# checkout).  A clean clone made elsewhere finds them beside the checkout it
# was cloned from; AELP2_SHARED_DATA names them outright.  Prints the folder,
# or nothing when there is none (the caller fails: such a test never skips).
shared_data() {
  local origin d
  for d in "${AELP2_SHARED_DATA:-}" "$REPO/../shared/data"; do
    [ -n "$d" ] && [ -d "$d" ] && { (cd "$d" && pwd); return; }
  done
  origin="$(git -C "$REPO" remote get-url origin 2>/dev/null)" || return 0
  [ -d "$origin/../shared/data" ] && (cd "$origin/../shared/data" && pwd)
  return 0
}

# DAYS of the simulated advertiser from 2024-01-01 (its origin) as mmm-fit's
# input: spend by channel from ads_campaign_performance, the day's GA4
# conversions summed as the KPI.  With TRUTH, sim-generate's truth file too.
mmm_sim_input() { # SEED DAYS [TRUTH] > input
  sim-generate --start 2024-01-01 --days "$2" --seed "$1" --users 0 \
    --tables ads_campaign_performance,ga4_aggregates ${3:+--truth "$3"} |
    jq -c -n '[inputs] | (.[] | select(._table == "ads_campaign_performance")
                          | {date, channel, spend: (.cost_micros / 1e6)}),
                         (map(select(._table == "ga4_aggregates")) | group_by(.date)[]
                          | {date: .[0].date, kpi: (map(.conversions) | add)})'
}
