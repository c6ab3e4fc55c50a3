#!/usr/bin/env bash
# The whole test suite: C unit tests, then the bats suites.  Prints each
# failure as it happens and one closing line "check: N passed, M failed".
#   tests/run.sh UNIT_COMMAND... -- BATS_DIR...
# A UNIT_COMMAND is a program, or a quoted command line (word-split here).
set -u
passed=0 failed=0

# The public data sets (../shared/data) some tests read: AELP2_SHARED_DATA, else
# beside the checkout, else beside the repository a clean clone came from.
if [ -z "${AELP2_SHARED_DATA:-}" ]; then
  repo="$(cd "$(dirname "$0")/.." && pwd)"
  origin="$(git -C "$repo" remote get-url origin 2>/dev/null || true)"
  for d in "$repo/../shared/data" ${origin:+"$origin/../shared/data"}; do
    if [ -d "$d" ]; then
      AELP2_SHARED_DATA="$(cd "$d" && pwd)"
      export AELP2_SHARED_DATA
      break
    fi
  done
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  # shellcheck disable=SC2086
  $1 > "$log" 2>&1
  rc=$?
  cat "$log"
  line="$(grep -E '^unit .*: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)"
  if [ -z "$line" ]; then
    echo "not ok: $1 ended without its closing line (exit $rc)"
    failed=$((failed + 1))
  else
    p="$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/')"
    f="$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/')"
    passed=$((passed + p)) failed=$((failed + f))
    [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
  fi
  shift
done
[ $# -gt 0 ] && shift

if [ $# -gt 0 ]; then
  bats --tap --print-output-on-failure "$@" > "$log" 2>&1
  rc=$?
  cat "$log"
  p=$(grep -c '^ok ' "$log")
  f=$(grep -c '^not ok ' "$log")
  passed=$((passed + p)) failed=$((failed + f))
  [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
fi

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
