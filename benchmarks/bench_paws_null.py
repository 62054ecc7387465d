"""Measure what PAWS reports without signal and the smallest signal fraction it detects.

The fits use the exact likelihood ratio of the toy model (ExactToyPrior), so the figures describe
the weakly supervised fit itself, not the quality of a learnt prior. For each seed, D is toy
background plus an injected two-prong signal at (m_X, m_Y) and R is independent toy background.

The script prints, per injected mu, the test statistic and the fitted mu of every seed (``mu_``,
the maximum-likelihood fraction, and ``mu_bce_``, the cross-entropy fit's value). From the
background-only fits it takes the 95 % quantile of the test statistic as the detection threshold,
and prints the smallest injected mu whose median test statistic exceeds it, next to the range of
fitted mu on background alone.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/bench_paws_null.py --seeds 10 --mu 0.0002 0.0005 0.001 0.003
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch

from sklearn_paws._paws import PAWSClassifier
from sklearn_paws.datasets._columns import FEATURE_COLUMNS
from sklearn_paws.datasets._toy import make_toy_background, make_toy_signal
from sklearn_paws.datasets._toy_prior import ExactToyPrior


def make_data(mass_point, mu, n_events, seed):
    """Return (data, reference): toy background plus a fraction mu of signal, and background."""
    rng = np.random.default_rng(seed)
    features = list(FEATURE_COLUMNS)
    reference = make_toy_background(n_events, random_state=int(rng.integers(2**31)))[features]
    background = make_toy_background(n_events, random_state=int(rng.integers(2**31)))[features]
    n_signal = int(round(mu * n_events / (1.0 - mu)))
    signal = make_toy_signal(*mass_point, n_signal, random_state=int(rng.integers(2**31)))
    data = pd.concat([background, signal[features]], ignore_index=True)
    return data, reference


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="background-only fits")
    parser.add_argument("--signal-seeds", type=int, default=3, help="fits per injected mu")
    parser.add_argument("--mu", type=float, nargs="+", default=[0.0002, 0.0005, 0.001, 0.003],
                        help="injected signal fractions")
    parser.add_argument("--events", type=int, default=50_000,
                        help="background events in D and in R, each")
    parser.add_argument("--mass-point", type=float, nargs=2, default=(300.0, 300.0),
                        help="(m_X, m_Y) of the injected signal in GeV")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    prior = ExactToyPrior().fit()

    rows = []
    plan = [(0.0, seed) for seed in range(args.seeds)]
    plan += [(mu, 1000 + seed) for mu in args.mu for seed in range(args.signal_seeds)]
    for mu, seed in plan:
        data, reference = make_data(args.mass_point, mu, args.events, seed)
        paws = PAWSClassifier(pretrained=prior, random_state=seed, verbose=False)
        start = time.perf_counter()
        paws.fit(data, reference)
        rows.append(dict(mu=mu, seed=seed, test_statistic=paws.test_statistic_, mu_fit=paws.mu_,
                         mu_bce=paws.mu_bce_, mx_fit=paws.mx_, my_fit=paws.my_,
                         seconds=time.perf_counter() - start))
        print(f"mu={mu:.4g} seed={seed}: test statistic {paws.test_statistic_:.2f}, fitted mu "
              f"{paws.mu_:.3g} (cross-entropy {paws.mu_bce_:.3g}), masses ({paws.mx_:.0f}, "
              f"{paws.my_:.0f}) GeV, "
              f"{rows[-1]['seconds']:.0f} s", flush=True)

    table = pd.DataFrame(rows)
    null = table[table["mu"] == 0.0]
    threshold = float(np.quantile(null["test_statistic"], 0.95))
    print(f"\nbackground only ({len(null)} fits): test statistic median "
          f"{null['test_statistic'].median():.2f}, 95 % quantile {threshold:.2f}; fitted mu "
          f"median {null['mu_fit'].median():.3g}, range {null['mu_fit'].min():.3g} to "
          f"{null['mu_fit'].max():.3g}; cross-entropy mu median {null['mu_bce'].median():.3g}, range "
          f"{null['mu_bce'].min():.3g} to {null['mu_bce'].max():.3g}")
    columns = ["test_statistic", "mu_fit", "mu_bce"]
    summary = table[table["mu"] > 0].groupby("mu")[columns].median()
    print(summary.to_string(float_format=lambda value: f"{value:.4g}"))
    detected = summary.index[summary["test_statistic"] > threshold]
    smallest = f"{detected.min():.4g}" if len(detected) else "none of the injected values"
    print(f"smallest injected mu with median test statistic above {threshold:.2f}: {smallest}")


if __name__ == "__main__":
    main()
