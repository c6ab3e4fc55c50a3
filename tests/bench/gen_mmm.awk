# Synthetic daily media-mix data for tests/bench/mmm.sh, in mmm-fit's input NDJSON:
#
#   awk -v C=5 -v D=730 -v seed=1 [-v start=2023-01-02] [-v truth=FILE] -f gen_mmm.awk
#
# Per day, one row per channel {"date":"YYYY-MM-DD","channel":"ch01","spend":123.45}
# then {"date":…,"kpi":…}.  Deterministic from seed, the same under any awk
# (its own generator: Park-Miller, multiplier 48271; no srand/rand).
#
# Drawn from the family mmm-fit fits (cmd/mmm-fit/model.h):
#   spend   a level per channel (200 to 5000 a day), flights of 2 to 6 weeks
#           alternating with lighter ones (20-50% of the level) or, one channel
#           in three, dark ones (no spend, 1 to 3 weeks, so shorter than the
#           28-day adstock window), a weekday pattern, a drift over the window and
#           lognormal day-to-day noise; every channel spends on the first day.
#   media   x = spend / mean spend; geometric adstock over 28 days normalised by
#           the weights' sum, decay alpha 0.2-0.7; Hill with K 0.5-1.5 (so K is
#           0.5-1.5 x the mean spend) and S 1-2.5; positive betas scaled so the
#           media make 30-50% of the KPI.
#   KPI     a base with a trend, a weekly pattern and a yearly cycle, the media,
#           and normal noise (4% of the base).
# truth=FILE gets one JSON line per channel with the true alpha, K, S, beta (in
# scaled units, beta relative to the mean KPI), the media share and ROI
# (KPI from the channel / its spend over the window).

function rnd() { rng_state = (rng_state * 48271) % 2147483647; return rng_state / 2147483647 }
function unif(a, b) { return a + (b - a) * rnd() }
function irand(a, b) { return a + int((b - a + 1) * rnd()) }   # a..b
function gauss(   u1, u2) {
	u1 = rnd(); u2 = rnd()
	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2)
}
# Howard Hinnant's days_from_civil / civil_from_days.
function days_from_civil(y, m, d,   era, yoe, doy, doe) {
	if (m <= 2) y--
	era = int((y >= 0 ? y : y - 399) / 400)
	yoe = y - era * 400
	doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return era * 146097 + doe - 719468
}
function civil(z,   era, doe, yoe, y, doy, mp, d, m) {
	z += 719468
	era = int((z >= 0 ? z : z - 146096) / 146097)
	doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400
	doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153)
	d = doy - int((153 * mp + 2) / 5) + 1
	m = mp + (mp < 10 ? 3 : -9)
	if (m <= 2) y++
	return sprintf("%04d-%02d-%02d", y, m, d)
}

BEGIN {
	if (C !~ /^[1-9][0-9]*$/ || D !~ /^[1-9][0-9]*$/) {
		print "gen_mmm.awk: C and D must be positive integers" > "/dev/stderr"; exit 2
	}
	C += 0; D += 0; seed += 0
	if (start == "") start = "2023-01-02"
	if (start !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/) {
		print "gen_mmm.awk: start must be YYYY-MM-DD" > "/dev/stderr"; exit 2
	}
	split(start, ymd, "-")
	day0 = days_from_civil(ymd[1] + 0, ymd[2] + 0, ymd[3] + 0)
	rng_state = (seed * 7919 + 104729) % 2147483647
	if (rng_state <= 0) rng_state += 2147482647
	for (i = 0; i < 10; i++) rnd()
	L = 28
	pi2 = 6.283185307179586

	# ---- spend -------------------------------------------------------------
	for (c = 1; c <= C; c++) {
		name[c] = sprintf("ch%02d", c)
		level = exp(log(200) + rnd() * log(5000 / 200))
		nsd = unif(0.1, 0.3)
		dark = (c % 3 == 0)
		wamp = unif(0, 0.3); wph = unif(0, 7)
		drift = unif(-0.3, 0.5)
		on = 1; left = irand(14, 42); mult = unif(0.8, 1.6)
		sum = 0
		for (t = 0; t < D; t++) {
			if (left == 0) {
				on = !on
				if (on) { left = irand(14, 42); mult = unif(0.8, 1.6) }
				else if (dark) { left = irand(7, 21); mult = 0 }
				else { left = irand(7, 35); mult = unif(0.2, 0.5) }
			}
			left--
			dow = (day0 + t + 4) % 7          # 0 = Sunday (1970-01-01 was a Thursday)
			s = level * mult * (1 + wamp * cos(pi2 * (dow - wph) / 7)) * (1 + drift * t / D) \
				* exp(nsd * gauss() - nsd * nsd / 2)
			s = int(s * 100 + 0.5) / 100
			spend[c, t] = s
			sum += s
		}
		if (sum <= 0) { spend[c, 0] = level; sum = level }   # cannot happen: day 0 is in a flight
		smean[c] = sum / D
	}

	# ---- media effect (scaled units) -----------------------------------------
	for (c = 1; c <= C; c++) {
		alpha[c] = unif(0.2, 0.7); Kh[c] = unif(0.5, 1.5); S[c] = unif(1, 2.5)
		W = 0
		for (l = 0; l < L; l++) W += alpha[c] ^ l
		hsum = 0
		for (t = 0; t < D; t++) {
			a = 0
			for (l = 0; l < L && l <= t; l++) a += alpha[c] ^ l * spend[c, t - l] / smean[c]
			a /= W
			h[c, t] = (a > 0 ? a ^ S[c] / (a ^ S[c] + Kh[c] ^ S[c]) : 0)
			hsum += h[c, t]
		}
		hbar[c] = hsum / D
		wt[c] = unif(0.5, 1.5)
	}
	base = exp(log(2000) + rnd() * log(10))
	share = unif(0.3, 0.5)
	media = base * share / (1 - share)        # mean media KPI per day
	norm = 0
	for (c = 1; c <= C; c++) norm += wt[c] * hbar[c]
	for (c = 1; c <= C; c++) beta[c] = media * wt[c] / norm   # KPI units

	# ---- KPI -----------------------------------------------------------------
	trend = unif(-0.2, 0.3); wk = unif(0.05, 0.15); wkph = unif(0, 7)
	yr = unif(0.05, 0.2); yrph = unif(0, pi2)
	ksum = 0
	for (t = 0; t < D; t++) {
		dn = day0 + t
		dow = (dn + 4) % 7
		b = base * (1 + trend * (t / (D > 1 ? D - 1 : 1) - 0.5)) \
			* (1 + wk * cos(pi2 * (dow - wkph) / 7) + yr * sin(pi2 * dn / 365.25 + yrph))
		m = 0
		for (c = 1; c <= C; c++) { e = beta[c] * h[c, t]; m += e; contrib[c] += e }
		kpi[t] = b + m + 0.04 * base * gauss()
		if (kpi[t] < 0) kpi[t] = 0
		ksum += kpi[t]
		msum += m
	}
	kmean = ksum / D

	for (t = 0; t < D; t++) {
		date = civil(day0 + t)
		for (c = 1; c <= C; c++)
			printf "{\"date\":\"%s\",\"channel\":\"%s\",\"spend\":%.2f}\n", date, name[c], spend[c, t]
		printf "{\"date\":\"%s\",\"kpi\":%.3f}\n", date, kpi[t]
	}
	if (truth != "") {
		for (c = 1; c <= C; c++)
			printf "{\"channel\":\"%s\",\"alpha\":%.6g,\"K\":%.6g,\"S\":%.6g,\"beta\":%.6g,\"mean_spend\":%.6g,\"share\":%.6g,\"roi\":%.6g}\n", \
				name[c], alpha[c], Kh[c], S[c], beta[c] / kmean, smean[c], contrib[c] / ksum, \
				contrib[c] / (smean[c] * D) > truth
		printf "{\"media_share\":%.6g,\"kpi_mean\":%.6g}\n", msum / ksum, kmean > truth
		close(truth)
	}
}
