#!/usr/bin/env bash
# mmm_input.sh: the media-mix input (mmm-fit's and mmm-validate's rows) from the
# warehouse, on stdout.
#
#   pipelines/mmm_input.sh [--end DAY] [--days N] [--kpi conversions|revenue]
#
#   spend    ads_campaign_daily: cost by date and channel
#   KPI      ga4_aggregates: conversions (or revenue) summed over channels by date
#   uplift   with AELP2_MMM_USE_UPLIFT=1, the top AELP2_MMM_UPLIFT_TOP (default 3)
#            segments of segment_scores_daily (outcome conversion, segment other
#            than "all"), ranked by mean uplift over the window, as controls named
#            uplift:ARM/SEGMENT (the mean over models for a date)
#
# The window is the N days ending at DAY (default: 730 days ending yesterday, UTC).
# A day in the window without a KPI makes mmm-fit stop and name it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

end= days=730 kpi=conversions
while [[ $# -gt 0 ]]; do
  case $1 in
    --end) end=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --kpi) kpi=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mmm_input.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
end="$(flow_day "$end")"
[[ $days =~ ^[1-9][0-9]*$ ]] || { echo "mmm_input.sh: --days must be a positive integer, not '$days'" >&2; exit 2; }
case $kpi in
  conversions | revenue) ;;
  *) echo "mmm_input.sh: --kpi is conversions or revenue, not '$kpi'" >&2; exit 2 ;;
esac
start="$(date -u -d "$end - $((days - 1)) days" +%F)"
top="${AELP2_MMM_UPLIFT_TOP:-3}"
[[ $top =~ ^[1-9][0-9]*$ ]] || { echo "mmm_input.sh: AELP2_MMM_UPLIFT_TOP must be a positive integer, not '$top'" >&2; exit 2; }

bq-extract --param start:DATE="$start" --param end:DATE="$end" --query \
  "SELECT date, channel, SUM(cost) AS spend FROM ads_campaign_daily
   WHERE date BETWEEN @start AND @end AND channel IS NOT NULL
   GROUP BY date, channel ORDER BY date, channel"
bq-extract --param start:DATE="$start" --param end:DATE="$end" --query \
  "SELECT date, TOTAL($kpi) AS kpi FROM ga4_aggregates
   WHERE date BETWEEN @start AND @end GROUP BY date ORDER BY date"
if [[ ${AELP2_MMM_USE_UPLIFT:-0} == 1 ]]; then
  bq-extract --param start:DATE="$start" --param end:DATE="$end" --param top:INT64="$top" --query \
    "WITH s AS (
       SELECT date, arm, segment, AVG(uplift) AS uplift FROM segment_scores_daily
       WHERE date BETWEEN @start AND @end AND outcome = 'conversion' AND segment <> 'all'
         AND uplift IS NOT NULL
       GROUP BY date, arm, segment),
     top AS (
       SELECT arm, segment FROM s GROUP BY arm, segment
       ORDER BY AVG(uplift) DESC, arm, segment LIMIT @top)
     SELECT s.date, 'uplift:' || s.arm || '/' || s.segment AS control, s.uplift AS value
     FROM s JOIN top USING (arm, segment) ORDER BY s.date, control"
fi
