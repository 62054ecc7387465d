"""Compare the parameterized prior with dedicated supervised classifiers on the default dataset.

The script trains two two-prong ParameterizedClassifier priors (256-128-64, one member) on the
grid signal and 70 % of the default background, one on the six features and one with 10
standard-normal noise columns appended. At each test point it also trains a dedicated
SupervisedClassifier (same network, no theta) on half of the test signal of that point against
the same background. Everything is evaluated on the other half of the test signal against the
remaining 30 % of the background, which no classifier saw.

It prints the SIC at background efficiencies of 1e-3 and 1e-2 of the three classifiers, the ratio
of the prior's SIC to the supervised one, and the relative change of the prior's SIC with noise
columns. The number of held-out background events passing 1e-3 is printed too: the SIC there is
a statistical fluctuation below about 25 of them.

Usage::

    python benchmarks/bench_prior_sic_default.py --threads 2
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _default_split import POINTS, point_signal, split_default

from sklearn_paws import SupervisedClassifier
from sklearn_paws.datasets._columns import FEATURE_COLUMNS
from sklearn_paws.exceptions import LowStatisticsWarning
from sklearn_paws.metrics import sic_at_background_efficiency
from sklearn_paws.study._data import add_noise_features, feature_columns
from sklearn_paws.study._runner import fit_prior

N_NOISE = 10


def sic_pair(truth, score):
    """Return the SIC at background efficiencies of 1e-3 and 1e-2."""
    # The header states how many background events pass 1e-3, so the scorer's warning is silenced.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowStatisticsWarning)
        return tuple(float(sic_at_background_efficiency(truth, score, background_efficiency=efficiency))
                     for efficiency in (1e-3, 1e-2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--max-epochs", type=int, default=40, help="maximum epochs of every network")
    args = parser.parse_args()
    _, grid, training, held_out, test_signal = split_default(
        lambda events, random_state: add_noise_features(events, N_NOISE, random_state=random_state),
        threads=args.threads,
    )

    priors = {}
    for n_noise in (0, N_NOISE):
        start = time.perf_counter()
        params = dict(max_epochs=args.max_epochs, random_state=0)
        priors[n_noise] = fit_prior(grid, training, feature_columns(n_noise), params, random_state=0)
        print(f"prior with {n_noise} noise columns: {time.perf_counter() - start:.0f} s")

    columns = list(FEATURE_COLUMNS)
    print("\n(m_X, m_Y)  | SIC at 1e-3, 1e-2: supervised | prior | prior + noise | prior / supervised "
          "| noise change")
    for mx, my in POINTS:
        point = point_signal(test_signal, mx, my).sample(frac=1.0, random_state=4)
        half = len(point) // 2
        train_signal, evaluation_signal = point.iloc[:half], point.iloc[half:]

        train = pd.concat([train_signal[columns], training[columns]])
        labels = np.r_[np.ones(len(train_signal), dtype=int), np.zeros(len(training), dtype=int)]
        supervised = SupervisedClassifier(max_epochs=args.max_epochs, random_state=0)
        supervised.fit(train, labels)

        evaluation = pd.concat([evaluation_signal, held_out], ignore_index=True)
        truth = np.r_[np.ones(len(evaluation_signal)), np.zeros(len(held_out))]
        theta = {"mx": float(mx), "my": float(my)}
        sic_supervised = sic_pair(truth, supervised.decision_function(evaluation[columns]))
        sic_prior, sic_noise = (
            sic_pair(truth, priors[n_noise].log_likelihood_ratio(
                evaluation[feature_columns(n_noise)].assign(**theta)))
            for n_noise in (0, N_NOISE)
        )
        ratio = [prior / max(dedicated, 1e-12) for prior, dedicated in zip(sic_prior, sic_supervised)]
        change = [noise / max(prior, 1e-12) - 1 for noise, prior in zip(sic_noise, sic_prior)]
        print(f"({mx}, {my}) | {sic_supervised[0]:.1f}, {sic_supervised[1]:.1f} | "
              f"{sic_prior[0]:.1f}, {sic_prior[1]:.1f} | {sic_noise[0]:.1f}, {sic_noise[1]:.1f} | "
              f"{ratio[0]:.2f}, {ratio[1]:.2f} | {change[0]:+.0%}, {change[1]:+.0%}", flush=True)


if __name__ == "__main__":
    main()
