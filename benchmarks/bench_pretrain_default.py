"""Time the pre-training of both decay modes on the embedded default dataset.

Each decay mode gets a ParameterizedClassifier with the settings of the full study profile: 3
members of 256-128-64, of which the best 2 are kept. It trains on two thirds of the grid signal of
that mode and of the default background, and is calibrated on the remaining third, through
``study._runner.fit_prior`` as in ``sklearn-paws demo`` and ``sklearn-paws pretrain``.

The script prints the wall and CPU time per mode and the event counts. It also prints the SIC of
each prior at the test points: test signal, never trained on, against all default background.
Two thirds of that background trained the prior, so the SIC is optimistic.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/bench_pretrain_default.py --threads 2
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch

from sklearn_paws.datasets import load_default
from sklearn_paws.datasets._columns import DECAY_MODE_COLUMN, DECAY_MODES, FEATURE_COLUMNS
from sklearn_paws.metrics import sic_at_background_efficiency
from sklearn_paws.study import full_profile
from sklearn_paws.study._runner import fit_prior


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--n-jobs", type=int, default=1, help="ensemble members trained in parallel")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    dataset = load_default()
    config = full_profile()
    print(repr(dataset))
    for index, mode in enumerate(DECAY_MODES):
        signal = dataset.grid_signal[dataset.grid_signal[DECAY_MODE_COLUMN] == mode]
        params = {"random_state": index, "n_jobs": args.n_jobs, **config.prior_params}
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        prior = fit_prior(signal, dataset.background, FEATURE_COLUMNS, params, random_state=index)
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
        print(f"{mode}: {len(signal)} grid signal and {len(dataset.background)} background events, "
              f"{wall:.0f} s wall, {cpu:.0f} s CPU", flush=True)

        test = dataset.test_signal[dataset.test_signal[DECAY_MODE_COLUMN] == mode]
        for (mx, my), events in test.groupby(["mx", "my"]):
            pool = pd.concat([events[list(FEATURE_COLUMNS)], dataset.background[list(FEATURE_COLUMNS)]])
            truth = np.r_[np.ones(len(events)), np.zeros(len(dataset.background))]
            score = prior.log_likelihood_ratio(pool.assign(mx=float(mx), my=float(my)))
            sic = sic_at_background_efficiency(truth, score, background_efficiency=1e-2)
            print(f"  SIC at eps_B = 1e-2 at ({mx:.0f}, {my:.0f}) GeV: {sic:.2f}")


if __name__ == "__main__":
    main()
