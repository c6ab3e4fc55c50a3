#!/usr/bin/env bash
# demo: the main job on the embedded warehouse, as far as it goes today:
# ensure every table and view, load the sample fixtures, count rows per table.
# Re-running it creates no duplicates (rows are upserted on each table's key).
#
#   AELP_HOME   where the warehouse lives (default ./var)
#   AELP_BIN    the programs (default ./bin)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="${AELP_BIN:-$here/bin}:$PATH"
export AELP_SCHEMAS="${AELP_SCHEMAS:-$here/schemas}"
fixtures="$here/tests/fixtures/tables"

echo "demo: warehouse in ${AELP_HOME:-./var}" >&2
bq-ensure --quiet > /dev/null

# Every fixture tagged with its table, loaded in one transaction.
for f in "$fixtures"/*.ndjson; do
  t="$(basename "$f" .ndjson)"
  sed -e "s/^[[:space:]]*{/{\"_table\":\"$t\",/" "$f"
done | bq-load --upsert --quiet

# Row counts per table, in one query.
query=""
for f in "$AELP_SCHEMAS"/tables/*.json; do
  t="$(basename "$f" .json)"
  query="${query:+$query UNION ALL }SELECT '$t' AS table_name, COUNT(*) AS row_count FROM $t"
done
bq-extract --query "$query" |
  sed -E 's/^\{"table_name":"([^"]*)","row_count":([0-9]+)\}$/\1 \2/' |
  awk '{ printf "%-36s %8d\n", $1, $2; total += $2 } END { printf "%-36s %8d\n", "total", total }'
