# Sums the per-row flags the suite_to_jq.jq filter prints, and counts the rows
# whose key (a field starting with "k") repeats (every copy counts, as Great Expectations counts them).
# Prints "rows N" and one "field K unexpected M" line per column.
BEGIN { FS = "\t" }
{
	rows++
	for (k = 1; k <= NF; k++) {
		if (substr($k, 1, 1) != "k") { sum[k] += $k; kind[k] = "flag" }
		else { seen[k, $k]++; if (seen[k, $k] == 2) dup[k] += 2; else if (seen[k, $k] > 2) dup[k]++; kind[k] = "key" }
	}
	if (NF > nf) nf = NF
}
END {
	print "rows " rows + 0
	for (k = 1; k <= nf; k++) print "field " k " unexpected " (kind[k] == "key" ? dup[k] + 0 : sum[k] + 0)
}
