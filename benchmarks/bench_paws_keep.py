"""Compare two ways of combining PAWS restarts: the paper's best 5, and those near the best one.

The script runs the PAWS cells of the full study profile on the embedded default dataset at the
signal fractions mu >= 1.5 % (both mass points, three realisations, no noise features). Each fit
keeps its 5 best restarts (``keep_tolerance=None``, the paper's choice), and the same fit is scored
a second time with only the restarts within 4 units of the test statistic of the best one (the
default of ``PAWSClassifier``). It prints the SIC at a background efficiency of 1e-3 of both, per
cell and on average.

Priors are pre-trained as in ``sklearn-paws demo --profile full`` and cached in the work folder;
copying the ``models`` folder of an earlier full run there saves that time.

Usage::

    python benchmarks/bench_paws_keep.py --work-dir DIR
"""

import argparse
import copy

import numpy as np

from sklearn_paws.datasets._default import load_default
from sklearn_paws.study import _methods, _runner, full_profile, run_study, study_data_from_default

TOLERANCE = 4.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True, help="folder for the cached priors and cells")
    parser.add_argument("--min-mu", type=float, default=0.015, help="smallest signal fraction")
    args = parser.parse_args()

    rows = []

    def fit_both_ways(method, split, columns, config, *, priors=None, random_state=0):
        from sklearn_paws._paws import PAWSClassifier

        params = {"random_state": random_state, **config.paws_params, "keep_tolerance": None}
        model = PAWSClassifier(pretrained=priors, **params).fit(split.X_train[columns], split.y_train)
        X_test = split.X_test[columns]
        sic_all = _methods._sic(split.truth_test, _methods._ranking_score(model, X_test))

        kept = model.restarts_[model.restarts_["kept"]]
        near_best = (kept["statistic_gap"] <= TOLERANCE).to_numpy()
        pruned = copy.copy(model)
        pruned.kept_params_ = model.kept_params_[near_best]
        sic_near = _methods._sic(split.truth_test, _methods._ranking_score(pruned, X_test))

        rows.append((sic_all, sic_near))
        print(f"SIC with the best 5: {sic_all:.2f}; with the {int(near_best.sum())} within "
              f"{TOLERANCE:g} of the best: {sic_near:.2f}", flush=True)
        return dict(mx_fit=model.mx_, my_fit=model.my_, mu_fit=model.mu_, alpha_fit=model.alpha_,
                    sic=sic_near)

    # The study calls fit_method for every weakly supervised cell; one process keeps the patch.
    _runner.fit_method = fit_both_ways

    mu_values = tuple(mu for mu in full_profile().mu_values if mu >= args.min_mu)
    config = full_profile(mu_values=mu_values, noise_features=(0,), methods=("paws",))
    data = study_data_from_default(config.mass_points, random_state=config.random_state,
                                   dataset=load_default())
    run_study(data, config, args.work_dir, n_jobs=1)

    if not rows:
        print(f"Every cell was already stored in {args.work_dir}; give a folder without results-* "
              "folders (a models folder may stay).")
        return
    sic = np.array(rows)
    better = int(np.sum(sic[:, 1] > sic[:, 0] + 0.5))
    worse = int(np.sum(sic[:, 1] < sic[:, 0] - 0.5))
    print(f"\n{len(sic)} cells: mean SIC {sic[:, 0].mean():.2f} with the best 5, "
          f"{sic[:, 1].mean():.2f} near the best; {better} better and {worse} worse by more than 0.5")


if __name__ == "__main__":
    main()
