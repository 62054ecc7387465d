"""Measure the simulation speed per core: events per CPU second for background and signal.

Runs the simulation in this process (n_jobs=1) and divides by the CPU time of the process, so
the figures are per core even when other programs share the machine. For each sample it prints
the events Pythia tried (background: before the parton-level prefilter), the events generated
(after it), those passing the trigger and those in the signal region, per CPU second, as the
median over the repeats.

Usage::

    python benchmarks/bench_simulate.py --background-events 1000 --signal-events 2000 --repeats 3
"""

import argparse
import statistics
import time

from sklearn_paws.datasets._simulate import _detector_params, _Sample, run_chunks
from sklearn_paws.datasets._simulate import (
    DEFAULT_MHAT_MIN,
    DEFAULT_PREFILTER_MJJ_MIN,
    DEFAULT_PREFILTER_PT_MIN,
    DEFAULT_PTHAT_MIN,
)


def measure(sample, n_events):
    start = time.process_time()
    ((jets, stats),) = run_chunks(sample, [0], [n_events], progress=False)
    cpu = time.process_time() - start
    return {
        "tried/s": stats["n_tried"] / cpu,
        "generated/s": stats["n_generated"] / cpu,
        "trigger/s": stats["n_trigger"] / cpu,
        "signal region/s": stats["n_signal_region"] / cpu,
        "SR fraction of generated": stats["n_signal_region"] / stats["n_generated"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background-events", type=int, default=1000)
    parser.add_argument("--signal-events", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    detector = _detector_params("default")
    samples = {
        "background (default cuts)": (
            _Sample(process="background", pthat_min=DEFAULT_PTHAT_MIN, mhat_min=DEFAULT_MHAT_MIN,
                    prefilter_pt_min=DEFAULT_PREFILTER_PT_MIN,
                    prefilter_mjj_min=DEFAULT_PREFILTER_MJJ_MIN, detector=detector),
            args.background_events,
        ),
        "signal qq (500, 100)": (
            _Sample(process="signal", mx=500.0, my=100.0, decay_mode="qq", detector=detector),
            args.signal_events,
        ),
        "signal qqq (500, 100)": (
            _Sample(process="signal", mx=500.0, my=100.0, decay_mode="qqq", detector=detector),
            args.signal_events,
        ),
    }
    for name, (sample, n_events) in samples.items():
        runs = [measure(_Sample(**{**sample.__dict__, "seed": seed}), n_events)
                for seed in range(args.repeats)]
        print(f"{name}: {n_events} events x {args.repeats} repeats, per CPU second (median)")
        for key in runs[0]:
            print(f"  {key:>26}: {statistics.median(run[key] for run in runs):8.3f}")


if __name__ == "__main__":
    main()
