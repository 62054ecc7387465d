"""Estimate the runtime of the full study profile on 2 cores from timed samples of its steps.

The full profile (``sklearn-paws demo --profile full``) pre-trains 4 priors (2 decay modes, with
and without noise features) and runs 372 cells. Running it all takes hours. This script times
the pre-training of one prior, the two-prong one without noise, because the others cost about
the same. It also times a sample of cells of each method. The inputs are toy events of the size
of the complete default dataset: 300,000 background events, 1,200 grid events per point and decay
mode, 20,000 test events per mass point and decay mode. The timed PAWS cells use priors of the
full architecture trained for 2 epochs only, because the cost of a PAWS epoch depends on the
network, not on its training. The script measures CPU seconds of one process with one torch
thread, which equal wall seconds on a dedicated core. It estimates the runtime with
``--n-jobs 2`` as the total CPU time divided by 2.

The toy gives the cost per event of the real inputs, but not the number of epochs that early
stopping takes on them, so the estimate holds to a factor of about 1.5.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_study_full.py --work-dir /tmp/bench-full
"""

import argparse
import dataclasses
import statistics
import time
from collections import defaultdict
from pathlib import Path

import torch

from sklearn_paws.study import full_profile, list_cells, study_data_from_toy
from sklearn_paws.study._data import feature_columns
from sklearn_paws.study._runner import _run_cell, fit_prior, pretrain_priors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, required=True, help="folder of the prior cache")
    parser.add_argument("--cells-per-method", type=int, default=1,
                        help="timed cells per method and noise setting")
    args = parser.parse_args()
    torch.set_num_threads(1)

    config = full_profile()
    data = study_data_from_toy(config.mass_points, n_background=300_000, n_grid_per_point=1200,
                               n_signal_per_mode=20_000, random_state=0)
    print(f"inputs: {data.summary()}")

    start_cpu = time.process_time()
    start_wall = time.perf_counter()
    params = {"random_state": 0, **config.prior_params}
    fit_prior(data.prior_signal["qq"], data.prior_background, feature_columns(0), params,
              random_state=1)
    one_prior = time.process_time() - start_cpu
    prior_cpu = 4 * one_prior
    print(f"pre-training one prior: {one_prior:.0f} s CPU "
          f"({time.perf_counter() - start_wall:.0f} s wall); 4 priors: about {prior_cpu:.0f} s CPU",
          flush=True)

    short = dataclasses.replace(config, prior_params={**config.prior_params, "max_epochs": 2})
    priors = pretrain_priors(data, short, args.work_dir)

    cells = list_cells(config)
    by_method = defaultdict(list)
    for cell in cells:
        by_method[(cell[0], cell[2])].append(cell)

    cpu_per_cell = {}
    for (method, n_noise), group in sorted(by_method.items()):
        # The largest and the smallest mu of the first realisation: the cost of PAWS depends on mu
        # through the number of epochs.
        sample = [group[-1], group[0]][:args.cells_per_method] if len(group) > 1 else group
        seconds = []
        for cell in sample:
            start = time.process_time()
            _run_cell(cell, data, config, priors)
            seconds.append(time.process_time() - start)
            print(f"{method} noise={n_noise} mu={cell[4]}: {seconds[-1]:.0f} s CPU", flush=True)
        cpu_per_cell[(method, n_noise)] = statistics.mean(seconds)

    total = prior_cpu
    for key, group in sorted(by_method.items()):
        share = cpu_per_cell[key] * len(group)
        total += share
        print(f"{key[0]:>10} noise={key[1]:<2}: {len(group):3d} cells x {cpu_per_cell[key]:.0f} s "
              f"= {share / 3600:.2f} CPU hours")
    print(f"full profile: {len(cells)} cells and {len(priors)} priors, {total / 3600:.1f} CPU hours "
          f"in all, about {total / 2 / 3600:.1f} hours with --n-jobs 2 on 2 cores")


if __name__ == "__main__":
    main()
