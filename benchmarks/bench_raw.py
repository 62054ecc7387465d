"""Measure the conversion of raw LHC Olympics particles into jet features: speed and peak memory.

The input is the official 1,000-event raw sample (``../shared/data/lhco_rnd_raw_tiny.h5``
beside the repository), repeated until it has ``--n-events`` rows and written to a temporary
raw file in the same 'fixed' HDF5 format. Each repeat runs ``convert_raw_to_features`` with
``n_jobs=1`` in a fresh Python process and reports:

- events per second per core: events converted divided by the wall time of the conversion
  (reading, clustering, N-subjettiness, writing chunk files and the output), and divided by
  the CPU time of the process, which is the better figure on a machine shared with other work;
- peak memory: the maximum resident set size of that process (VmHWM), and the same minus the
  resident size after the imports, i.e. what the conversion itself adds.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_raw.py --n-events 4000 --chunksize 500 4000

The figures printed are medians over the repeats.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RAW_TINY = Path(__file__).resolve().parents[2] / "shared" / "data" / "lhco_rnd_raw_tiny.h5"


def _resident_mb():
    """Return the current resident set size of this process in MB (Linux /proc)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def _peak_resident_mb():
    """Return the peak resident set size of this process in MB (VmHWM of Linux /proc).

    ``getrusage().ru_maxrss`` is not used because Linux keeps it across ``execve``, so a worker
    would report the peak of the parent that started it.
    """
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3
    raise RuntimeError("VmHWM not found in /proc/self/status")


def _measure_once(raw_path, chunksize, work):
    """Convert `raw_path` once in this process and return the figures as a dict."""
    from sklearn_paws.datasets._raw import convert_raw_to_features

    # Import fastjet and print its banner before the baseline is taken.
    import fastjet  # noqa: F401

    baseline_mb = _resident_mb()
    output = Path(work) / f"features_{time.monotonic_ns()}.h5"
    start = time.perf_counter()
    cpu_start = time.process_time()
    summary = convert_raw_to_features(
        raw_path, output, chunksize=chunksize, n_jobs=1, progress=False
    )
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    peak_mb = _peak_resident_mb()
    return {
        "events": summary["n_events"],
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": peak_mb,
        "added_mb": peak_mb - baseline_mb,
    }


def _make_input(n_events, folder):
    """Write a raw file of `n_events` rows made by repeating the official sample."""
    if not RAW_TINY.exists():
        sys.exit(f"{RAW_TINY} not found: the benchmark needs the official raw sample.")
    raw = pd.read_hdf(RAW_TINY)
    repeats = -(-n_events // len(raw))
    values = np.tile(raw.to_numpy(), (repeats, 1))[:n_events]
    path = Path(folder) / f"raw_{n_events}.h5"
    pd.DataFrame(values, columns=raw.columns).to_hdf(path, key="df", format="fixed", mode="w")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=4000, help="events in the input file")
    parser.add_argument(
        "--chunksize", type=int, nargs="+", default=[1000], help="events per chunk, one run each"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per chunk size")
    parser.add_argument(
        "--worker", nargs=3, metavar=("RAW", "CHUNKSIZE", "WORK"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    if args.worker:
        raw_path, chunksize, work = args.worker
        print(json.dumps(_measure_once(raw_path, int(chunksize), work)))
        return

    with tempfile.TemporaryDirectory() as work:
        raw_path = _make_input(args.n_events, work)
        print(
            f"input: {args.n_events} events from {RAW_TINY.name}, n_jobs=1, "
            f"{args.repeats} runs each"
        )
        print(
            f"{'chunksize':>9} {'events/s wall':>14} {'events/s CPU':>13} {'CPU ms/event':>13} "
            f"{'peak MB':>8} {'added MB':>9}"
        )
        for chunksize in args.chunksize:
            runs = []
            for _ in range(args.repeats):
                command = [
                    sys.executable, __file__, "--worker", str(raw_path), str(chunksize), work
                ]
                result = subprocess.run(command, capture_output=True, text=True, check=True)
                runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
            wall_rate = statistics.median(run["events"] / run["seconds"] for run in runs)
            cpu_rate = statistics.median(run["events"] / run["cpu_seconds"] for run in runs)
            peak = statistics.median(run["peak_mb"] for run in runs)
            added = statistics.median(run["added_mb"] for run in runs)
            print(
                f"{chunksize:>9} {wall_rate:>14.0f} {cpu_rate:>13.0f} {1e3 / cpu_rate:>13.2f} "
                f"{peak:>8.0f} {added:>9.0f}"
            )


if __name__ == "__main__":
    main()
