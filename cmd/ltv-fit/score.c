/*
 * Scores and priors.  Scoring is built for speed: the horizon sum depends
 * on a customer only through (x, T), so it is cached per (model, x, T); what
 * is left per customer is P(alive) (two logs and an exp), the spend and the
 * text of the row, written by hand into a buffer.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "die.h"
#include "intern.h"
#include "ndjson.h"
#include "score.h"
#include "xoshiro.h"

/*
 * All H values of G(k) = (1 - z_k)^B F(z_k), z_k = k/(alpha+T+k), with
 * F = 2F1(A, B; C; z), A = a+b-1-r, B = a-1, C = a+b+x-1 (bg_G's Euler form).
 *
 * The power series alone needs hundreds of terms near z = 1 (z_52 = 0.92
 * for CDNOW's alpha at T = 0) and an exp and a log per point for the
 * factor (1-z)^B.  Instead G is summed from the series at the first point
 * only and then carried from point to point by the Taylor-series method on
 * its own differential equation (F's hypergeometric equation after
 * F = (1-z)^-B G):
 *   z(1-z)^2 G'' + (1-z)(C + D z) G' + B(C-A) G = 0,   D = B-A-1.
 * Around z0, G(z0+s) = sum_n g_n s^n with g_0 = G(z0), g_1 = G'(z0) and
 *   g_{n+2} = -[(p1 n + q0)(n+1) g_{n+1} + (p2 n(n-1) + q1 n + R) g_n
 *               + (p3 (n-1)(n-2) + q2 (n-1)) g_{n-1}] / (p0 (n+2)(n+1)),
 * p0..p3 the Taylor coefficients of z(1-z)^2 at z0, q0..q2 those of
 * (1-z)(C+Dz), R = B(C-A).  A step is at most half the distance to the
 * nearer singular point (0 or 1), so the local series converge at least
 * like 2^-n (about ten terms between neighbouring weeks).  The equation's
 * other solution behaves like z^{1-C} near 0 and (1-z)^{C-A} near 1, so
 * rounding errors in its direction shrink (C > 1 and C-A = x+r > 0 or
 * nearly so) or grow only as a power of 1-z.  Checked against the direct
 * series and GSL in tests/unit/test_ltv-fit.c.
 */
#define MAXC 2000

/*
 * Where the carried series are trusted.  Both rest on the Euler form, whose
 * parameters grow with a: the equation's unwanted solution then grows faster
 * than G decays, and from about a = 12 (x = 15) the carried values drift,
 * exponentially in a (checked against bg_G point by point); along s the x = 0
 * path loses precision as a grows (1e-7 at the screening eps by a = 2) and
 * breaks down from a = 3.  Beyond these bounds -- fits where dropout
 * varies little across customers -- G is summed point by point (bg_G, a
 * few dozen terms a point), slower but exact.  tests/unit/test_ltv-fit.c
 * checks both sides of each bound.
 */
#define ODE_A_MAX 8.0
#define S_A_MAX 2.0

static double inv_nn[200];     /* 1/((n+2)(n+1)) */

/*
 * G at the points zs[0..m) (increasing, all beyond z0), carried from G and
 * G' at z0.  Each round expands G around the current centre z0 (radius of
 * convergence min(z0, 1-z0)), evaluates the expansion at every point within
 * half that radius -- by Horner, four points at once so that the four
 * chains of multiply-adds overlap -- and moves the centre to the last of
 * them (or to the half-radius mark when none is that close).  Returns the
 * points done: m, or fewer when z0 comes within rounding of 1.
 */
static int ode_points(double A, double B, double C, double z0, double G0, double dG0,
		      const double *zs, int m, double *out, double eps)
{
	const double D = B - A - 1, R = B * (C - A);
	double g[200];
	int j = 0;

	if (inv_nn[0] == 0)
		for (int n = 0; n < 200; n++)
			inv_nn[n] = 1.0 / ((n + 2.0) * (n + 1.0));
	while (j < m) {
		double rad = fmin(z0, 1 - z0), reach = z0 + 0.5 * rad, hmax, hp;
		double w = 1 - z0, p1 = 1 - 4 * z0 + 3 * z0 * z0, p2 = -2 + 3 * z0;
		double q0 = w * (C + D * z0), q1 = (D - C) - 2 * D * z0, q2 = -D, ip0 = -1 / (z0 * w * w);
		double sum, dsum, hh;
		int last, N, n, small = 0, i;

		for (last = j; last < m && zs[last] <= reach; last++)
			;
		hmax = last > j ? zs[last - 1] - z0 : reach - z0;
		/* the coefficients, until two terms in a row are below eps at hmax */
		g[0] = G0;
		g[1] = dG0;
		hp = hmax;
		{
			/* the three factors do not depend on g: only two multiply-adds
			 * are on the chain from one coefficient to the next */
			double gm = 0, g0 = G0, g1 = dG0, lim = eps * fabs(G0);
			for (n = 0; n < 198; n++) {
				double dn = n, s = ip0 * inv_nn[n];
				double fa = (p1 * dn + q0) * (dn + 1) * s;
				double fb = (p2 * dn * (dn - 1) + q1 * dn + R) * s;
				double fc = ((dn - 1) * (dn - 2) + q2 * (dn - 1)) * s;
				double g2 = fa * g1 + (fb * g0 + fc * gm);
				g[n + 2] = g2;
				gm = g0;
				g0 = g1;
				g1 = g2;
				hp *= hmax;
				if (fabs(g2 * hp) <= lim) {
					if (++small == 2)
						break;
				} else {
					small = 0;
				}
			}
		}
		N = n + 3 < 200 ? n + 3 : 200;
		if (last == j) {                 /* no point that close: move the centre */
			hh = hmax;
		} else {
			/* the points four at a time by Horner, four independent chains;
			 * a block stops at the term where its farthest point's terms
			 * have fallen below eps (the coefficients times h^n) */
			for (i = j; i < last; i += 4) {
				double h0 = zs[i] - z0, h1 = h0, h2 = h0, h3 = h0, a0, a1, a2, a3, hb, t;
				int nb = last - i < 4 ? last - i : 4, Nb = N;
				if (nb > 1)
					h1 = zs[i + 1] - z0;
				if (nb > 2)
					h2 = zs[i + 2] - z0;
				if (nb > 3)
					h3 = zs[i + 3] - z0;
				hb = zs[i + nb - 1] - z0;
				/* the terms that matter at hb: scanning down from the top,
				 * the first that is not negligible at hb (one pass for the
				 * far blocks, which are most of them) */
				t = 1;
				for (n = 1; n < N; n++)
					t *= hb;
				if (t > 1e-280)      /* else hb^n underflowed: keep every term */
					for (Nb = N; Nb > 2; Nb--, t /= hb)
						if (fabs(g[Nb - 1] * t) > eps * fabs(G0) * 1e-2)
							break;
				a0 = a1 = a2 = a3 = g[Nb - 1];
				for (n = Nb - 2; n >= 0; n--) {
					a0 = a0 * h0 + g[n];
					a1 = a1 * h1 + g[n];
					a2 = a2 * h2 + g[n];
					a3 = a3 * h3 + g[n];
				}
				out[i] = a0;
				if (nb > 1)
					out[i + 1] = a1;
				if (nb > 2)
					out[i + 2] = a2;
				if (nb > 3)
					out[i + 3] = a3;
			}
			hh = zs[last - 1] - z0;
		}
		/* G and G' at the new centre z0 + hh */
		sum = g[0];
		dsum = 0;
		hp = 1;
		for (n = 1; n < N; n++) {
			dsum += n * g[n] * hp;
			hp *= hh;
			sum += g[n] * hp;
		}
		G0 = last > j ? out[last - 1] : sum;
		dG0 = dsum;
		if (!(z0 + hh > z0) || !isfinite(G0))
			return j;       /* z0 a rounding error away from 1: the caller takes over */
		z0 = z0 + hh;
		j = last;
	}
	return m;
}

/* F and F' at z from the coefficients c[0..J): the sum stops below 1e-17 of F
 * once the terms decrease. */
static double series_f(const double *c, int J, double z, double *fp, double eps)
{
	double zp = 1, f = c[0], d = 0, prev = INFINITY;
	int j;
	for (j = 1; j < J; j++) {
		double t = c[j] * zp * z;
		d += j * c[j] * zp;
		zp *= z;
		f += t;
		if (fabs(t) <= eps * fabs(f) && fabs(t) < prev && j > 2)
			break;
		prev = fabs(t);
	}
	*fp = d;
	return f;
}

/* Points up to ZSERIES take the series (a few dozen terms); beyond, the
 * equation (whose steps near 0 would be short: the radius is z0). */
#define ZSERIES 0.3

/* The horizon sum from bg_G point by point: slow, exact, for any parameters. */
static double pointwise_sum(const double th[BG_NP], int x, double T, int H, double v, double *GH)
{
	double S = 0, Gp = 1, vk = 1;
	int k;

	for (k = 1; k <= H; k++) {
		double G = bg_G(th, x, T, k);
		vk *= v;
		S += (Gp - G) * vk;
		Gp = G;
	}
	*GH = Gp;
	return S;
}

/* bg_disc_sum with the local series cut at eps relative (1e-17: full
 * precision, which is all it is used at). */
static double disc_sum(const double th[BG_NP], int x, double T, int H, double v, double *GH,
		       double eps)
{
	const double r = th[BG_R], al = th[BG_ALPHA], a = th[BG_A], b = th[BG_B];
	const double A = a + b - 1 - r, B = a - 1, C = a + b + x - 1, lAT = log(al + T);
	double c[MAXC], Gp = 1, S = 0, vk = 1, G = 1, dG = 0, zlast = 0;
	int k, J, j;

	if (H <= 0) {
		*GH = 1;
		return 0;
	}
	if (th[BG_A] >= ODE_A_MAX || bg_G_direct(th, x))   /* see ODE_A_MAX */
		return pointwise_sum(th, x, T, H, v, GH);
	/* the coefficients, enough for the points the series takes */
	{
		double zc = fmax(fmin(ZSERIES, H / (al + T + H)), 1 / (al + T + 1)), tz = 1, sum = 1;
		c[0] = 1;
		for (j = 1; j < MAXC; j++) {
			double ratio = (A + j - 1) * (B + j - 1) / ((C + j - 1) * j);
			c[j] = c[j - 1] * ratio;
			tz *= ratio * zc;
			sum += tz;
			if (c[j] == 0 || (fabs(tz) <= 0.1 * eps * fabs(sum) && fabs(ratio * zc) < 1))
				break;
		}
		J = j + 1;
		if (j >= MAXC) {     /* a series that will not settle: bg_G per point */
			for (k = 1; k <= H; k++) {
				G = bg_G(th, x, T, k);
				vk *= v;
				S += (Gp - G) * vk;
				Gp = G;
			}
			*GH = Gp;
			return S;
		}
	}
	for (k = 1; k <= H; k++) {
		double z = k / (al + T + k);
		if (k > 1 && z > ZSERIES)
			break;
		{
			double fd, f = series_f(c, J, z, &fd, eps);
			double pw = exp(B * (lAT - log(al + T + k)));      /* (1-z)^B */
			G = pw * f;
			dG = pw * fd - B * pw / (1 - z) * f;
		}
		zlast = z;
		vk *= v;
		S += (Gp - G) * vk;
		Gp = G;
	}
	if (k <= H) {          /* the rest by the equation */
		int m = H - k + 1, i, done;
		double *zs = xmalloc(2 * (size_t)m * sizeof *zs), *gs = zs + m;
		for (i = 0; i < m; i++)
			zs[i] = (k + i) / (al + T + k + i);
		done = ode_points(A, B, C, zlast, G, dG, zs, m, gs, eps);
		for (i = done; i < m; i++)
			gs[i] = bg_G(th, x, T, k + i);
		for (i = 0; i < m; i++) {
			vk *= v;
			S += (Gp - gs[i]) * vk;
			Gp = gs[i];
		}
		free(zs);
	}
	*GH = Gp;
	return S;
}

double bg_disc_sum(const double th[BG_NP], int x, double T, int H, double v, double *GH)
{
	return disc_sum(th, x, T, H, v, GH, 1e-17);
}

/*
 * The same G(k) along s = log(1 - z) = log((alpha+T)/(alpha+T+k)), for the
 * priors' parameter draws.  In s the function has no singular point nearer
 * than 2 pi i to the real axis (z = 1 goes to s = -inf; z = 0 is s = 0,
 * where G is regular, and its other sheets are at 2 pi i k), so one
 * expansion covers what takes the z equation half a dozen: with u = e^s,
 *   (1-u) G'' - (K1 - K2 u) G' + R G = 0,  K1 = 1+C+D, K2 = 1+D, R = B(C-A).
 * Around s = 0 (u = 1) the Frobenius recurrence gives G's series from
 * G(0) = 1 alone:
 *   (n+1)(n+C) g_{n+1} = (R + n K2) g_n + sum_{m=2..n} c_{n+1-m}/m!,
 * and around c != 0 (u0 = e^c), from G(c) and G'(c),
 *   (1-u0)(n+2)(n+1) g_{n+2} = (n+1)(K1 - u0 K2 + n u0) g_{n+1}
 *                              - (R + n u0 K2) g_n - u0 sum_{m=2..n} c_{n+1-m}/m!,
 * with c_j = j (K2 g_j - (j+1) g_{j+1}) (e^h's Taylor coefficients 1/m!
 * make the sums).  Centre 0 serves s >= -1.4, centre -2 serves [-2.6, -1.4]
 * (the rest of 52 weeks at CDNOW's alpha), then -2 g^j (g = 13/7) each
 * +-0.3|c|, so the series converge at least like 0.3^n (and a centre's
 * rounding errors, which grow like (h/|c|)^n, stay bounded).  The points
 * are evaluated eight at a time by Horner, each block with the terms that
 * matter at its farthest point.
 */
#define SN_MAX 200      /* terms of one expansion at most */
#define S_C1 (-2.0)     /* the first centre after 0 */
#define S_P 0.3         /* a centre c serves c +- S_P |c| */

static double ifact[SN_MAX];     /* 1/m! */

/* the binary exponent of |v| plus one: an upper bound of log2|v| */
static inline int lg2up(double v)
{
	uint64_t b;
	memcpy(&b, &v, sizeof b);
	return (int)((b >> 52) & 0x7FF) - 1022;
}

/* log2|v| to within 0.09 above (|v| = 2^e m, m in [1, 2): log2 m <= m - 1 + 0.0861) */
static inline double lg2ub(double v)
{
	uint64_t b;
	double m;
	memcpy(&b, &v, sizeof b);
	b = (b & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL;
	memcpy(&m, &b, sizeof m);
	return lg2up(v) - 1 + (m - 1) + 0.0862;
}

/* The Taylor coefficients g[0..N) of G(c + h): until two terms in a row are
 * below eps |G(c)| at h = hmax.  N, or 0 when SN_MAX terms do not get there. */
static int s_coefs(double K1, double K2, double C, double R, double c, double G0, double dG0,
		   double hmax, double eps, double *g)
{
	const double u0 = exp(c), lim = eps * fabs(G0), Q = K1 - u0 * K2;
	double cc[SN_MAX], hp = hmax;
	int i, m, small = 0;

	g[0] = G0;
	g[1] = c == 0 ? R / C : dG0;
	cc[0] = 0;
	/* g[i], i = 2, 3, ...; n is the order of the equation's term */
	for (i = 2; i < SN_MAX; i++) {
		double s0 = 0, s1 = 0, t;
		int n = c == 0 ? i - 1 : i - 2;
		if (n >= 2)
			cc[n - 1] = (n - 1) * (K2 * g[n - 1] - n * g[n]);
		if (c == 0) {
			/* sum_{m=3..n}, oldest terms first (the newest joins last); the
			 * m = 2 term, c_{n-1}/2, is written into the coefficients */
			for (m = n; m - 1 >= 3; m -= 2) {
				s0 += cc[n + 1 - m] * ifact[m];
				s1 += cc[n + 2 - m] * ifact[m - 1];
			}
			if (m >= 3)
				s0 += cc[n + 1 - m] * ifact[m];
			t = (R + n * K2 - 0.5 * n * (n - 1)) * g[n] + 0.5 * (n - 1) * K2 * g[n - 1] +
			    (s0 + s1);
			g[i] = t * (1 / ((n + 1) * (n + C)));
		} else {
			for (m = n; m - 1 >= 2; m -= 2) {
				s0 += cc[n + 1 - m] * ifact[m];
				s1 += cc[n + 2 - m] * ifact[m - 1];
			}
			if (m >= 2)
				s0 += cc[n + 1 - m] * ifact[m];
			t = (n + 1) * (Q + n * u0) * g[n + 1] - (R + n * u0 * K2) * g[n] - u0 * (s0 + s1);
			g[i] = t * (1 / ((1 - u0) * (n + 2) * (n + 1)));
		}
		hp *= hmax;
		if (fabs(g[i]) * hp <= lim) {
			if (++small == 2)
				return i + 1;
		} else {
			small = 0;
		}
	}
	return 0;
}

/* P(h) = sum_n g_n h^n and P'(h) */
static double s_horner(const double *g, int N, double h, double *d)
{
	double a = g[N - 1], b = 0;
	int n;
	for (n = N - 2; n >= 0; n--) {
		b = b * h + a;
		a = a * h + g[n];
	}
	*d = b;
	return a;
}

/* out[i] = P(hs[i]), i < m (|hs| increasing), eight points at a time */
static void s_eval(const double *g, int N, const double *hs, int m, double *out, double eps)
{
	/* in whole binary exponents, each rounded to the safe side (a term is
	 * dropped only when its bound is below eps |g0| / 32) */
	const int ltol = lg2up(eps * g[0]) - 5;
	int lg[SN_MAX], i, n, k;

	for (n = 0; n < N; n++)
		lg[n] = g[n] == 0 ? -4000 : lg2up(g[n]);
	for (i = 0; i < m; i += 8) {
		double h[8], a0, a1, a2, a3, a4, a5, a6, a7, lh;
		int nb = m - i < 8 ? m - i : 8, Nb = N;
		for (k = 0; k < 8; k++)
			h[k] = hs[i + (k < nb ? k : nb - 1)];
		lh = lg2ub(fmax(fabs(h[0]), fabs(h[nb - 1])));
		while (Nb > 2 && lg[Nb - 1] + (Nb - 1) * lh < ltol)
			Nb--;
		a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = g[Nb - 1];
		for (n = Nb - 2; n >= 0; n--) {      /* eight chains in registers */
			const double gn = g[n];
			a0 = a0 * h[0] + gn;
			a1 = a1 * h[1] + gn;
			a2 = a2 * h[2] + gn;
			a3 = a3 * h[3] + gn;
			a4 = a4 * h[4] + gn;
			a5 = a5 * h[5] + gn;
			a6 = a6 * h[6] + gn;
			a7 = a7 * h[7] + gn;
		}
		h[0] = a0, h[1] = a1, h[2] = a2, h[3] = a3, h[4] = a4, h[5] = a5, h[6] = a6, h[7] = a7;
		for (k = 0; k < nb; k++)
			out[i + k] = h[k];
	}
}

/* disc_sum along s; NaN when a series does not settle */
static double s_disc_sum(const double th[BG_NP], int x, double T, int H, double v, double *GH,
			 double eps)
{
	const double r = th[BG_R], al = th[BG_ALPHA], a = th[BG_A], b = th[BG_B];
	const double A = a + b - 1 - r, B = a - 1, C = a + b + x - 1, D = B - A - 1;
	const double K1 = 1 + C + D, K2 = 1 + D, R = B * (C - A), L = al + T, lL = log(L);
	double g[SN_MAX], buf[2 * 256], *G = H <= 256 ? buf : xmalloc(2 * (size_t)H * sizeof *G);
	double *hs = G + (H <= 256 ? 256 : H), c = 0, cn = S_C1, G0 = 1, dG0 = 0, S = 0, Gp = 1, vk = 1;
	int j = 0, k;

	if (th[BG_A] >= S_A_MAX || bg_G_direct(th, x)) {   /* see S_A_MAX */
		if (G != buf)
			free(G);
		return disc_sum(th, x, T, H, v, GH, 1e-17);
	}
	if (ifact[0] == 0) {
		ifact[0] = 1;
		for (k = 1; k < SN_MAX; k++)
			ifact[k] = ifact[k - 1] / k;
	}
	/* s of the points (replaced by G below): log(L+k+1) by steps of
	 * log((m+1)/m) = 2 atanh(1/(2m+1)) once m >= 10 (five terms, within
	 * 1e-15), a fresh log every 16 points */
	{
		double lk = 0;
		for (k = 0; k < H; k++) {
			double m = L + k, w, w2;
			if (m < 10 || (k & 15) == 0) {
				lk = log(m + 1);
			} else {
				w = 1 / (2 * m + 1);
				w2 = w * w;
				lk += 2 * w * (1 + w2 * (1.0 / 3 + w2 * (0.2 + w2 * (1.0 / 7 + w2 / 9))));
			}
			G[k] = lL - lk;
		}
	}
	while (j < H) {
		/* this centre serves the points down to the next one's span */
		double edge = cn * (1 - S_P), hmax;
		int last, N;
		for (last = j; last < H && G[last] >= edge; last++)
			;
		hmax = last < H ? fabs(cn - c) : fabs(G[H - 1] - c);
		N = s_coefs(K1, K2, C, R, c, G0, dG0, hmax, eps, g);
		if (N == 0 || !isfinite(g[N - 1])) {
			S = NAN;
			break;
		}
		for (k = j; k < last; k++)
			hs[k - j] = G[k] - c;
		if (last < H)
			G0 = s_horner(g, N, cn - c, &dG0);
		s_eval(g, N, hs, last - j, G + j, eps);
		j = last;
		c = cn;
		cn *= (1 + S_P) / (1 - S_P);
	}
	if (!isnan(S))
		for (k = 0; k < H; k++) {
			vk *= v;
			S += (Gp - G[k]) * vk;
			Gp = G[k];
		}
	*GH = Gp;
	if (G != buf)
		free(G);
	return S;
}

double bg_disc_sum_s(const double th[BG_NP], int x, double T, int H, double v, double *GH,
		     double eps)
{
	return s_disc_sum(th, x, T, H, v, GH, eps);
}

/* ---- the cache: open addressing on (model, x, T) ---- */

struct centry {
	const struct model_pair *mp;
	int x;
	double T;
	double S, GH;
	int used;
};

struct score_cache {
	struct centry *e;
	size_t n, cap;           /* cap a power of two */
};

struct score_cache *score_cache_new(void)
{
	struct score_cache *c = xcalloc(1, sizeof *c);
	c->cap = 1024;
	c->e = xcalloc(c->cap, sizeof *c->e);
	return c;
}

void score_cache_free(struct score_cache *c)
{
	if (c) {
		free(c->e);
		free(c);
	}
}

static inline uint64_t chash(const struct model_pair *mp, int x, double T)
{
	uint64_t tb;
	memcpy(&tb, &T, sizeof tb);
	uint64_t h = tb * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)(unsigned)x * 0xbf58476d1ce4e5b9ULL) ^
		     (uint64_t)(uintptr_t)mp;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

static struct centry *cache_get(struct score_cache *c, const struct model_pair *mp, int x,
				double T, int H, double v)
{
	size_t i;
	struct centry *e;

	if (2 * (c->n + 1) > c->cap) {
		struct centry *old = c->e;
		size_t oc = c->cap, k;
		c->cap *= 2;
		c->e = xcalloc(c->cap, sizeof *c->e);
		for (k = 0; k < oc; k++)
			if (old[k].used) {
				i = chash(old[k].mp, old[k].x, old[k].T) & (c->cap - 1);
				while (c->e[i].used)
					i = (i + 1) & (c->cap - 1);
				c->e[i] = old[k];
			}
		free(old);
	}
	i = chash(mp, x, T) & (c->cap - 1);
	for (;;) {
		e = &c->e[i];
		if (!e->used)
			break;
		if (e->mp == mp && e->x == x && e->T == T)
			return e;
		i = (i + 1) & (c->cap - 1);
	}
	e->used = 1;
	e->mp = mp;
	e->x = x;
	e->T = T;
	e->S = bg_disc_sum(mp->bg.th, x, T, H, v, &e->GH);
	c->n++;
	return e;
}

void score_one(struct score_cache *cache, const struct model_pair *mp, const struct score_opts *o,
	       const struct cust *c, struct scores *s)
{
	const double *th = mp->bg.th;
	const double a = th[BG_A], b = th[BG_B];
	const struct centry *e = cache_get(cache, mp, c->x, c->T, o->horizon, o->v);
	double D = bg_D(th, c->x, c->tx, c->T), K = (a + b + c->x - 1) / (a - 1);

	s->p_alive = 1 / D;
	s->expected_purchases = K * (1 - e->GH) / D;
	s->expected_spend = mp->have_gg ? gg_cond_mean(mp->gg.th, c->x, c->zbar) : NAN;
	s->clv = s->expected_spend * K * e->S / D;
}

/* ---- text ---- */

static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
			      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

static const char two_digits[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* the 12 digits of m < 10^12 into d[0..12) */
static inline void digits12(unsigned long long m, char *d)
{
	unsigned hi = (unsigned)(m / 1000000), lo = (unsigned)(m % 1000000);
	int i;
	for (i = 4; i >= 0; i -= 2) {
		memcpy(d + i, two_digits + 2 * (hi % 100), 2);
		memcpy(d + 6 + i, two_digits + 2 * (lo % 100), 2);
		hi /= 100;
		lo /= 100;
	}
}

size_t fmt_g12(char *buf, double v)
{
	double av = fabs(v), s;
	unsigned long long m;
	char dig[16];
	int e, i, len = 0, bexp;

	if (!isfinite(v)) {
		memcpy(buf, "null", 5);
		return 4;
	}
	if (av == 0) {
		memcpy(buf, "0.0", 4);
		return 3;
	}
	if (av < 1e-5 || av >= 1e14)
		return fmt_real(buf, v);
	/* e = floor(log10(av)) in [-5, 13]: an estimate from the binary
	 * exponent, corrected by one comparison each way */
	{
		uint64_t bits;
		memcpy(&bits, &av, sizeof bits);
		bexp = (int)((bits >> 52) & 0x7FF) - 1022;   /* as frexp's: av = f 2^bexp, f in [1/2, 1) */
	}
	e = (int)floor((bexp - 1) * 0.30102999566398120);
	if (e < -5)
		e = -5;
	if (e > 13)
		e = 13;
	while (e < 13 && (e + 1 >= 0 ? av >= p10[e + 1] : av * p10[-(e + 1)] >= 1))
		e++;
	while (e > -5 && (e >= 0 ? av < p10[e] : av * p10[-e] < 1))
		e--;
	s = 11 - e >= 0 ? av * p10[11 - e] : av / p10[e - 11];
	m = (unsigned long long)(s + 0.5);
	if (m >= 1000000000000ULL) {
		m /= 10;
		e++;
	}
	digits12(m, dig);
	if (v < 0)
		buf[len++] = '-';
	if (e >= 0) {
		int ip = e + 1, last = 11;      /* integer digits (<= 15) */
		for (i = 0; i < ip; i++)
			buf[len++] = i < 12 ? dig[i] : '0';
		buf[len++] = '.';
		while (last >= ip && dig[last] == '0')
			last--;
		if (last < ip)
			buf[len++] = '0';
		else
			for (i = ip; i <= last; i++)
				buf[len++] = dig[i];
	} else {
		int last = 11;
		buf[len++] = '0';
		buf[len++] = '.';
		for (i = 0; i < -e - 1; i++)
			buf[len++] = '0';
		while (last > 0 && dig[last] == '0')
			last--;
		for (i = 0; i <= last; i++)
			buf[len++] = dig[i];
	}
	buf[len] = '\0';
	return (size_t)len;
}

/* a growing text buffer for one row */
struct tb {
	char *p;
	size_t n, cap;
};

static inline void tb_room(struct tb *t, size_t k)
{
	if (t->n + k > t->cap) {
		t->cap = 2 * (t->n + k);
		t->p = xrealloc(t->p, t->cap);
	}
}

static inline void tb_put(struct tb *t, const char *s, size_t k)
{
	tb_room(t, k);
	memcpy(t->p + t->n, s, k);
	t->n += k;
}

#define TB_LIT(t, s) tb_put((t), (s), sizeof(s) - 1)

/* A JSON string: a fast copy when nothing needs escaping. */
static void tb_str(struct tb *t, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	tb_room(t, 6 * n + 2);
	t->p[t->n++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			t->p[t->n++] = '\\';
			t->p[t->n++] = (char)c;
		} else if (c < 0x20) {
			t->p[t->n++] = '\\';
			t->p[t->n++] = 'u';
			t->p[t->n++] = '0';
			t->p[t->n++] = '0';
			t->p[t->n++] = hex[c >> 4];
			t->p[t->n++] = hex[c & 15];
		} else {
			t->p[t->n++] = (char)c;   /* UTF-8 was checked by the reader */
		}
	}
	t->p[t->n++] = '"';
}

static inline void tb_g12(struct tb *t, double v)
{
	tb_room(t, 40);
	t->n += fmt_g12(t->p + t->n, v);
}

static inline void tb_real(struct tb *t, double v)
{
	tb_room(t, 40);
	t->n += fmt_real(t->p + t->n, v);
}

static inline void tb_int(struct tb *t, long long v)
{
	char d[24];
	int k = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	tb_room(t, 24);
	if (v < 0)
		t->p[t->n++] = '-';
	do {
		d[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (k)
		t->p[t->n++] = d[--k];
}

long long write_customers(FILE *f, const struct customers *cs,
			  const struct model_pair *const *models, const struct score_opts *o)
{
	struct score_cache *cache = score_cache_new();
	struct tb t = { 0 }, head = { 0 }, tail = { 0 };
	size_t i;

	TB_LIT(&head, "{\"_table\":\"ltv_customers\",\"run_id\":");
	tb_str(&head, o->run_id, strlen(o->run_id));
	TB_LIT(&head, ",\"customer_id\":");
	TB_LIT(&tail, ",\"horizon\":");
	tb_int(&tail, o->horizon);
	TB_LIT(&tail, ",\"created_at\":");
	tb_str(&tail, o->created_at, strlen(o->created_at));
	TB_LIT(&tail, "}\n");
	for (i = 0; i < cs->n; i++) {
		const struct cust *c = &cs->c[i];
		const struct model_pair *mp = models[c->seg >= 0 ? c->seg : 0];
		struct scores s;

		score_one(cache, mp, o, c, &s);
		tb_put(&t, head.p, head.n);
		{
			size_t il;
			const char *id = cust_id(cs, c, &il);
			tb_str(&t, id, il);
		}
		TB_LIT(&t, ",\"segment\":");
		if (c->seg >= 0)
			tb_str(&t, intern_str(&cs->segs, (size_t)c->seg),
			       intern_len(&cs->segs, (size_t)c->seg));
		else
			TB_LIT(&t, "null");
		TB_LIT(&t, ",\"x\":");
		tb_int(&t, c->x);
		TB_LIT(&t, ",\"t_x\":");
		tb_real(&t, c->tx);
		TB_LIT(&t, ",\"t_cal\":");
		tb_real(&t, c->T);
		TB_LIT(&t, ",\"zbar\":");
		tb_real(&t, c->zbar);
		TB_LIT(&t, ",\"p_alive\":");
		tb_g12(&t, s.p_alive);
		TB_LIT(&t, ",\"expected_purchases\":");
		tb_g12(&t, s.expected_purchases);
		TB_LIT(&t, ",\"expected_spend\":");
		tb_g12(&t, s.expected_spend);
		TB_LIT(&t, ",\"clv\":");
		tb_g12(&t, s.clv);
		tb_put(&t, tail.p, tail.n);
		if (t.n > 1 << 16) {
			fwrite_unlocked(t.p, 1, t.n, f);
			t.n = 0;
			if ((i & 0xFFFF) == 0)
				out_check(f);
		}
	}
	fwrite_unlocked(t.p, 1, t.n, f);
	free(t.p);
	free(head.p);
	free(tail.p);
	score_cache_free(cache);
	return (long long)cs->n;
}

/* ---- priors ---- */

static double prior_value(const double *bg, const double *gg, double fv, int H, double v,
			  double *rp, double *spp, double eps)
{
	double GH, S, K = (bg[BG_A] + bg[BG_B] - 1) / (bg[BG_A] - 1);
	double sp = gg ? gg_pop_mean(gg) : NAN;
	if (spp)
		*spp = sp;
	if (isnan(sp) && !rp)
		return NAN;             /* a draw with q <= 1: no value */
	/* eps > 0: the screening pass along s (below); 0: exact */
	/* (S is of order a-1 and K of order 1/(a-1): the screen's eps scales with a-1) */
	S = eps > 0 ? s_disc_sum(bg, 0, 0, H, v, &GH, eps * fmin(1, fabs(bg[BG_A] - 1))) : NAN;
	if (isnan(S))
		S = disc_sum(bg, 0, 0, H, v, &GH, 1e-17);
	if (rp)
		*rp = K * (1 - GH);
	return (isfinite(fv) ? fv : 0) + sp * K * S;
}

/* The k-th smallest of s[0..n) (s is reordered): Hoare's selection. */
static double select_k(double *s, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		double pv = s[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (s[i] < pv)
				i++;
			while (s[j] > pv)
				j--;
			if (i <= j) {
				double t = s[i];
				s[i] = s[j];
				s[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return s[k];
	}
	return s[k];
}

/* The type-7 quantile p of s[0..n) (reordered): s[lo] + frac (s[lo+1] - s[lo])
 * with h = (n-1) p, lo = floor(h). */
static double quantile7(double *s, size_t n, double p)
{
	double h = (double)(n - 1) * p, a, b;
	size_t lo = (size_t)floor(h);
	a = select_k(s, n, lo);
	if (lo + 1 >= n)
		return a;
	b = select_k(s, n, lo + 1);
	return a + (h - (double)lo) * (b - a);
}

/* Standard normals by Box-Muller on xoshiro uniforms in (0, 1), both of
 * each pair used (*spare holds the second; NaN when empty). */
static double std_normal(uint64_t st[4], double *spare)
{
	double u1, u2, rad;
	if (!isnan(*spare)) {
		double z = *spare;
		*spare = NAN;
		return z;
	}
	u1 = ((double)(xoshiro_next(st) >> 11) + 0.5) * 0x1.0p-53;
	u2 = ((double)(xoshiro_next(st) >> 11) + 0.5) * 0x1.0p-53;
	rad = sqrt(-2 * log(u1));
	*spare = rad * sin(2 * M_PI * u2);
	return rad * cos(2 * M_PI * u2);
}

/* Lower Cholesky factor of the np x np covariance into L; 0 or -1. */
static int chol(const double *cov, int np, double *L)
{
	gsl_matrix_view m = gsl_matrix_view_array(L, (size_t)np, (size_t)np);
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	int st, i, j;
	memcpy(L, cov, (size_t)(np * np) * sizeof *L);
	st = gsl_linalg_cholesky_decomp1(&m.matrix);
	gsl_set_error_handler(old);
	for (i = 0; i < np; i++)
		for (j = i + 1; j < np; j++)
			L[i * np + j] = 0;
	return st == GSL_SUCCESS ? 0 : -1;
}

/*
 * The draws are screened along s (s_disc_sum, terms below 1e-9 |a-1|: each
 * value within about 1e-7 relative of the exact one, 1e-6 at worst in the
 * unit tests) and only those that can be a quantile's order statistics are
 * evaluated exactly (disc_sum at full precision, as value_mean): the ones
 * within three margins M = 1e-4 of the largest |value| of the screened
 * values of ranks lo and lo+1 (type 7).  The exact k-th smallest lies within M of
 * the screened one, every draw outside that band keeps its side of it, so
 * the quantiles are those of exact values throughout, for a few dozen
 * exact evaluations instead of a thousand.
 */
#define S_SCREEN 1e-9
static size_t refine(double *val, double *par, size_t nv, int H, double v)
{
	double *tmp = xmalloc(nv * sizeof *tmp), lo[2], hi[2], big = 0, M;
	const double ps[2] = { 0.05, 0.95 };
	size_t i, k;
	int q, redo = 0;

	for (i = 0; i < nv; i++)
		big = fmax(big, fabs(val[i]));
	M = 1e-4 * big;
	for (q = 0; q < 2; q++) {
		size_t l = (size_t)floor((double)(nv - 1) * ps[q]);
		memcpy(tmp, val, nv * sizeof *tmp);
		lo[q] = select_k(tmp, nv, l) - 3 * M;
		hi[q] = (l + 1 < nv ? select_k(tmp, nv, l + 1) : lo[q] + 3 * M) + 3 * M;
	}
	for (i = 0; i < nv; i++)
		if ((val[i] >= lo[0] && val[i] <= hi[0]) || (val[i] >= lo[1] && val[i] <= hi[1])) {
			const double *p = par + 8 * i;
			val[i] = prior_value(p, p + BG_NP, p[7], H, v, NULL, NULL, 0);
			redo |= !isfinite(val[i]);
		}
	free(tmp);
	if (redo) {            /* an exact value that is not finite: all exact, the finite kept */
		size_t n = 0;
		for (k = 0; k < nv; k++) {
			double *p = par + 8 * k, x = prior_value(p, p + BG_NP, p[7], H, v, NULL, NULL, 0);
			if (isfinite(x))
				val[n++] = x;
		}
		nv = n;
	}
	return nv;
}

void prior_compute(const struct model_pair *mp, double fv_mean, double fv_se, int H, double v,
		   int draws, uint64_t seed, struct prior *out)
{
	double Lb[16], Lg[9];
	int ok;

	out->first_value_mean = fv_mean;
	out->value_mean = prior_value(mp->bg.th, mp->have_gg ? mp->gg.th : NULL, fv_mean, H, v,
				      &out->repeat_purchases, &out->spend_per_purchase, 0);
	out->value_low = out->value_high = NAN;
	ok = draws > 1 && mp->have_gg && mp->bg.cov_ok && mp->gg.cov_ok &&
	     isfinite(out->value_mean) && chol(mp->bg.cov, BG_NP, Lb) == 0 &&
	     chol(mp->gg.cov, GG_NP, Lg) == 0;
	if (ok) {
		uint64_t st[4];
		double *val = xmalloc((size_t)draws * sizeof *val), spare = NAN;
		double *par = xmalloc((size_t)draws * 8 * sizeof *par);   /* tb, tg, fv of a kept draw */
		size_t nv = 0;
		int d, i, j;
		xoshiro_seed(st, seed);
		for (d = 0; d < draws; d++) {
			double zb[BG_NP], zg[GG_NP], *tb = par + 8 * nv, *tg = tb + BG_NP, fv = fv_mean, x;
			for (i = 0; i < BG_NP; i++)
				zb[i] = std_normal(st, &spare);
			for (i = 0; i < GG_NP; i++)
				zg[i] = std_normal(st, &spare);
			for (i = 0; i < BG_NP; i++) {
				double u = log(mp->bg.th[i]);
				for (j = 0; j <= i; j++)
					u += Lb[i * BG_NP + j] * zb[j];
				tb[i] = exp(u);
			}
			for (i = 0; i < GG_NP; i++) {
				double u = log(mp->gg.th[i]);
				for (j = 0; j <= i; j++)
					u += Lg[i * GG_NP + j] * zg[j];
				tg[i] = exp(u);
			}
			if (isfinite(fv_mean) && isfinite(fv_se))
				fv = fv_mean + fv_se * std_normal(st, &spare);
			tb[7] = fv;
			x = prior_value(tb, tg, fv, H, v, NULL, NULL, S_SCREEN);
			if (isfinite(x))
				val[nv++] = x;
		}
		if (nv >= (size_t)(0.9 * draws) && nv > 1)
			nv = refine(val, par, nv, H, v);
		if (nv >= (size_t)(0.9 * draws) && nv > 1) {
			out->value_low = quantile7(val, nv, 0.05);
			out->value_high = quantile7(val, nv, 0.95);
		}
		free(par);
		free(val);
	}
}
