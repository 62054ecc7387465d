"""Measure the speed and the bias of generator-level cuts for simulated QCD background.

One loose reference run (pTHatMin = 600 GeV, no mHat cut, and only a loose parton-level SlowJet
prefilter: leading jet above 950 GeV, dijet mass above 2.5 TeV) records pTHat, mHat and the
parton-level SlowJet values of every event Pythia tried, vetoed or not. It also records whether
each accepted event lands in the signal region (trigger and 3.3 < m_JJ < 3.7 TeV). Every
candidate set of cuts then selects a subset of the reference run. Its loss is the fraction of
reference signal-region events it removes. Its cost follows from the number of events it would
try and hadronise, with per-event CPU times fitted from a second, unfiltered run.

Usage::

    python benchmarks/study_generator_cuts.py --work-dir /work/simwork/study --target-sr 500

Finished chunks are kept in the work folder, so a rerun adds to them.
"""

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_paws.datasets._simulate import (
    SIGNAL_REGION_MJJ,
    TRIGGER_PT_MIN,
    _detector_params,
    _Sample,
    dijet_mass,
    run_chunks,
)

REFERENCE = dict(pthat_min=600.0, mhat_min=0.0, prefilter_pt_min=950.0, prefilter_mjj_min=2500.0)
PTHAT_MINS = (600, 700, 800, 850, 900, 950, 1000, 1100)
MHAT_MINS = (0, 2000, 2200, 2400, 2600, 2800, 3000)
PREFILTER_PT_MINS = (950, 1000, 1050, 1100, 1150)
PREFILTER_MJJ_MINS = (2500, 2600, 2800, 3000, 3100)


def run_reference(work_dir, target_sr, max_cpu_minutes, chunk_size, seed):
    """Generate reference chunks until `target_sr` signal-region events or the CPU budget."""
    sample = _Sample(process="background", record_prefilter=True,
                     detector=_detector_params("default"), selection="all", seed=seed,
                     **REFERENCE)
    accepted, vetoed, cpu = [], [], 0.0
    index = 0
    while True:
        (jets, stats), = run_chunks(sample, [index], [chunk_size], chunk_dir=work_dir,
                                    progress=False)
        accepted.append(jets)
        vetoed.append(stats["vetoed"])
        cpu += stats["cpu_seconds"]
        table = pd.concat(accepted, ignore_index=True)
        n_sr = int(in_signal_region(table).sum())
        print(f"chunk {index}: tried {stats['n_tried']}, accepted {stats['n_generated']}, "
              f"SR total {n_sr}, CPU total {cpu:.0f} s", flush=True)
        index += 1
        if n_sr >= target_sr or cpu > 60 * max_cpu_minutes:
            break
    return table, np.concatenate(vetoed), cpu, index


def in_signal_region(table):
    mjj = dijet_mass(table)
    return ((table["ptj1"] > TRIGGER_PT_MIN) & (mjj > SIGNAL_REGION_MJJ[0])
            & (mjj < SIGNAL_REGION_MJJ[1])).to_numpy()


def time_unfiltered(work_dir, n_events, seed):
    """CPU seconds per event when every event is hadronised and clustered (no veto)."""
    sample = _Sample(process="background", pthat_min=600.0, record_prefilter=True,
                     detector=_detector_params("default"), selection="all", seed=seed + 1)
    (jets, stats), = run_chunks(sample, [0], [n_events], chunk_dir=work_dir, progress=False)
    return stats["cpu_seconds"] / stats["n_generated"]


def evaluate(table, vetoed, cost_tried, cost_accepted):
    """Return loss and SR rate of every candidate cut, relative to the reference run."""
    sr = in_signal_region(table)
    acc = table[["pthat", "mhat", "prefilter_pt", "prefilter_mjj"]].to_numpy()
    all_tried = np.concatenate([acc, vetoed])
    n_sr = sr.sum()
    rows = []
    for pthat, mhat, pf_pt, pf_mjj in itertools.product(
        PTHAT_MINS, MHAT_MINS, PREFILTER_PT_MINS, PREFILTER_MJJ_MINS
    ):
        window_tried = (all_tried[:, 0] >= pthat) & (all_tried[:, 1] >= mhat)
        window_acc = (acc[:, 0] >= pthat) & (acc[:, 1] >= mhat)
        passed = window_acc & (acc[:, 2] >= pf_pt) & (acc[:, 3] >= pf_mjj)
        kept_sr = (passed & sr).sum()
        cpu = cost_tried * window_tried.sum() + cost_accepted * passed.sum()
        loss = 1 - kept_sr / n_sr
        rows.append(dict(pthat_min=pthat, mhat_min=mhat, prefilter_pt_min=pf_pt,
                         prefilter_mjj_min=pf_mjj, loss=loss,
                         loss_error=np.sqrt(loss * (1 - loss) / n_sr),
                         sr_per_cpu_second=kept_sr / cpu if cpu else np.nan,
                         accepted_fraction=passed.sum() / max(window_tried.sum(), 1)))
    return pd.DataFrame(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/paws-cut-study"))
    parser.add_argument("--target-sr", type=int, default=500,
                        help="signal-region events of the reference run to collect")
    parser.add_argument("--max-cpu-minutes", type=float, default=13.0,
                        help="stop the reference run after this much CPU time")
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()

    start = time.process_time()
    table, vetoed, cpu_ref, n_chunks = run_reference(
        args.work_dir, args.target_sr, args.max_cpu_minutes, args.chunk_size, args.seed
    )
    per_event_full = time_unfiltered(args.work_dir, 300, args.seed)

    # CPU model: cost_tried per event Pythia tries (hard process and shower, hook included),
    # cost_accepted on top for each event that is hadronised, emulated and clustered.
    n_tried = len(table) + len(vetoed)
    n_accepted = len(table)
    cost_tried = (cpu_ref - per_event_full * n_accepted) / (n_tried - n_accepted)
    cost_accepted = per_event_full - cost_tried

    results = evaluate(table, vetoed, cost_tried, cost_accepted)
    sr = in_signal_region(table)
    summary = {
        "reference": REFERENCE,
        "n_chunks": n_chunks,
        "n_tried": int(n_tried),
        "n_accepted": int(n_accepted),
        "n_signal_region": int(sr.sum()),
        "reference_cpu_seconds": cpu_ref,
        "cpu_per_tried_event": cost_tried,
        "cpu_per_accepted_event": cost_accepted,
        "min_prefilter_pt_in_sr": float(table.loc[sr, "prefilter_pt"].min()),
        "min_prefilter_mjj_in_sr": float(table.loc[sr, "prefilter_mjj"].min()),
        "min_pthat_in_sr": float(table.loc[sr, "pthat"].min()),
        "min_mhat_in_sr": float(table.loc[sr, "mhat"].min()),
        "sr_quantiles_pthat": np.quantile(table.loc[sr, "pthat"], [0.01, 0.05, 0.1]).tolist(),
        "sr_quantiles_mhat": np.quantile(table.loc[sr, "mhat"], [0.01, 0.05, 0.1]).tolist(),
        "study_cpu_seconds": time.process_time() - start,
    }
    print(json.dumps(summary, indent=1))
    results.to_csv(args.work_dir / "cut_study.csv", index=False)
    (args.work_dir / "cut_study_summary.json").write_text(json.dumps(summary, indent=1))

    pd.set_option("display.width", 160)
    faithful = results[results["loss"] < 0.05].sort_values("sr_per_cpu_second", ascending=False)
    print("Fastest candidates with a loss below 5 %:")
    print(faithful.head(15).to_string(index=False))
    print("Single cuts (others at the reference):")
    single = results[(results.mhat_min == 0) & (results.prefilter_pt_min == 950)
                     & (results.prefilter_mjj_min == 2500)]
    print(single.to_string(index=False))


if __name__ == "__main__":
    main()
