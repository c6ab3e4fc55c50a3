/*
 * bandit-decide's context-free model (mab.h): the random numbers, the
 * Beta-Bernoulli posteriors, p_best by joint Monte Carlo draws, MABWiser's
 * UCB1 and epsilon-greedy, the exploration rule, the CAC cap and the served
 * slates.
 *
 * Random numbers.  xoshiro256** (Blackman and Vigna) seeded through
 * splitmix64.  Normals by a 256-layer ziggurat (Marsaglia and Tsang 2000)
 * drawing the layer, the sign and a 53-bit abscissa from one 64-bit output
 * (the layer and the abscissa use disjoint bits, so they are independent —
 * the defect of the 2000 paper's 32-bit version does not arise), with
 * Marsaglia's exact tail beyond R and the exact wedge test: the draws are
 * exactly normal up to the 53-bit resolution of the abscissa.  The tables
 * below were computed with mpmath at 40 digits (R solves the equal-area
 * construction so that the top layer closes at f(0) = 1) and rounded to the
 * nearest double.  Gammas by Marsaglia and Tsang (2000), their squeeze
 * 1 - 0.0331 x^4 helped by a shape-aware one (gamma_mt) so that the
 * logarithms are rare, and
 * Gamma(a) = Gamma(a + 1) U^(1/a) below shape 1.  Betas as X / (X + Y);
 * when a shape is below 1 the ratio is taken in logarithms, so tiny shapes
 * cannot underflow to 0/0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "cacband.h"
#include "die.h"
#include "mab.h"
#include "xoshiro.h"

/* The ziggurat: x[0] = V / f(R) (the base strip), x[1] = R, x[256] = 0;
 * f(x) = exp(-x^2 / 2), zig_f[i] = f(zig_x[i]).  R = 3.6541528853610087716  V = 0.0049286732339746553474 top residual 1.3316e-39 */
static const double zig_x[257] = {
	3.910757959524916, 3.654152885361009, 3.449278298561431, 3.3202447338398255,
	3.2245750520478014, 3.147889289518001, 3.0835261320021434, 3.0278377917695933,
	2.978603279881843, 2.9343668672088876, 2.894121053613412, 2.8571387308732246,
	2.822877396826443, 2.7909211740019275, 2.760944005279986, 2.7326853590440114,
	2.705933656123062, 2.680514643285745, 2.6562830375767432, 2.6331163936315827,
	2.6109105184888235, 2.5895759867082866, 2.569035452681844, 2.5492215503247833,
	2.530075232159854, 2.5115444416266945, 2.4935830412710467, 2.476149939670523,
	2.459208374334705, 2.442725318200364, 2.4266709849371466, 2.4110184139011195,
	2.3957431197819274, 2.3808227951720857, 2.366237056717291, 2.3519672273791445,
	2.337996148796529, 2.3243080188711325, 2.310888250601372, 2.2977233489028634,
	2.284800802724492, 2.2721089902283818, 2.2596370951737876, 2.247375032947389,
	2.235313384929921, 2.2234433400925107, 2.211756642884161, 2.2002455466112765,
	2.1889027716263607, 2.177721467740293, 2.1666951803543086, 2.1558178198767375,
	2.145083634047889, 2.134487182846017, 2.1240233156895236, 2.113687150686653,
	2.1034740557148774, 2.093379631138792, 2.0833996939983046, 2.073530263518743,
	2.0637675478117323, 2.0541079316506523, 2.0445479652175313, 2.035084353729619,
	2.025713947863854, 2.016433734906204, 2.0072408305605287, 1.9981324713584196,
	1.989106007617438, 1.9801588969004766, 1.9712886979336592, 1.962493064944363,
	1.9537697423846467, 1.9451165600086784, 1.9365314282756947, 1.9280123340526658,
	1.9195573365931882, 1.9111645637712533, 1.9028322085504292, 1.8945585256707047,
	1.8863418285367828, 1.8781804862929958, 1.8700729210712668, 1.8620176053996742,
	1.8540130597602018, 1.8460578502851854, 1.8381505865828067, 1.830289919682757,
	1.8224745400938858, 1.8147031759662826, 1.8069745913508208, 1.7992875845497203,
	1.7916409865521625, 1.7840336595494415, 1.7764644955245228, 1.7689324149112686,
	1.7614363653189102, 1.7539753203176716, 1.7465482782817223, 1.7391542612859117,
	1.7317923140529632, 1.724461502948045, 1.717160915017823, 1.7098896570713018,
	1.7026468547999232, 1.6954316519345616, 1.6882432094371953, 1.681080704725174,
	1.673943330926125, 1.6668302961616654, 1.6597408228581825, 1.652674147083056,
	1.6456295179047824, 1.6386061967755476, 1.6316034569348736, 1.6246205828330347,
	1.6176568695730156, 1.6107116223698301, 1.6037841560260946, 1.5968737944227882,
	1.5899798700241907, 1.5831017233960292, 1.5762387027359064, 1.5693901634151237,
	1.562555467531045, 1.5557339834691764, 1.5489250854741734, 1.5421281532290019,
	1.535342571441514, 1.5285677294377125, 1.521803020760998, 1.5150478427767147,
	1.5083015962813116, 1.5015636851154637, 1.4948335157804935, 1.4881104970574475,
	1.4813940396281873, 1.4746835556978555, 1.4679784586180795, 1.4612781625102755,
	1.4545820818884103, 1.447889631280576, 1.441200224848724, 1.4345132760058923,
	1.427828197030256, 1.421144398675309, 1.4144612897754711, 1.407778276846399,
	1.401094763679251, 1.394410150928141, 1.3877238356899761, 1.3810352110758555,
	1.3743436657731662, 1.367648583597476, 1.360949343033283, 1.354245316762635,
	1.3475358711805872, 1.340820365896404, 1.33409815321936, 1.3273685776279258,
	1.3206309752210563, 1.3138846731502205, 1.3071289890307312, 1.3003632303308372,
	1.2935866937369478, 1.2867986644932436, 1.279998415713818, 1.2731852076653563,
	1.2663582870182295, 1.2595168860637143, 1.2526602218948972, 1.2457874955486272,
	1.2388978911056874, 1.2319905747461362, 1.2250646937565308, 1.2181193754854815,
	1.211153726243699, 1.2041668301443815, 1.1971577478794415, 1.190125515426692,
	1.1830691426826867, 1.175987612015452, 1.168879876730833, 1.1617448594456115,
	1.1545814503599277, 1.147388505420849, 1.1401648443681514, 1.1329092486525338,
	1.1256204592155334, 1.118297174119345, 1.1109380460135758, 1.1035416794246398,
	1.0961066278520215, 1.0886313906539797, 1.0811144097034038, 1.0735540657924363,
	1.0659486747621225, 1.0582964833306752, 1.05059566459093, 1.042844313144149,
	1.035040439833441, 1.0271819660356458, 1.0192667174654841, 1.0112924174399958,
	1.003256679544673, 0.995156999635091, 0.9869907470990624, 0.9787551552942246,
	0.9704473110642244, 0.9620641432230406, 0.953602409881086, 0.9450586844681654,
	0.9364293402865751, 0.9277105334020002, 0.9188981836495906, 0.9099879534967185,
	0.9009752244612218, 0.8918550707329416, 0.8826222295851656, 0.8732710680888608,
	0.8637955455533088, 0.8541891710081638, 0.8444449549091539, 0.8345553540863822,
	0.8245122087522921, 0.8143066701352152, 0.8039291169899713, 0.7933690588406233,
	0.7826150233072331, 0.7716544242245681, 0.7604734064301081, 0.7490566620178153,
	0.7373872114342956, 0.7254461409099996, 0.7132122851909759, 0.7006618411068151,
	0.6877678927957885, 0.6744998228372938, 0.6608225742444197, 0.6466957148949938,
	0.6320722363860611, 0.6168969900077514, 0.6011046177559927, 0.5846167661063794,
	0.5673382570538188, 0.5491517023271651, 0.5299097206615582, 0.5094233296020918,
	0.487443966139236, 0.46363433679088223, 0.4375184022078717, 0.40838913461199117,
	0.37512133287838056, 0.33573751921442524, 0.2861745917920725, 0.2152418959848817,
	0.0
};
static const double zig_f[257] = {
	0.00047746776460938755, 0.0012602859304985975, 0.002609072746102163, 0.0040379725933630305,
	0.005522403299250998, 0.007050875471373227, 0.008616582769398732, 0.010214971439701471,
	0.01184275785790789, 0.01349745060173988, 0.015177088307935327, 0.01688008315254317,
	0.018605121275724647, 0.02035109623004452, 0.022117062707308868, 0.023902203305795882,
	0.025705804008548896, 0.027527235669603085, 0.029365939758133317, 0.03122141719192025,
	0.03309321945857852, 0.034980941461716084, 0.03688421568856729, 0.03880270740452612,
	0.04073611065594093, 0.04268414491647444, 0.04464655225129445, 0.04662309490193037,
	0.04861355321586853, 0.05061772386094777, 0.05263541827679218, 0.05466646132488892,
	0.0567106901062029, 0.058767952920933765, 0.060838108349539864, 0.06292102443775813,
	0.06501657797124286, 0.0671246538277885, 0.06924514439700677, 0.07137794905889037,
	0.07352297371398127, 0.07568013035892708, 0.07784933670209605, 0.08003051581466306,
	0.08222359581320286, 0.08442850957035337, 0.08664519445055796, 0.0888735920682758,
	0.09111364806637363, 0.09336531191269087, 0.09562853671300883, 0.0979032790388623,
	0.10018949876880982, 0.1024871589419351, 0.1047962256224869, 0.10711666777468365,
	0.10944845714681165, 0.111791568163838, 0.11414597782783836, 0.11651166562561081,
	0.11888861344290999, 0.12127680548479022, 0.12367622820159656, 0.12608687022018586,
	0.12850872227999954, 0.13094177717364433, 0.13338602969166913, 0.13584147657125373,
	0.13830811644855073, 0.1407859498144447, 0.14327497897351343, 0.14577520800599406,
	0.14828664273257455, 0.1508092906818457, 0.15334316106026286, 0.15588826472447923,
	0.1584446141559243, 0.1610122234375111, 0.16359110823236572, 0.16618128576448207,
	0.1687827748012115, 0.17139559563750595, 0.17401977008183878, 0.176655321443735,
	0.17930227452284767, 0.18196065559952257, 0.18463049242679927, 0.18731181422380028,
	0.19000465167046499, 0.19270903690358915, 0.19542500351413428, 0.19815258654577514,
	0.2008918224946566, 0.20364274931033488, 0.20640540639788074, 0.20917983462112502,
	0.21196607630703018, 0.2147641752511736, 0.21757417672433116, 0.22039612748015197,
	0.22323007576391746, 0.22607607132238022, 0.22893416541468026, 0.2318044108243386,
	0.23468686187232993, 0.23758157443123798, 0.24048860594050042, 0.24340801542275015,
	0.24633986350126366, 0.24928421241852827, 0.25224112605594196, 0.2552106699546617,
	0.25819291133761896, 0.2611879191327209, 0.2641957639972608, 0.26721651834356114,
	0.27025025636587524, 0.2732970540685769, 0.2763569892956681, 0.2794301417616378,
	0.28251659308370747, 0.2856164268155016, 0.28872972848218276, 0.29185658561709504,
	0.2949970877999617, 0.29815132669668537, 0.30131939610080294, 0.3045013919766498,
	0.30769741250429195, 0.31090755812628634, 0.3141319315963371, 0.3173706380299135,
	0.32062378495690536, 0.3238914823763911, 0.32717384281360135, 0.3304709813791634,
	0.3337830158307183, 0.33711006663700593, 0.3404522570445217, 0.3438097131468506,
	0.34718256395679353, 0.35057094148140594, 0.3539749808000766, 0.3573948201457803,
	0.3608306009896478, 0.3642824681290038, 0.3677505697790323, 0.3712350576682393,
	0.3747360871378909, 0.37825381724561896, 0.38178841087339344, 0.3853400348400771,
	0.3889088600187886, 0.3924950614593154, 0.39609881851583223, 0.39972031498019706,
	0.40335973922111434, 0.4070172843294732, 0.41069314827018805, 0.41438753404089096,
	0.418100649837848, 0.4218327092294958, 0.42558393133802186, 0.4293545410294413,
	0.43314476911265215, 0.4369548525479854, 0.4407850346658038, 0.4446355653957392,
	0.4485067015072028, 0.4523987068618483, 0.45631185267871616, 0.46024641781284253,
	0.464202689048174, 0.46818096140569326, 0.4721815384677298, 0.47620473271950553,
	0.4802508659090465, 0.48432026942668294, 0.48841328470545764, 0.4925302636438682,
	0.4966715690524894, 0.5008375751261485, 0.5050286679434679, 0.5092452459957476,
	0.5134877207473266, 0.5177565172297559, 0.5220520746723215, 0.526374847171684,
	0.5307253044036616, 0.5351039323804572, 0.5395112342569517, 0.5439477311900258,
	0.5484139632552655, 0.552910490425832, 0.5574378936187656, 0.561996775814524,
	0.566587763256164, 0.5712115067352528, 0.5758686829723533, 0.5805599961007905,
	0.5852861792633709, 0.5900479963328256, 0.594846243767987, 0.5996817526191249,
	0.6045553906974674, 0.6094680649257731, 0.6144207238889136, 0.6194143606058341,
	0.6244500155470262, 0.6295287799248364, 0.6346517992876233, 0.6398202774530563,
	0.6450354808208221, 0.6502987431108165, 0.655611470579697, 0.6609751477766629,
	0.6663913439087499, 0.6718617198970818, 0.6773880362187731, 0.6829721616449944,
	0.6886160830046714, 0.6943219161261164, 0.7000919181365113, 0.7059285013327539,
	0.7118342488782481, 0.7178119326307216, 0.7238645334686298, 0.7299952645614758,
	0.7362075981268623, 0.7425052963401507, 0.7488924472191565, 0.7553735065070958,
	0.7619533468367949, 0.7686373157984858, 0.7754313049811867, 0.7823418326548021,
	0.7893761435660241, 0.7965423304229586, 0.8038494831709639, 0.8113078743126559,
	0.818929191603702, 0.826726833946221, 0.8347162929868832, 0.842915653112204,
	0.8513462584586777, 0.8600336211963312, 0.8690086880368567, 0.8783096558089171,
	0.887984660755833, 0.8980959218983431, 0.9087264400521305, 0.9199915050393467,
	0.9320600759592301, 0.9451989534422993, 0.9598790918001063, 0.9771017012676713,
	1.0
};

/* ---- random numbers ---- */

/* The samplers are forced inline into the loops that use them, which work
 * on a local copy of the generator so that its state stays in registers. */
#define HOT static inline __attribute__((always_inline))

void mab_rng_seed(struct mab_rng *r, uint64_t seed)
{
	xoshiro_seed(r->s, seed);
}

HOT uint64_t next64(struct mab_rng *r)
{
	return xoshiro_next(r->s);
}

uint64_t mab_rng_next(struct mab_rng *r)
{
	return next64(r);
}

/* (j + 1/2) / 2^53 for a uniform 53-bit j: strictly inside (0, 1). */
HOT double unif(struct mab_rng *r)
{
	return ((double)(next64(r) >> 11) + 0.5) * 0x1p-53;
}

double mab_uniform(struct mab_rng *r)
{
	return unif(r);
}

/* The base strip's tail beyond R, or a layer's wedge; NaN to start again. */
static __attribute__((noinline)) double normal_slow(struct mab_rng *r, unsigned i, double x)
{
	if (i == 0) {
		const double R = zig_x[1];
		double t, y;

		do {
			t = -log(unif(r)) / R;
			y = -log(unif(r));
		} while (y + y < t * t);
		return R + t;
	}
	if (zig_f[i] + unif(r) * (zig_f[i + 1] - zig_f[i]) < exp(-0.5 * x * x))
		return x;
	return NAN;
}

HOT double normal(struct mab_rng *r)
{
	for (;;) {
		uint64_t u = next64(r);
		unsigned i = (unsigned)(u & 0xff);
		/* bits 10..63 as a signed j in [-2^53, 2^53): x = (j + 1/2) x_i /
		 * 2^53 is uniform on (-x_i, x_i), symmetric, with no branch on
		 * the sign */
		double j = (double)((int64_t)u >> 10) + 0.5;
		double x = j * (zig_x[i] * 0x1p-53);

		if (fabs(x) < zig_x[i + 1])   /* inside the layer's core rectangle: ~99% */
			return x;
		{
			/* the rare paths go out of line on a copy of the state, so
			 * that the caller's copy can live in registers */
			struct mab_rng tmp = *r;
			double y = normal_slow(&tmp, i, fabs(x));
			*r = tmp;
			if (y == y)
				return copysign(y, x);
		}
	}
}

double mab_normal(struct mab_rng *r)
{
	return normal(r);
}

/* Marsaglia and Tsang's constants for one shape (>= 1 after the boost). */
struct gpar {
	double d, c;     /* d = a' - 1/3, c = 1 / sqrt(9 d), a' = a or a + 1 */
	double inv;      /* 1 / a when a < 1 (the U^(1/a) boost), else 0 */
};

HOT void gpar_set(struct gpar *g, double a)
{
	double a1 = a < 1 ? a + 1 : a;

	g->d = a1 - 1.0 / 3;
	g->c = 1 / sqrt(9 * g->d);
	g->inv = a < 1 ? 1 / a : 0;
}

/* Marsaglia and Tsang's full test, when the squeeze fails (~2%). */
static __attribute__((noinline)) int mt_accept(double u, double x2, double d, double v)
{
	return log(u) < 0.5 * x2 + d * (1 - v + log(v));
}

/*
 * Gamma(a') for a' >= 1.  Accept when log u < x^2/2 + d (1 - v + log v),
 * v = (1 + t)^3, t = c x.  Two squeezes accept without a logarithm, each
 * only where that inequality holds, so the draws are exactly Marsaglia and
 * Tsang's (the same numbers, fewer logs):
 *   - theirs: u < 1 - 0.0331 x^4;
 *   - a shape-aware one: with 9 d c^2 = 1 the right side is d phi(t),
 *     phi(t) = 3 (log(1+t) - t + t^2/2 - t^3/3) = -3 int_0^t s^3/(1+s) ds
 *     >= -(3/4) t^4 / m, m = min(1, 1 + t), so it is >= -(c^2/12) x^4 / m;
 *     and log u <= u - 1.  Hence (1 - u) m > (c^2/12) x^4 accepts.  For a
 *     shape of 50 it leaves the logarithms to about 1 draw in 2000 (theirs:
 *     1 in 10).
 */
HOT double gamma_mt(struct mab_rng *r, double d, double c)
{
	for (;;) {
		double x, v, u, x2, x4, m;

		do {
			x = normal(r);
			m = 1 + c * x;
		} while (m <= 0);
		v = m * m * m;
		u = unif(r);
		x2 = x * x;
		x4 = x2 * x2;
		if (u < 1 - 0.0331 * x4)
			return d * v;
		if ((1 - u) * (m < 1 ? m : 1) > c * c * (1.0 / 12) * x4)
			return d * v;
		if (mt_accept(u, x2, d, v))
			return d * v;
	}
}

/* log Gamma(a) draw (any shape): for the small-shape route of the Beta. */
HOT double lgamma_draw(struct mab_rng *r, const struct gpar *g)
{
	double y = log(gamma_mt(r, g->d, g->c));

	return g->inv > 0 ? y + log(unif(r)) * g->inv : y;
}

static __attribute__((noinline)) double beta_small(struct mab_rng *r, const struct gpar *ga,
						      const struct gpar *gb)
{
	double lx = lgamma_draw(r, ga), ly = lgamma_draw(r, gb);

	return 1 / (1 + exp(ly - lx));
}

HOT double beta_draw(struct mab_rng *r, const struct gpar *ga, const struct gpar *gb)
{
	if (ga->inv == 0 && gb->inv == 0) {
		double x = gamma_mt(r, ga->d, ga->c), y = gamma_mt(r, gb->d, gb->c);
		return x / (x + y);
	} else {
		struct mab_rng tmp = *r;
		double z = beta_small(&tmp, ga, gb);
		*r = tmp;
		return z;
	}
}

double mab_gamma(struct mab_rng *r, double shape)
{
	struct gpar g;
	double x;

	gpar_set(&g, shape);
	x = gamma_mt(r, g.d, g.c);
	return g.inv > 0 ? x * pow(unif(r), g.inv) : x;
}

double mab_beta(struct mab_rng *r, double a, double b)
{
	struct gpar ga, gb;

	gpar_set(&ga, a);
	gpar_set(&gb, b);
	return beta_draw(r, &ga, &gb);
}

/* ---- policies ---- */

static const char *const policy_names[] = { "thompson", "ucb1", "epsilon_greedy", "lin_ts", "lin_ucb" };

const char *mab_policy_name(enum mab_policy p)
{
	return (unsigned)p < sizeof policy_names / sizeof *policy_names ? policy_names[p] : "?";
}

int mab_policy_parse(const char *s, enum mab_policy *p)
{
	unsigned i;

	for (i = 0; i < sizeof policy_names / sizeof *policy_names; i++)
		if (strcmp(s, policy_names[i]) == 0) {
			*p = (enum mab_policy)i;
			return 0;
		}
	return -1;
}

void mab_params_default(struct mab_params *p)
{
	p->policy = MAB_THOMPSON;
	p->prior_a = 1;
	p->prior_b = 1;
	p->ucb_alpha = 1;
	p->epsilon = 0.1;
	p->exploration = 0.10;
	p->cac_cap = NAN;
	p->cac_prior_conv = 1;
	p->slate = 1;
	p->draws = 10000;
}

/* ---- top k ---- */

/*
 * The k best entries i < n of v (avail[i] != 0 when avail is given) into
 * pick, best first: larger value first, the lower index on ties.  Small k
 * by insertion into the sorted prefix of pick, larger k by a heap on pick
 * whose root is the worst kept; no other memory.
 */
static inline int worse(const double *v, size_t a, size_t b)
{
	return v[a] < v[b] || (v[a] == v[b] && a > b);
}

static void sift_down(const double *v, size_t *h, size_t m, size_t j)
{
	for (;;) {
		size_t c = 2 * j + 1, t;

		if (c >= m)
			return;
		if (c + 1 < m && worse(v, h[c + 1], h[c]))
			c++;
		if (!worse(v, h[c], h[j]))
			return;
		t = h[c], h[c] = h[j], h[j] = t;
		j = c;
	}
}

static size_t top_k(const double *v, const unsigned char *avail, size_t n, size_t k, size_t *pick)
{
	size_t i, cnt = 0;

	if (k == 0)
		return 0;
	if (k <= 16) {
		for (i = 0; i < n; i++) {
			size_t j;
			double x;

			if (avail && !avail[i])
				continue;
			x = v[i];
			if (cnt == k) {
				if (!(x > v[pick[k - 1]]))
					continue;
				j = k - 1;
			} else {
				j = cnt++;
			}
			while (j > 0 && x > v[pick[j - 1]]) {
				pick[j] = pick[j - 1];
				j--;
			}
			pick[j] = i;
		}
		return cnt;
	}
	for (i = 0; i < n; i++) {
		if (avail && !avail[i])
			continue;
		if (cnt < k) {
			size_t j = cnt++;
			/* sift up: the root is the worst */
			pick[j] = i;
			while (j > 0 && worse(v, pick[j], pick[(j - 1) / 2])) {
				size_t p = (j - 1) / 2, t = pick[p];
				pick[p] = pick[j], pick[j] = t;
				j = p;
			}
		} else if (worse(v, pick[0], i)) {
			pick[0] = i;
			sift_down(v, pick, k, 0);
		}
	}
	/* heap sort: the worst goes to the end */
	for (i = cnt; i > 1; i--) {
		size_t t = pick[0];
		pick[0] = pick[i - 1], pick[i - 1] = t;
		sift_down(v, pick, i - 1, 0);
	}
	return cnt;
}

size_t mab_sample_slate(const double *alpha, const double *beta, const unsigned char *avail,
			size_t n, size_t k, struct mab_rng *rng, double *scratch, size_t *pick)
{
	struct mab_rng st = *rng;
	size_t i;

	for (i = 0; i < n; i++) {
		struct gpar ga, gb;

		if (avail && !avail[i])
			continue;
		gpar_set(&ga, alpha[i]);
		gpar_set(&gb, beta[i]);
		scratch[i] = beta_draw(&st, &ga, &gb);
	}
	*rng = st;
	return top_k(scratch, avail, n, k, pick);
}

void mab_prepare(const double *alpha, const double *beta, size_t n, struct mab_prep *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct gpar ga, gb;
		gpar_set(&ga, alpha[i]);
		gpar_set(&gb, beta[i]);
		out[i].d[0] = ga.d, out[i].c[0] = ga.c, out[i].inv[0] = ga.inv;
		out[i].d[1] = gb.d, out[i].c[1] = gb.c, out[i].inv[1] = gb.inv;
	}
}

size_t mab_sample_prepared(const struct mab_prep *prep, const unsigned char *avail, size_t n,
			   size_t k, struct mab_rng *rng, double *scratch, size_t *pick)
{
	struct mab_rng st = *rng;
	size_t i, best = (size_t)-1;
	double bx = 0, bs = 1;   /* the best draw so far is bx / bs */

	if (k != 1) {
		for (i = 0; i < n; i++) {
			const struct mab_prep *p = &prep[i];
			struct gpar ga = { p->d[0], p->c[0], p->inv[0] }, gb = { p->d[1], p->c[1], p->inv[1] };
			if (avail && !avail[i])
				continue;
			scratch[i] = beta_draw(&st, &ga, &gb);
		}
		*rng = st;
		return top_k(scratch, avail, n, k, pick);
	}
	for (i = 0; i < n; i++) {
		const struct mab_prep *p = &prep[i];
		double x, s;

		if (avail && !avail[i])
			continue;
		if (p->inv[0] == 0 && p->inv[1] == 0) {
			x = gamma_mt(&st, p->d[0], p->c[0]);
			s = x + gamma_mt(&st, p->d[1], p->c[1]);
		} else {
			struct gpar ga = { p->d[0], p->c[0], p->inv[0] }, gb = { p->d[1], p->c[1], p->inv[1] };
			x = beta_draw(&st, &ga, &gb);
			s = 1;
		}
		/* x / s > bx / bs, both denominators positive; ties keep the lower index */
		if (best == (size_t)-1 || x * bs > bx * s) {
			best = i;
			bx = x;
			bs = s;
		}
	}
	*rng = st;
	if (best == (size_t)-1)
		return 0;
	pick[0] = best;
	return 1;
}

/* With eps <= 0 neither scratch nor rng is touched (lin_pick_slate relies
 * on it: it passes its own values as score). */
size_t mab_pick_slate(const double *score, const unsigned char *avail, size_t n, size_t k,
		      double eps, struct mab_rng *rng, double *scratch, size_t *pick)
{
	size_t i;

	if (eps > 0 && unif(rng) < eps) {
		for (i = 0; i < n; i++)
			if (!avail || avail[i])
				scratch[i] = unif(rng);
		return top_k(scratch, avail, n, k, pick);
	}
	return top_k(score, avail, n, k, pick);
}

void mab_explore_cap(double *share, size_t n, size_t leader, double budget)
{
	double e = 0;
	size_t i;

	if (leader >= n) {
		for (i = 0; i < n; i++)
			share[i] = 0;
		return;
	}
	for (i = 0; i < n; i++)
		if (i != leader)
			e += share[i];
	if (e > budget) {
		double f = budget / e;
		for (i = 0; i < n; i++)
			if (i != leader)
				share[i] *= f;
		share[leader] = 1 - budget;
	}
}

/* ---- the posterior's quantiles ---- */

/*
 * GSL's incomplete beta gives up (NaN) near the mean of a Beta with shapes
 * in the millions, where its continued fraction needs too many terms.
 * There the density is a narrow bump, and its integral is taken directly:
 * P(X <= x) = I(lo, x) / I(lo, hi) over mode +- 40 sd, with the density
 * written relative to its mode, (x/m)^(a-1) ((1-x)/(1-m))^(b-1), whose
 * logarithm is small where the mass is (no huge log-gamma terms to cancel).
 */
struct bump { double a, b, m; };

static double bump_pdf(double x, void *v)
{
	const struct bump *q = v;

	if (x <= 0 || x >= 1)
		return 0;
	return exp((q->a - 1) * log1p((x - q->m) / q->m) + (q->b - 1) * log1p((q->m - x) / (1 - q->m)));
}

static double bump_int(struct bump *q, double lo, double hi, gsl_integration_workspace *w)
{
	gsl_function f;
	double r = 0, err;

	if (!(hi > lo))
		return 0;
	f.function = bump_pdf;
	f.params = q;
	gsl_integration_qag(&f, lo, hi, 0, 1e-12, 1000, GSL_INTEG_GAUSS31, w, &r, &err);
	return r;
}

/* P(X <= x) for X ~ Beta(a, b); GSL's error handler must be off. */
static double beta_cdf(double x, double a, double b)
{
	double r = gsl_cdf_beta_P(x, a, b), sd, lo, hi, i1, i2;
	gsl_integration_workspace *w;
	struct bump q;

	if (isfinite(r) || !(a > 1 && b > 1))
		return r;
	q.a = a, q.b = b, q.m = (a - 1) / (a + b - 2);
	sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
	lo = fmax(0, q.m - 40 * sd);
	hi = fmin(1, q.m + 40 * sd);
	if (x <= lo)
		return 0;
	if (x >= hi)
		return 1;
	w = gsl_integration_workspace_alloc(1000);
	if (!w)
		return NAN;
	/* split at the mode, so that each piece is monotone */
	if (x <= q.m) {
		i1 = bump_int(&q, lo, x, w);
		i2 = bump_int(&q, x, q.m, w) + bump_int(&q, q.m, hi, w);
	} else {
		i1 = bump_int(&q, lo, q.m, w) + bump_int(&q, q.m, x, w);
		i2 = bump_int(&q, x, hi, w);
	}
	gsl_integration_workspace_free(w);
	return i1 / (i1 + i2);
}

/* gsl_cdf_beta_Pinv, with GSL's error handler (abort by default) held off,
 * and bisection on the CDF where it fails. */
static double beta_quantile(double p, double a, double b)
{
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	double q = gsl_cdf_beta_Pinv(p, a, b), lo = 0, hi = 1;
	int i;

	if (!(q >= 0 && q <= 1)) {      /* GSL failed: NaN */
		for (i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
			q = (lo + hi) / 2;
			if (beta_cdf(q, a, b) < p)
				lo = q;
			else
				hi = q;
		}
		q = (lo + hi) / 2;
	}
	gsl_set_error_handler(old);
	return q;
}

/* ---- the decision ---- */

void mab_decide(const struct mab_arm *arms, size_t n, const struct mab_params *p,
		struct mab_rng *rng, struct mab_result *out)
{
	double spend = 0, conv = 0, camp_cac, total = 0;
	size_t i, m = 0, leader = (size_t)-1, k, *el, *pick;
	long t, draws = p->draws > 0 ? p->draws : 1;
	struct gpar *ga, *gb;
	struct mab_rng st;
	double *theta;
	long *best, *inslate;

	memset(out, 0, n * sizeof *out);
	for (i = 0; i < n; i++)
		if (isfinite(arms[i].spend) && isfinite(arms[i].conversions)) {
			spend += arms[i].spend;
			conv += arms[i].conversions;
		}
	camp_cac = spend / conv;
	if (!isfinite(camp_cac))
		camp_cac = NAN;

	for (i = 0; i < n; i++) {
		const struct mab_arm *a = &arms[i];
		struct mab_result *r = &out[i];

		r->alpha = p->prior_a + a->successes;
		r->beta = p->prior_b + (a->trials - a->successes);
		r->mean = r->alpha / (r->alpha + r->beta);
		r->ci_low = beta_quantile(0.05, r->alpha, r->beta);
		r->ci_high = beta_quantile(0.95, r->alpha, r->beta);
		r->empirical_mean = a->trials > 0 ? a->successes / a->trials : 0;
		if (isfinite(a->spend) && isfinite(a->conversions) && p->cac_prior_conv + a->conversions > 0) {
			struct cac_band b = cac_band(a->spend, a->conversions, p->cac_prior_conv, camp_cac, 0.90);
			r->cac_mean = b.mean, r->cac_low = b.low, r->cac_high = b.high;
		} else {
			r->cac_mean = r->cac_low = r->cac_high = NAN;
		}
		r->cac_capped = isfinite(p->cac_cap) && r->cac_low > p->cac_cap;
		if (!r->cac_capped) {
			m++;
			total += a->trials;
			if (leader == (size_t)-1 || r->mean > out[leader].mean)
				leader = i;
		}
	}

	/* scores and raw shares */
	{
		double lnN = total > 1 ? log(total) : 0;
		size_t arg = (size_t)-1;

		for (i = 0; i < n; i++) {
			struct mab_result *r = &out[i];
			switch (p->policy) {
			case MAB_UCB1:
				r->score = arms[i].trials > 0 ?
					r->empirical_mean + p->ucb_alpha * sqrt(2 * lnN / arms[i].trials) : 0;
				break;
			case MAB_EPSILON_GREEDY:
				r->score = r->empirical_mean;
				break;
			default:
				r->score = r->mean;
				break;
			}
			if (!r->cac_capped && (arg == (size_t)-1 || r->score > out[arg].score))
				arg = i;
		}
		if (p->policy == MAB_UCB1 && arg != (size_t)-1)
			out[arg].raw_share = 1;
		if (p->policy == MAB_EPSILON_GREEDY && arg != (size_t)-1) {
			for (i = 0; i < n; i++)
				if (!out[i].cac_capped)
					out[i].raw_share = p->epsilon / (double)m;
			out[arg].raw_share += 1 - p->epsilon;
		}
	}

	/* p_best and p_in_slate: joint draws over the eligible arms */
	k = p->slate > 1 ? (size_t)p->slate : 1;
	if (k > m)
		k = m;
	if (m == 1) {
		out[leader].p_best = out[leader].p_in_slate = 1;
	} else if (m > 1) {
		el = xmalloc(m * sizeof *el);
		pick = xmalloc(m * sizeof *pick);
		ga = xmalloc(2 * m * sizeof *ga);
		gb = ga + m;
		theta = xmalloc(m * sizeof *theta);
		best = xcalloc(2 * m, sizeof *best);
		inslate = best + m;
		for (i = 0, t = 0; i < n; i++)
			if (!out[i].cac_capped) {
				el[t] = i;
				gpar_set(&ga[t], out[i].alpha);
				gpar_set(&gb[t], out[i].beta);
				t++;
			}
		st = *rng;
		for (t = 0; t < draws; t++) {
			size_t j, arg = 0;

			for (j = 0; j < m; j++) {
				theta[j] = beta_draw(&st, &ga[j], &gb[j]);
				if (theta[j] > theta[arg])
					arg = j;
			}
			best[arg]++;
			if (k > 1 && k < m) {
				top_k(theta, NULL, m, k, pick);
				for (j = 0; j < k; j++)
					inslate[pick[j]]++;
			}
		}
		*rng = st;
		for (i = 0; i < m; i++) {
			struct mab_result *r = &out[el[i]];
			r->p_best = (double)best[i] / (double)draws;
			r->p_in_slate = k == 1 ? r->p_best : k == m ? 1 : (double)inslate[i] / (double)draws;
		}
		free(el);
		free(pick);
		free(ga);
		free(theta);
		free(best);
	}

	if (m > 0 && p->policy != MAB_UCB1 && p->policy != MAB_EPSILON_GREEDY)
		for (i = 0; i < n; i++)
			out[i].raw_share = out[i].p_in_slate / (double)k;   /* k >= 1 when m >= 1 */

	for (i = 0; i < n; i++)
		out[i].share = out[i].cac_capped ? 0 : out[i].raw_share;
	{
		double *s = xmalloc((n ? n : 1) * sizeof *s);
		for (i = 0; i < n; i++)
			s[i] = out[i].share;
		mab_explore_cap(s, n, leader, p->exploration);
		for (i = 0; i < n; i++) {
			out[i].share = s[i];
			out[i].leader = i == leader;
			out[i].exploration = i != leader && s[i] > 0;
		}
		free(s);
	}
}

/* ---- P(X > Y) for two Betas ---- */

struct pg_params { double a1, b1, a2, b2, lnb1; };

static double pg_integrand(double x, void *v)
{
	const struct pg_params *q = v;

	if (x <= 0 || x >= 1)
		return 0;
	return exp((q->a1 - 1) * log(x) + (q->b1 - 1) * log1p(-x) - q->lnb1) *
	       beta_cdf(x, q->a2, q->b2);
}

static int is_count(double a)
{
	return a >= 1 && a <= 1e5 && a == floor(a);
}

/* Evan Miller's sum for an integer a1, term by term in logarithms. */
static double pg_sum(double a1, double b1, double a2, double b2)
{
	double s = 0, lb = gsl_sf_lnbeta(a2, b2), i;

	for (i = 0; i < a1; i++)
		s += exp(gsl_sf_lnbeta(a2 + i, b1 + b2) - log(b1 + i) - gsl_sf_lnbeta(1 + i, b1) - lb);
	return s;
}

double mab_beta_p_greater(double a1, double b1, double a2, double b2)
{
	gsl_error_handler_t *old;
	gsl_integration_workspace *w;
	struct pg_params q;
	gsl_function f;
	double pts[6], sd, mu, res = NAN, err;
	size_t np = 0, j;

	if (is_count(a1))
		return pg_sum(a1, b1, a2, b2);
	if (is_count(a2))
		return 1 - pg_sum(a2, b2, a1, b1);   /* P(X = Y) = 0 */

	/* break the interval at X's mean and a few standard deviations either
	 * side, so that a narrow posterior cannot hide between the nodes */
	mu = a1 / (a1 + b1);
	sd = sqrt(a1 * b1 / ((a1 + b1) * (a1 + b1) * (a1 + b1 + 1)));
	pts[np++] = 0;
	{
		double c[4] = { mu - 10 * sd, mu - 2 * sd, mu + 2 * sd, mu + 10 * sd };
		for (j = 0; j < 4; j++)
			if (c[j] > pts[np - 1] + 1e-12 && c[j] < 1 - 1e-12)
				pts[np++] = c[j];
	}
	pts[np++] = 1;
	q.a1 = a1, q.b1 = b1, q.a2 = a2, q.b2 = b2;
	q.lnb1 = gsl_sf_lnbeta(a1, b1);
	f.function = pg_integrand;
	f.params = &q;
	old = gsl_set_error_handler_off();
	w = gsl_integration_workspace_alloc(1000);
	if (w) {
		gsl_integration_qagp(&f, pts, np, 1e-13, 1e-11, 1000, w, &res, &err);
		gsl_integration_workspace_free(w);
	}
	gsl_set_error_handler(old);
	return res;
}
