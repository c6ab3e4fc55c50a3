#!/usr/bin/env bash
# peer_input.sh NAME CSV: a peer's example data set as mmm-fit's input NDJSON on stdout.
#
#   pymc              PyMC-Marketing mmm_example.csv: y is the KPI; x1, x2 spend;
#                     event_1, event_2 controls (t and dayofyear are left to the
#                     model's own trend and seasonality)
#   robyn             Robyn dt_simulated_weekly.csv: revenue; *_S spend (facebook_I
#                     as facebook's impressions); competitor_sales_B and newsletter
#                     controls; events one-hot (event1, event2; "na" is none)
#   meridian          Meridian national_media / national_all_channels /
#                     national_media_rf: conversions; Channel*_spend spend with
#                     Channel*_impression; *_control, Promo and organic impressions
#                     as controls (reach and frequency are not modelled)
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 pymc|robyn|meridian CSV" >&2; exit 2; }
case $1 in
pymc | robyn | meridian) ;;
*) echo "$0: unknown data set '$1'" >&2; exit 2 ;;
esac
awk -F, -v set="$1" '
function num(s) { return s + 0 }
NR == 1 {
	for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); h[i] = $i }
	next
}
{
	for (i = 1; i <= NF; i++) gsub(/"/, "", $i)
	date = $1
	for (i = 2; i <= NF; i++) v[h[i]] = $i
	for (i = 2; i <= NF; i++) {
		n = h[i]
		if (set == "pymc") {
			if (n == "y") printf "{\"date\":\"%s\",\"kpi\":%s}\n", date, $i
			else if (n ~ /^x[0-9]+$/) printf "{\"date\":\"%s\",\"channel\":\"%s\",\"spend\":%s}\n", date, n, $i
			else if (n ~ /^event_/) printf "{\"date\":\"%s\",\"control\":\"%s\",\"value\":%s}\n", date, n, $i
		} else if (set == "robyn") {
			if (n == "revenue") printf "{\"date\":\"%s\",\"kpi\":%s}\n", date, $i
			else if (n ~ /_S$/) {
				ch = substr(n, 1, length(n) - 2)
				if (ch == "facebook")
					printf "{\"date\":\"%s\",\"channel\":\"%s\",\"spend\":%s,\"impressions\":%s}\n", date, ch, $i, v["facebook_I"]
				else
					printf "{\"date\":\"%s\",\"channel\":\"%s\",\"spend\":%s}\n", date, ch, $i
			} else if (n == "competitor_sales_B" || n == "newsletter")
				printf "{\"date\":\"%s\",\"control\":\"%s\",\"value\":%s}\n", date, n, $i
			else if (n == "events" && $i != "na")
				printf "{\"date\":\"%s\",\"control\":\"%s\",\"value\":1}\n", date, $i
		} else {
			if (n == "conversions") printf "{\"date\":\"%s\",\"kpi\":%s}\n", date, $i
			else if (n ~ /^Channel[0-9]+_spend$/) {
				ch = substr(n, 1, length(n) - 6)
				printf "{\"date\":\"%s\",\"channel\":\"%s\",\"spend\":%s,\"impressions\":%s}\n", date, ch, $i, v[ch "_impression"]
			} else if (n ~ /_control$/ || n == "Promo" || n ~ /^Organic_.*_impression$/)
				printf "{\"date\":\"%s\",\"control\":\"%s\",\"value\":%s}\n", date, n, $i
		}
	}
}' "$2"
