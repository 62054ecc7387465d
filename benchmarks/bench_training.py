"""Measure the training throughput and peak memory of the skorch training path.

Throughput: events per second of ``sklearn_paws._network.train_network`` (skorch, whole
mini-batches per item, background theta redrawn per batch) against a plain torch loop that trains
the same MLP on the same tensors with the same batch size, optimizer and per-epoch validation pass.

Frozen module: seconds per PAWS-style pass (10 theta rows, 100k events, forward and backward to
theta) with the theta-independent first layer prepared once, against the whole network per row.

Memory: peak resident memory added by ``ParameterizedClassifier.fit`` on float32 arrays, as a
multiple of the size of those arrays (X and y), measured in a fresh subprocess.

Run on a quiet machine, e.g.::

    python benchmarks/bench_training.py --threads 2 --events 200000 --epochs 3 --repeats 3
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

from sklearn_paws._network import MLP, train_network

N_FEATURES = 6
N_THETA = 2
HIDDEN = (256, 128, 64)
BATCH_SIZE = 1024


def make_data(n_events, seed=0):
    """Return standardised float32 inputs (features then theta) and 0/1 labels."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_events, N_FEATURES + N_THETA), dtype=np.float32)
    y = (rng.random(n_events) < 0.3).astype(np.float32)
    return X, y


def time_plain_loop(X_train, y_train, X_valid, y_valid, epochs):
    """Train with a bare torch loop and return the training events per second."""
    torch.manual_seed(0)
    module = MLP(X_train.shape[1], HIDDEN)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    loss_function = torch.nn.BCEWithLogitsLoss()
    X_train, y_train = torch.from_numpy(X_train), torch.from_numpy(y_train)
    X_valid, y_valid = torch.from_numpy(X_valid), torch.from_numpy(y_valid)
    generator = torch.Generator().manual_seed(0)

    start = time.perf_counter()
    for _ in range(epochs):
        module.train()
        order = torch.randperm(len(y_train), generator=generator)
        for first in range(0, len(order), BATCH_SIZE):
            batch = order[first:first + BATCH_SIZE]
            optimizer.zero_grad()
            loss = loss_function(module(X_train.index_select(0, batch)),
                                 y_train.index_select(0, batch))
            loss.backward()
            optimizer.step()
        module.eval()
        with torch.no_grad():
            for first in range(0, len(y_valid), BATCH_SIZE):
                loss_function(module(X_valid[first:first + BATCH_SIZE]),
                              y_valid[first:first + BATCH_SIZE]).item()
    return epochs * len(y_train) / (time.perf_counter() - start)


def time_skorch(X_train, y_train, X_valid, y_valid, epochs, redraw_theta):
    """Train with ``train_network`` and return the training events per second."""
    config = {
        "hidden_layer_sizes": HIDDEN, "activation": "relu", "learning_rate": 1e-3,
        "batch_size": BATCH_SIZE, "max_epochs": epochs, "early_stopping_patience": epochs + 1,
        "lr_decay_factor": 0.5, "lr_decay_patience": epochs + 1, "min_learning_rate": 1e-6,
        "device": "cpu",
    }
    theta_slice = theta_pool = None
    if redraw_theta:
        theta_slice = slice(N_FEATURES, N_FEATURES + N_THETA)
        theta_pool = np.ascontiguousarray(X_train[y_train == 1, theta_slice])
    start = time.perf_counter()
    train_network(X_train, y_train, X_valid, y_valid, config=config, seed=0,
                  theta_slice=theta_slice, theta_pool=theta_pool)
    return epochs * len(y_train) / (time.perf_counter() - start)


def time_frozen_module(n_events, n_restarts=10, batch_size=BATCH_SIZE):
    """Time one PAWS-style pass of the frozen module: forward and backward to theta.

    Returns the seconds per pass over ``n_events`` events for ``n_restarts`` theta rows with the
    first layer prepared once, and the same with the whole network evaluated per theta row.
    """
    from sklearn_paws._prior import ParameterizedClassifier

    X, y = make_data(20000, seed=2)
    clf = ParameterizedClassifier(max_epochs=1, random_state=0, kappa_grid_size=4,
                                  calibration_size=1000).fit(X, y)
    module = clf.frozen_log_likelihood_ratio()
    features = torch.from_numpy(make_data(n_events, seed=3)[0][:, :N_FEATURES])
    theta = torch.zeros((n_restarts, N_THETA), requires_grad=True)
    prepared = module.prepare(features)

    start = time.perf_counter()
    for first in range(0, n_events, batch_size):
        module(prepared[first:first + batch_size], theta).mean().backward()
    prepared_seconds = time.perf_counter() - start

    network = module.members[0]
    start = time.perf_counter()
    for first in range(0, n_events, batch_size):
        batch = (features[first:first + batch_size] - module.feature_mean) / module.feature_scale
        standardised_theta = (theta - module.theta_mean) / module.theta_scale
        inputs = torch.cat([batch.unsqueeze(0).expand(n_restarts, -1, -1),
                            standardised_theta.unsqueeze(1).expand(-1, len(batch), -1)], dim=2)
        (network(inputs) + module.log_kappa(theta).unsqueeze(1)).mean().backward()
    full_seconds = time.perf_counter() - start
    return prepared_seconds, full_seconds


def measure_memory(n_events, threads):
    """Fit a ParameterizedClassifier in this process and print its peak memory as JSON."""
    from sklearn_paws._prior import ParameterizedClassifier

    torch.set_num_threads(threads)
    # Load every library first, so that the measured increase is the fit's data.
    X_small, y_small = make_data(2000, seed=1)
    ParameterizedClassifier(max_epochs=1, random_state=0, kappa_grid_size=2,
                            calibration_size=100).fit(X_small, y_small)

    X, y = make_data(n_events)
    array_bytes = X.nbytes + y.nbytes
    with open("/proc/self/status") as status:
        rss_kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    before = rss_kib * 1024
    ParameterizedClassifier(max_epochs=1, random_state=0, kappa_grid_size=12,
                            calibration_size=20000).fit(X, y)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"array_bytes": array_bytes, "peak_increase_bytes": peak - before}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200000, help="rows of the data set")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--memory-events", type=int, default=2000000,
                        help="rows of the data set of the memory measurement")
    parser.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_only:
        measure_memory(args.events, args.threads)
        return

    torch.set_num_threads(args.threads)
    X, y = make_data(args.events)
    n_valid = args.events // 5
    X_train, y_train, X_valid, y_valid = X[n_valid:], y[n_valid:], X[:n_valid], y[:n_valid]

    # One untimed run of each, so that imports and first-call costs are not timed.
    time_plain_loop(X_train[:5000], y_train[:5000], X_valid[:1000], y_valid[:1000], 1)
    time_skorch(X_train[:5000], y_train[:5000], X_valid[:1000], y_valid[:1000], 1, True)

    rates = {"plain torch loop": [], "skorch": [], "skorch, theta redrawn": []}
    for _ in range(args.repeats):
        rates["plain torch loop"].append(
            time_plain_loop(X_train, y_train, X_valid, y_valid, args.epochs))
        rates["skorch"].append(
            time_skorch(X_train, y_train, X_valid, y_valid, args.epochs, False))
        rates["skorch, theta redrawn"].append(
            time_skorch(X_train, y_train, X_valid, y_valid, args.epochs, True))

    print(f"training throughput, {len(y_train)} training events, batch {BATCH_SIZE}, "
          f"MLP {HIDDEN}, {args.threads} thread(s), median of {args.repeats} runs:")
    reference = statistics.median(rates["plain torch loop"])
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"  {name:24s} {median:10.0f} events/s  ({median / reference:6.1%} of plain)")

    prepared_seconds, full_seconds = time_frozen_module(100000)
    print(f"frozen module, 10 theta rows x 100000 events in batches of {BATCH_SIZE}, forward and "
          f"backward: {prepared_seconds:.2f} s with prepare(), {full_seconds:.2f} s evaluating the "
          f"whole network per theta row")

    result = subprocess.run(
        [sys.executable, __file__, "--memory-only", "--events", str(args.memory_events),
         "--threads", str(args.threads)],
        check=True, capture_output=True, text=True,
    )
    memory = json.loads(result.stdout.strip().splitlines()[-1])
    ratio = memory["peak_increase_bytes"] / memory["array_bytes"]
    print(f"peak memory added by ParameterizedClassifier.fit: "
          f"{memory['peak_increase_bytes'] / 2**20:.1f} MiB = {ratio:.2f} x the training arrays "
          f"({memory['array_bytes'] / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
