"""Check the calibrated likelihood ratio of a prior trained on the embedded default dataset.

For each calibration signal fraction r given, the script trains one two-prong
ParameterizedClassifier (256-128-64, one member) on the grid signal and on 70 % of the default
background. It calibrates kappa(theta) with the bridge on a third of those events (``fit_prior``,
as ``sklearn-paws pretrain`` does). r = 1e-3 is the default. A tiny r such as 1e-6 gives the direct
calibration kappa = 1 / mean_b[f / (1 - f)] of the PAWS paper (arXiv:2405.08889).

At each test point it then prints, on the remaining 30 % of the background (never trained or
calibrated on):

- the mean of the calibrated ratio and its standard error. The ratio has a heavy tail on
  background, so the mean of a finite sample tends to fall below its expectation;
- the maximum-likelihood signal fraction, sum_i log(1 - mu + mu L_i) at the true theta, of that
  background alone and with test signal injected at mu = 0.3, 1 and 3 %: median and 16-84 %
  quantiles over 10 injections, as a ratio to the injected mu. This is what the calibration is for.

Usage::

    python benchmarks/bench_calibration_default.py --fractions 1e-3 1e-6
"""

import argparse
import time

import numpy as np
from _default_split import POINTS, point_signal, split_default

from sklearn_paws._paws import _max_likelihood_mu
from sklearn_paws.datasets._columns import FEATURE_COLUMNS
from sklearn_paws.study._runner import fit_prior

INJECTED_MU = (0.003, 0.01, 0.03)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fractions", type=float, nargs="+", default=[1e-3, 1e-6],
                        help="calibration signal fractions r (calibration_signal_fraction) to compare")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--injections", type=int, default=10, help="independent signal draws per injected mu")
    args = parser.parse_args()
    _, signal, training, held_out, test_signal = split_default(threads=args.threads)
    columns = list(FEATURE_COLUMNS)

    rng = np.random.default_rng(1)
    for fraction in args.fractions:
        start = time.perf_counter()
        params = dict(max_epochs=40, random_state=0, calibration_signal_fraction=fraction)
        prior = fit_prior(signal, training, columns, params, random_state=0)
        print(f"\nr = {fraction:g}: trained and calibrated in {time.perf_counter() - start:.0f} s")
        for mx, my in POINTS:
            theta = {"mx": float(mx), "my": float(my)}
            log_ratio = prior.log_likelihood_ratio(held_out[columns].assign(**theta))
            test = point_signal(test_signal, mx, my)
            log_ratio_signal = prior.log_likelihood_ratio(test[columns].assign(**theta))

            ratio = np.exp(log_ratio)
            mean, error = ratio.mean(), ratio.std() / np.sqrt(len(ratio))
            mu_background = _max_likelihood_mu(log_ratio[None])[0]
            cells = []
            for mu in INJECTED_MU:
                n_signal = int(round(mu / (1 - mu) * len(log_ratio)))
                fits = [_max_likelihood_mu(np.r_[log_ratio, rng.choice(log_ratio_signal, n_signal,
                                                                       replace=False)][None])[0]
                        for _ in range(args.injections)]
                low, median, high = np.quantile(np.asarray(fits) / mu, [0.16, 0.5, 0.84])
                cells.append(f"mu {mu:g}: {median:.2f} [{low:.2f}, {high:.2f}]")
            print(f"  ({mx}, {my}): background mean {mean:.3f} +- {error:.3f}, "
                  f"fitted mu on background {mu_background:.2g}; fitted / injected " + ", ".join(cells))


if __name__ == "__main__":
    main()
