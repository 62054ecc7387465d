"""Time PAWSClassifier.fit with 10 restarts on 50,000 data and 50,000 reference toy events.

The pre-trained ParameterizedClassifier has the paper's architecture (256-128-64, one member); it
is trained briefly, because its quality does not change the cost of a PAWS step, only how many
epochs the restarts need before early stopping. The script prints wall and CPU seconds of every
fit and the median wall time. On a machine shared with other jobs, CPU seconds divided by the
thread count estimate the wall time on dedicated cores.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/bench_paws.py --threads 2 --repeats 3
"""

import argparse
import statistics
import time

import numpy as np
import pandas as pd
import torch

from sklearn_paws._paws import PAWSClassifier
from sklearn_paws._prior import ParameterizedClassifier
from sklearn_paws.datasets._columns import FEATURE_COLUMNS, THETA_COLUMNS
from sklearn_paws.datasets._toy import make_toy_background, make_toy_grid, make_toy_signal


def train_prior(n_noise, seed, max_epochs):
    """Train a ParameterizedClassifier on the toy grid (quick, for timing only)."""
    features = list(FEATURE_COLUMNS) + [f"noise{i}" for i in range(n_noise)]
    signal = make_toy_grid(masses=tuple(range(50, 650, 50)), n_events_per_point=200,
                           n_noise_features=n_noise, random_state=seed)
    background = make_toy_background(len(signal), n_noise_features=n_noise,
                                     random_state=seed + 1)
    events = pd.concat([signal, background], ignore_index=True)
    events[list(THETA_COLUMNS)] = events[list(THETA_COLUMNS)].fillna(0.0)
    prior = ParameterizedClassifier(max_epochs=max_epochs, random_state=seed)
    return prior.fit(events[features + list(THETA_COLUMNS)], events["label"]), features


def make_data(features, n_events, mu, n_noise, seed):
    """Return (data, reference): background plus signal at (300, 300) GeV, and background."""
    reference = make_toy_background(n_events, n_noise_features=n_noise, random_state=seed)
    background = make_toy_background(n_events, n_noise_features=n_noise, random_state=seed + 1)
    n_signal = int(round(mu * n_events / (1.0 - mu)))
    signal = make_toy_signal(300.0, 300.0, n_signal, n_noise_features=n_noise,
                             random_state=seed + 2)
    data = pd.concat([background[features], signal[features]], ignore_index=True)
    return data, reference[features]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits (median printed)")
    parser.add_argument("--events", type=int, default=50_000,
                        help="events in the data and in the reference, each")
    parser.add_argument("--mu", type=float, default=0.01, help="injected signal fraction")
    parser.add_argument("--noise", type=int, default=0, help="noise feature columns")
    parser.add_argument("--prior-epochs", type=int, default=3,
                        help="training epochs of the pre-trained classifier")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    start = time.perf_counter()
    prior, features = train_prior(args.noise, seed=0, max_epochs=args.prior_epochs)
    print(f"prior trained in {time.perf_counter() - start:.1f} s")
    data, reference = make_data(features, args.events, args.mu, args.noise, seed=10)

    times = []
    for repeat in range(args.repeats):
        paws = PAWSClassifier(pretrained=prior, n_init=10, random_state=repeat, verbose=False)
        start = time.perf_counter()
        cpu_start = time.process_time()
        paws.fit(data, reference)
        times.append(time.perf_counter() - start)
        cpu_seconds = time.process_time() - cpu_start
        epochs = paws.restarts_["n_epochs"]
        print(f"fit {repeat}: {times[-1]:.1f} s wall, {cpu_seconds:.1f} s CPU, epochs per restart "
              f"{epochs.min()}-{epochs.max()} (total {epochs.sum()}), m_X={paws.mx_:.0f} "
              f"m_Y={paws.my_:.0f} mu={paws.mu_:.4f}")
    print(f"median fit time: {statistics.median(times):.1f} s over {len(times)} fits "
          f"({args.events} data + {args.events} reference events, 10 restarts, "
          f"{args.threads} threads)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
