#!/usr/bin/env bash
# weekly: the slower models, behind the same gate as the nightly flow.
#
#   pipelines/weekly.sh [DAY]      the week ending at DAY (default yesterday, UTC)
#
# The run id is weekly-DAY; re-running it replaces that run's rows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

day="$(flow_day "${1:-}")"
flow=weekly
export AELP2_RUN_ID="weekly-$day"

bq-ensure --quiet > /dev/null

# 1. The gate: no model reads a table whose suite fails.
step gx_gate --gate -- gx-check --all

# 2. The slower models run here, after the gate (each later capability adds
#    its step: mmm-fit and mmm-validate, channel-attribute, ltv-fit, ...).
echo "weekly: $AELP2_RUN_ID done" >&2
