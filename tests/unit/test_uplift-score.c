/*
 * uplift-score: Qini/AUUC on a hand-computed example (scikit-uplift 0.5.1's
 * curves, ties included), the base models against a published fit and an
 * independent Newton solve, and the input checks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../../cmd/uplift-score/glm.h"
#include "../../cmd/uplift-score/input.h"
#include "../../cmd/uplift-score/learners.h"
#include "../../cmd/uplift-score/metrics.h"
#include "harness.h"
#include "xoshiro.h"

#define NEAR(a, b, tol) CHECK(fabs((a) - (b)) <= (tol))

/*
 * Eight units (score, t, y); units 2 and 3 tie.  Worked by hand:
 *   sorted groups {1} {2,3} {4} {5} {6} {7} {8}; at N = 1,3,4,5,6,7,8
 *   Qini    Q = 1, 2, 1, 1/2, 1, 5/3, 1       area 55/6, random 8*1/2 = 4
 *   perfect (oracle y t - y (1-t)): groups {1,3,7} {2,5,6} {4,8}:
 *           Q(3) = 3, Q(6) = 3, Q(8) = 1      area 4.5 + 9 + 4 = 17.5
 *   qini_auc_score = (55/6 - 4) / (17.5 - 4) = 31/81
 *   uplift  U = 1, 3, 2, 5/6, 2, 35/12, 2     area 14.75, random 8*2/2 = 8
 *   perfect: control responders 2 > treated non-responders 1, so the oracle
 *           is 2[y = t] + y: groups {1,3,7} {2,6} {4,8} {5}:
 *           U(3) = 3, U(5) = 5, U(7) = 3.5, U(8) = 2   area 23.75
 *   uplift_auc_score = (14.75 - 8) / (23.75 - 8) = 3/7
 * Were the tie {2,3} split (3 first) the Qini area would be 55/6 + 1/2.
 */
static void test_metrics_hand(void)
{
	const double s[8] = { 0.9, 0.8, 0.8, 0.5, 0.4, 0.3, 0.2, 0.1 };
	const unsigned char t[8] = { 1, 0, 1, 0, 1, 0, 1, 0 };
	const double y[8] = { 1, 0, 1, 1, 0, 0, 1, 1 };
	double s2[8];

	NEAR(qini_area(y, t, s, 8), 55.0 / 6, 1e-12);
	NEAR(uplift_area(y, t, s, 8), 14.75, 1e-12);
	NEAR(qini_auc_score(y, t, s, 8), 31.0 / 81, 1e-12);
	NEAR(uplift_auc_score(y, t, s, 8), 3.0 / 7, 1e-12);
	/* the order of the input does not matter (ties enter together) */
	{
		double sr[8], yr[8];
		unsigned char tr[8];
		for (int i = 0; i < 8; i++) {
			sr[i] = s[7 - i];
			yr[i] = y[7 - i];
			tr[i] = t[7 - i];
		}
		NEAR(qini_auc_score(yr, tr, sr, 8), 31.0 / 81, 1e-12);
		NEAR(uplift_auc_score(yr, tr, sr, 8), 3.0 / 7, 1e-12);
	}
	/* breaking the tie (3 before 2) changes the area by 1/2 */
	memcpy(s2, s, sizeof s2);
	s2[2] = 0.85;
	NEAR(qini_area(y, t, s2, 8), 55.0 / 6 + 0.5, 1e-12);
	/* a score that is a monotone transform gives the same values */
	for (int i = 0; i < 8; i++)
		s2[i] = exp(3 * s[i]) - 7;
	NEAR(qini_auc_score(y, t, s2, 8), 31.0 / 81, 1e-12);
	/* the perfect ranking scores 1; its reverse scores below 0 */
	for (int i = 0; i < 8; i++)
		s2[i] = t[i] ? y[i] : -y[i];
	NEAR(qini_auc_score(y, t, s2, 8), 1.0, 1e-12);
	for (int i = 0; i < 8; i++)
		s2[i] = -s2[i];
	CHECK(qini_auc_score(y, t, s2, 8) < 0);
	/* all scores tied: the curve is the random line, score 0 */
	for (int i = 0; i < 8; i++)
		s2[i] = 1;
	NEAR(qini_auc_score(y, t, s2, 8), 0.0, 1e-12);
	NEAR(uplift_auc_score(y, t, s2, 8), 0.0, 1e-12);
}

/*
 * Logistic regression of O-ring damage on launch temperature for the 23
 * flights before Challenger (Dalal, Fowlkes & Hoadley 1989): R's
 * glm(damage ~ temp, binomial) gives 15.0429 (se 7.3786) and -0.2322
 * (se 0.1082).
 */
static void test_logistic_challenger(void)
{
	const double temp[23] = { 66, 70, 69, 68, 67, 72, 73, 70, 57, 63, 70, 78, 67, 53, 67, 75,
				  70, 81, 76, 79, 75, 76, 58 };
	const double dmg[23] = { 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1 };
	double X[46];
	struct glm_fit f;
	char err[256];

	for (int i = 0; i < 23; i++) {
		X[2 * i] = 1;
		X[2 * i + 1] = temp[i];
	}
	CHECK_INT(glm_fit(GLM_LOGISTIC, X, 2, dmg, NULL, 23, NULL, 0, NULL, 1, &f, err, sizeof err), 0);
	CHECK(f.converged);
	NEAR(f.beta[0], 15.0429, 5e-5);
	NEAR(f.beta[1], -0.2322, 5e-5);
	NEAR(sqrt(f.cov[0]), 7.3786, 5e-5);
	NEAR(sqrt(f.cov[3]), 0.1082, 5e-5);
	/* the score equations X'(y - p) = 0 hold to rounding */
	{
		double g0 = 0, g1 = 0;
		for (int i = 0; i < 23; i++) {
			double r = dmg[i] - glm_mean(GLM_LOGISTIC, glm_eta(X + 2 * i, f.beta, 2));
			g0 += r;
			g1 += r * temp[i];
		}
		CHECK(fabs(g0) < 1e-10 && fabs(g1) < 1e-8);
	}
	glm_free(&f);
}

/* Solve A x = b (k x k) by Gauss-Jordan with partial pivoting, in place. */
static void gj_solve(double *A, double *b, int k)
{
	for (int c = 0; c < k; c++) {
		int piv = c;
		for (int r = c + 1; r < k; r++)
			if (fabs(A[r * k + c]) > fabs(A[piv * k + c]))
				piv = r;
		for (int j = 0; j < k; j++) {
			double tmp = A[c * k + j];
			A[c * k + j] = A[piv * k + j];
			A[piv * k + j] = tmp;
		}
		{
			double tmp = b[c];
			b[c] = b[piv];
			b[piv] = tmp;
		}
		for (int r = 0; r < k; r++) {
			double f;
			if (r == c)
				continue;
			f = A[r * k + c] / A[c * k + c];
			for (int j = 0; j < k; j++)
				A[r * k + j] -= f * A[c * k + j];
			b[r] -= f * b[c];
		}
	}
	for (int c = 0; c < k; c++)
		b[c] /= A[c * k + c];
}

/*
 * A second solver written differently: plain Newton on the penalised
 * log-likelihood with Gauss-Jordan, a fixed 50 steps (from 0 the Newton
 * iteration converges on this well-conditioned problem), on random data
 * with a weighted subset.  The two optima must agree.
 */
static void test_logistic_vs_newton(void)
{
	enum { N = 600, P = 4 };
	static double X[N * P], y[N], w[N];
	size_t idx[N / 2];
	uint64_t s[4];
	char err[256];

	xoshiro_seed(s, 2385);
	for (int i = 0; i < N; i++) {
		double eta;
		X[i * P] = 1;
		for (int j = 1; j < P; j++)
			X[i * P + j] = 2 * up_unif(s) - 1 + (j == 3 ? 5 : 0);
		eta = -0.4 + 1.3 * X[i * P + 1] - 0.7 * X[i * P + 2] + 0.2 * X[i * P + 3];
		y[i] = up_unif(s) < 1 / (1 + exp(-eta));
		w[i] = 1 + (double)(i % 3);
	}
	for (int k = 0; k < N / 2; k++)
		idx[k] = (size_t)(2 * k + 1);
	for (int pen = 0; pen < 2; pen++) {
		double l2 = pen ? 3.7 : 0, beta[P] = { 0 };
		struct glm_fit f;
		for (int it = 0; it < 50; it++) {
			double H[P * P] = { 0 }, g[P] = { 0 };
			for (int k = 0; k < N / 2; k++) {
				size_t i = idx[k];
				double eta = 0, mu;
				for (int j = 0; j < P; j++)
					eta += X[i * P + j] * beta[j];
				mu = 1 / (1 + exp(-eta));
				for (int a = 0; a < P; a++) {
					g[a] += w[i] * (y[i] - mu) * X[i * P + a];
					for (int b = 0; b < P; b++)
						H[a * P + b] += w[i] * mu * (1 - mu) * X[i * P + a] * X[i * P + b];
				}
			}
			for (int a = 1; a < P; a++) {
				g[a] -= l2 * beta[a];
				H[a * P + a] += l2;
			}
			gj_solve(H, g, P);
			for (int a = 0; a < P; a++)
				beta[a] += g[a];
		}
		CHECK_INT(glm_fit(GLM_LOGISTIC, X, P, y, idx, N / 2, w, l2, NULL, 1, &f, err, sizeof err), 0);
		for (int a = 0; a < P; a++)
			NEAR(f.beta[a], beta[a], 1e-9 * (1 + fabs(beta[a])));
		glm_free(&f);
	}
}

/* OLS: the normal equations, and HC1 on a hand-checkable design. */
static void test_ols(void)
{
	/* y = 2 + 3x exactly at x = 0..4 plus residuals (+1,-1,0,-1,+1) */
	double X[10], y[5];
	const double e[5] = { 1, -1, 0, -1, 1 };
	struct glm_fit f;
	char err[256];
	for (int i = 0; i < 5; i++) {
		X[2 * i] = 1;
		X[2 * i + 1] = i;
		y[i] = 2 + 3 * i + e[i];
	}
	CHECK_INT(glm_fit(GLM_GAUSSIAN, X, 2, y, NULL, 5, NULL, 0, NULL, 1, &f, err, sizeof err), 0);
	/* the residuals are orthogonal to 1 and x: the fit is exactly (2, 3) */
	NEAR(f.beta[0], 2, 1e-12);
	NEAR(f.beta[1], 3, 1e-12);
	/*
	 * (X'X)^{-1} = [[0.6, -0.2], [-0.2, 0.1]]; meat = sum e^2 x x' =
	 * [[4, 8], [8, 26]] (x = 0, 1, 3, 4 carry e^2 = 1); HC1 factor 5/3.
	 * bread*meat*bread: slope variance = 0.1^2*26 + 2*(-0.2)(0.1)*8 +
	 * 0.04*4 = 0.26 - 0.32 + 0.16 = 0.10, times 5/3; intercept variance
	 * 0.36*4 + 2*0.6*(-0.2)*8 + 0.04*26 = 1.44 - 1.92 + 1.04 = 0.56.
	 */
	NEAR(f.cov[3], 0.10 * 5 / 3, 1e-12);
	NEAR(f.cov[0], 0.56 * 5 / 3, 1e-12);
	glm_free(&f);
	/* a constant covariate besides the intercept is refused */
	for (int i = 0; i < 5; i++)
		X[2 * i + 1] = 1;
	CHECK(glm_fit(GLM_GAUSSIAN, X, 2, y, NULL, 5, NULL, 0, NULL, 1, &f, err, sizeof err) != 0);
	CHECK_HAS(err, "singular");
}

/* ---- input ---- */

static const char *write_tmp(const char *name, const char *text)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;
	snprintf(p, 256, "%s/%s.%d.ndjson", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name,
		 (int)getpid());
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

static int read_text(const char *text, struct up_config *c, struct up_data *d, char *err,
		     size_t errsz)
{
	char *files[1];
	int rc;
	files[0] = (char *)write_tmp("up", text);
	rc = up_read(files, 1, c, d, err, errsz);
	unlink(files[0]);
	return rc;
}

static void test_input(void)
{
	char *outs[1] = { (char *)"y" }, *covs[3] = { (char *)"x", (char *)"city", (char *)"new" };
	struct up_config c = { .id = "id", .treatment = "t", .outcomes = outs, .nout = 1,
			       .covariates = covs, .ncov = 3, .segment = "s" };
	struct up_data d;
	char err[512];

	/* indicator arm, one-hot strings (first level dropped), booleans */
	CHECK_INT(read_text("{\"id\":1,\"t\":1,\"y\":1,\"x\":2.5,\"city\":\"Rome\",\"new\":true,\"s\":\"b\"}\n"
			    "\n"
			    "{\"id\":\"u2\",\"t\":false,\"y\":0,\"x\":-1,\"city\":\"Oslo\",\"new\":false,\"s\":\"a\"}\n"
			    "{\"id\":3,\"t\":0,\"y\":true,\"x\":0,\"city\":\"Lima\",\"new\":1,\"s\":\"b\"}\n",
			    &c, &d, err, sizeof err), 0);
	CHECK_INT(d.n, 3);
	CHECK(d.indicator);
	CHECK_STR(d.control, "0");
	CHECK_INT(d.narm, 1);
	CHECK_STR(d.arm[0], "1");
	CHECK_INT(d.unit_arm[0], 0);
	CHECK_INT(d.unit_arm[1], -1);
	CHECK(d.binary[0]);
	CHECK_INT(d.p, 5);
	CHECK_STR(d.feature[0], "(intercept)");
	CHECK_STR(d.feature[2], "city=Oslo");
	CHECK_STR(d.feature[3], "city=Rome");
	CHECK_STR(d.feature[4], "new");
	/* unit 0: 1, 2.5, Oslo 0, Rome 1, new 1 */
	CHECK(d.X[0] == 1 && d.X[1] == 2.5 && d.X[2] == 0 && d.X[3] == 1 && d.X[4] == 1);
	/* unit 2 is Lima, the dropped level */
	CHECK(d.X[10 + 2] == 0 && d.X[10 + 3] == 0);
	CHECK_INT(d.nseg, 2);
	CHECK_STR(d.seg_level[0], "a");
	CHECK_INT(d.unit_seg[0], 1);
	CHECK_INT(d.unit_line[2], 4);
	up_data_free(&d);

	/* the identity errors, each with its line */
	{
		static const struct {
			const char *text, *msg;
		} bad[] = {
			{ "{\"id\":1,\"t\":1,\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n"
			  "{\"t\":0,\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n", ":2: no id" },
			{ "{\"id\":1,\"t\":1,\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n"
			  "{\"id\":2,\"t\":0,\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n"
			  "{\"id\":1,\"t\":0,\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n",
			  ":3: duplicate id '1' (first on " },
			{ "{\"id\":1,\"t\":2,\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n",
			  ":1: the treatment is not a name or 0/1/true/false" },
			{ "{\"id\":1,\"t\":1,\"y\":\"yes\",\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n",
			  ":1: outcome 'y' is not a number" },
			{ "{\"id\":1,\"t\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n",
			  ":1: outcome 'y' missing" },
			{ "{\"id\":1,\"t\":1,\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n"
			  "{\"id\":2,\"t\":0,\"y\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n",
			  ":2: covariate 'x' missing" },
			{ "{\"id\":1,\"t\":1,\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n"
			  "{\"id\":2,\"t\":0,\"y\":1,\"x\":\"1\",\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n",
			  ":2: covariate 'x' is a string where earlier rows have numbers" },
		};
		for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
			CHECK_INT(read_text(bad[k].text, &c, &d, err, sizeof err), 65);
			CHECK_HAS(err, bad[k].msg);
			up_data_free(&d);
		}
	}

	/* named arms: --control required, --arms restricts */
	{
		const char *text = "{\"id\":1,\"t\":\"A\",\"y\":1,\"x\":1,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n"
				   "{\"id\":2,\"t\":\"ctl\",\"y\":0,\"x\":2,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n"
				   "{\"id\":3,\"t\":\"B\",\"y\":0,\"x\":3,\"city\":\"a\",\"new\":1,\"s\":\"a\"}\n";
		char *arms[1] = { (char *)"A" };
		CHECK_INT(read_text(text, &c, &d, err, sizeof err), 2);
		CHECK_HAS(err, "--control");
		up_data_free(&d);
		c.control = "ctl";
		CHECK_INT(read_text(text, &c, &d, err, sizeof err), 0);
		CHECK_INT(d.narm, 2);
		CHECK_STR(d.arm[0], "A");
		CHECK_STR(d.arm[1], "B");
		CHECK_INT(d.unit_arm[2], 1);
		up_data_free(&d);
		c.arms = arms;
		c.narms = 1;
		CHECK_INT(read_text(text, &c, &d, err, sizeof err), 65);
		CHECK_HAS(err, ":3: treatment 'B' is neither the control 'ctl' nor an arm of --arms");
		up_data_free(&d);
	}
}

int main(void)
{
	gsl_set_error_handler_off();
	test_metrics_hand();
	test_logistic_challenger();
	test_logistic_vs_newton();
	test_ols();
	test_input();
	return h_done("uplift-score");
}
