#ifndef UPLIFT_METRICS_H
#define UPLIFT_METRICS_H

#include <stddef.h>

/*
 * Qini coefficient and AUUC normalised as scikit-uplift 0.5.1's
 * qini_auc_score(negative_effect=True) and uplift_auc_score.
 *
 * Units sorted by predicted uplift, highest first; a point of the curve at
 * the end of each run of equal predictions (ties enter together), N units
 * so far, of which N_T treated with outcome sum Y_T and N_C = N - N_T
 * control with sum Y_C, plus the origin (0, 0):
 *   Qini curve    Q(N) = Y_T - Y_C N_T / N_C          (Y_C term 0 when N_C = 0)
 *   uplift curve  U(N) = (Y_T / N_T - Y_C / N_C) N    (each ratio 0 when empty)
 * Areas by the trapezoidal rule.  The random baseline is the straight line
 * from the origin to the curve's last point (n, C(n)), area n C(n) / 2.
 * The perfect curves are the same curves of an oracle score:
 *   Qini    y t - y (1 - t): treated responders first, control responders last
 *   uplift  2 [y = t] + s, where s = y when the control responders outnumber
 *           the treated non-responders, else s = t
 * Score = (area(model) - area(random)) / (area(perfect) - area(random)).
 * scikit-uplift accepts only binary y (0/1); so do the callers.
 */

/* The area under a curve for scores score[0..n) (see above). */
double qini_area(const double *y, const unsigned char *t, const double *score, size_t n);
double uplift_area(const double *y, const unsigned char *t, const double *score, size_t n);

/* The normalised scores; NaN when the perfect area equals the random one
 * (e.g. no treated or no control unit). */
double qini_auc_score(const double *y, const unsigned char *t, const double *score, size_t n);
double uplift_auc_score(const double *y, const unsigned char *t, const double *score, size_t n);
/* Both, sorting the scores once. */
void uplift_scores(const double *y, const unsigned char *t, const double *score, size_t n,
		   double *qini, double *auuc);

#endif
