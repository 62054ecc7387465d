"""``sklearn-paws demo``: the PAWS study on the embedded default dataset or on a user's LHCO file."""

import dataclasses
import logging
import time
from pathlib import Path

from . import check_output_folder, positive_int, seed

logger = logging.getLogger(__name__)


def register(subparsers):
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run the PAWS study (mu scan, four methods) and write tables, figures and a report",
        description=(
            "Pre-train the parameterized classifiers (cached), scan the injected signal fraction mu at each "
            "mass point, compare fully supervised, PAWS, classical weak supervision and a "
            "HistGradientBoosting ensemble with and without noise features, and write results.csv/json, "
            "PNG figures and report.md. A rerun skips finished cells."
        ),
    )
    parser.add_argument("--profile", choices=("quick", "full"), default="quick",
                        help="quick: about 15 min on 2 cores, small networks; full: the paper's scan, "
                             "which takes longer the more background events there are (see "
                             "docs/benchmarks.md)")
    parser.add_argument("--output", type=Path, default=Path("paws-output"),
                        help="output folder (default: ./paws-output)")
    parser.add_argument("--data", type=Path, default=None,
                        help="LHCO features file with a label column: run on its real events instead of the "
                             "default dataset (priors are still pre-trained on the default dataset)")
    parser.add_argument("--key", default=None,
                        help="with --data: HDF5 key of the table (default: the only table)")
    parser.add_argument("--units", choices=("GeV", "TeV"), default="GeV",
                        help="with --data: units of the momenta and masses in the file (default: GeV)")
    parser.add_argument("--toy", action="store_true",
                        help="use the toy model instead of the default dataset (a few minutes; checks "
                             "the machinery, not physics)")
    parser.add_argument("--n-jobs", type=positive_int, default=1, help="cells run in parallel (default: 1)")
    parser.add_argument("--mu", type=float, nargs="+", default=None, metavar="MU",
                        help="injected signal fractions S/(S+B) in [0, 1) (default: the profile's scan). The "
                             "loss-landscape figures keep the profile's two values")
    parser.add_argument("--mass-point", type=float, nargs=2, action="append", default=None, metavar=("MX", "MY"),
                        help="true (m_X, m_Y) in GeV of the injected signal; repeat for several. The default "
                             "dataset has test signal at (300, 300), (100, 500) and (500, 100) (default: the "
                             "profile's points)")
    parser.add_argument("--realisations", type=positive_int, default=None, metavar="N",
                        help="random realisations of D, R and the injected signal per cell (default: the "
                             "profile's, 1 for quick and 3 for full)")
    parser.add_argument("--seed", type=seed, default=2026, help="seed of every random choice (default: 2026)")
    parser.set_defaults(func=run_demo)


# Minimum number of default-dataset background events for the study. Half pre-trains and a third
# of the rest is tested, so with fewer almost no test event passes eps_B = 1e-3.
MIN_DEFAULT_BACKGROUND = 20_000

# Minimum number of default-dataset background events that pre-train the priors of a run on a
# user's file (--data), where D, R and the test events come from the file.
MIN_PRIOR_BACKGROUND = 5_000


def _default_dataset_shortfall(config, default):
    """Return why the DefaultDataset `default` cannot carry the study, or "" when it can."""
    problems = []
    if len(default.background) < MIN_DEFAULT_BACKGROUND:
        problems.append(f"{len(default.background)} background events (the study needs {MIN_DEFAULT_BACKGROUND})")
    test = default.test_signal
    for mx, my in config.mass_points:
        if not ((test["mx"] == mx) & (test["my"] == my)).any():
            problems.append(f"no test signal at ({mx:g}, {my:g}) GeV")
    if default.grid_signal.empty:
        problems.append("no grid signal")
    if not problems:
        return ""
    return ("The embedded default dataset is incomplete: " + "; ".join(problems) + ". Finish it with "
            "'sklearn-paws simulate default --work-dir DIR' (resumable).")


# Training settings of the supervised and weakly supervised networks on small samples: a user's
# file, whose signal region may hold only thousands of events, or a partial default dataset. With
# the profiles' batches of 1024 and their epoch limits, such a network then takes a few dozen
# optimiser steps and stays far from converged.
SMALL_SAMPLE_TRAINING = {"batch_size": 128, "max_epochs": 200}

# Study background below which the network baselines train with SMALL_SAMPLE_TRAINING. D, R and
# the test events each receive about a third of it.
SMALL_SAMPLE_BACKGROUND = 100_000


def _with_small_sample_training(config):
    """Return `config` with the network baselines trained in small batches until early stopping."""
    return dataclasses.replace(
        config,
        supervised_params={**config.supervised_params, **SMALL_SAMPLE_TRAINING},
        weak_params={**config.weak_params, **SMALL_SAMPLE_TRAINING},
    )


def _prior_shortfall(default):
    """Return why the DefaultDataset `default` cannot pre-train the priors of a --data run.

    Returns ("", note) when it can, where the note says how far it is from its targets.
    """
    from ..datasets._columns import DECAY_MODE_COLUMN, DECAY_MODES

    problems = []
    if len(default.background) < MIN_PRIOR_BACKGROUND:
        problems.append(f"{len(default.background)} background events (pre-training needs {MIN_PRIOR_BACKGROUND})")
    grid = default.grid_signal
    for mode in DECAY_MODES:
        if not (grid[DECAY_MODE_COLUMN] == mode).any():
            problems.append(f"no grid signal of decay mode {mode!r}")
    if problems:
        return ("The embedded default dataset cannot pre-train the priors: " + "; ".join(problems) + ". Extend it "
                "with 'sklearn-paws simulate default --work-dir DIR' (resumable)."), ""
    note = ""
    if not default.is_complete:
        n_points = len(set(zip(grid["mx"], grid["my"])))
        note = (f"The priors were pre-trained on a partial default dataset: {len(default.background)} simulated "
                f"background events (target 300,000) and signal at {n_points} of 144 grid points. A prior trained "
                "on so little background is less accurate than the complete dataset will give.")
    return "", note


def _check_demo_options(args):
    """Raise InputDataError (NotADirectoryError for --output) for option values that would fail only
    after minutes of work."""
    from .._optional import import_optional
    from ..exceptions import InputDataError
    from .simulate import GRID_MASSES

    check_output_folder(args.output)
    bad_mu = [mu for mu in args.mu or () if not 0.0 <= mu < 1.0]
    if bad_mu:
        raise InputDataError(f"--mu {' '.join(f'{mu:g}' for mu in bad_mu)}: signal fractions must lie in [0, 1), "
                             "e.g. --mu 0.001 0.01 for 0.1 % and 1 %.")

    # The priors are trained on the simulated grid only.
    low, high = min(GRID_MASSES), max(GRID_MASSES)
    outside = [(mx, my) for mx, my in args.mass_point or () if not (low <= mx <= high and low <= my <= high)]
    if outside:
        names = ", ".join(f"({mx:g}, {my:g})" for mx, my in outside)
        raise InputDataError(
            f"--mass-point {names}: masses must lie in the simulated grid, {low:g} to {high:g} GeV. Masses are "
            "in GeV, e.g. --mass-point 300 300."
        )

    # The figures come at the end of the study, so a missing plot extra is reported before it starts.
    import_optional("matplotlib")
    import_optional("mplhep")


def _check_test_points(config, default):
    """Raise InputDataError when a requested mass point has no test signal in the default dataset."""
    from ..exceptions import InputDataError

    test = default.test_signal
    available = sorted(set(zip(test["mx"].astype(float), test["my"].astype(float))))
    missing = [point for point in config.mass_points if point not in available]
    if missing:
        names = ", ".join(f"({mx:g}, {my:g})" for mx, my in missing)
        choices = " ".join(f"--mass-point {mx:g} {my:g}" for mx, my in available)
        raise InputDataError(
            f"The default dataset has no test signal at {names} GeV, so no signal can be injected there. "
            f"Choose from {choices}."
        )


def _check_test_background(data, config, path):
    """Raise InputDataError when too few test background events remain for eps_B = 1e-3.

    Checked before pre-training, which takes minutes, instead of at the first SIC.
    """
    from ..exceptions import InputDataError
    from ..study._real import SUPERVISED_BACKGROUND_FRACTION
    from ..study._methods import BACKGROUND_EFFICIENCY

    n_needed = int(round(1.0 / BACKGROUND_EFFICIENCY))
    n_test = len(data.study_background) // config.n_splits
    if n_test < n_needed:
        raise InputDataError(
            f"{path} leaves about {n_test} background events per test fold after the supervised "
            f"and D/R shares, but a SIC at a background efficiency of {BACKGROUND_EFFICIENCY:g} "
            f"needs at least {n_needed}. Use a file with at least "
            f"{int(n_needed * config.n_splits / (1.0 - SUPERVISED_BACKGROUND_FRACTION)) + 1} "
            "signal-region background events."
        )


def run_demo(args):
    """Run the study with the parsed command-line arguments and print where the results are."""
    from ..datasets._default import load_default
    from ..exceptions import InputDataError
    from ..study import PROFILES, run_study, study_data_from_default, study_data_from_toy
    from ..study._landscape import compute_landscapes
    from ..study._real import REAL_MASS_POINT, study_data_from_lhco
    from ..study._report import write_figures, write_report, write_tables
    from ..study._methods import BACKGROUND_EFFICIENCY, LOOSE_BACKGROUND_EFFICIENCY

    if args.toy and args.data is not None:
        raise InputDataError(
            "--toy and --data exclude each other: --data runs on the events of the file with priors "
            "pre-trained on the default dataset, --toy runs on the toy model alone. Drop one of them."
        )

    _check_demo_options(args)
    if args.data is not None and args.mass_point is not None:
        raise InputDataError(
            f"--mass-point does not apply with --data: the signal of the file is injected as the "
            f"({REAL_MASS_POINT[0]:g}, {REAL_MASS_POINT[1]:g}) GeV signal of the LHC Olympics R&D sample. "
            "Drop --mass-point."
        )

    start = time.perf_counter()
    overrides = {"random_state": args.seed}
    notes = []
    if args.mu is not None:
        overrides["mu_values"] = tuple(dict.fromkeys(args.mu))
    if args.mass_point is not None:
        overrides["mass_points"] = tuple(dict.fromkeys((float(mx), float(my)) for mx, my in args.mass_point))
    if args.realisations is not None:
        overrides["n_realisations"] = args.realisations
    if args.data is not None:
        overrides.update(mass_points=(REAL_MASS_POINT,), alpha=0.0)
    config = PROFILES[args.profile](**overrides)
    if args.data is not None:
        config = _with_small_sample_training(config)

    use_toy = args.toy
    default = None if use_toy else load_default()
    if args.data is not None and not use_toy:
        shortfall, note = _prior_shortfall(default)
        if shortfall:
            raise InputDataError(f"{shortfall} The priors for --data are pre-trained on it.")
        if note:
            print(f"NOTE: {note}")
            notes.append(note)
    elif not use_toy:
        if args.mass_point is not None:
            _check_test_points(config, default)
        shortfall = _default_dataset_shortfall(config, default)
        if shortfall:
            print(f"NOTE: {shortfall} Running on the toy model instead; its numbers check the machinery, "
                  "not physics.")
            notes.append(shortfall)
            use_toy = True
    if use_toy:
        data = study_data_from_toy(config.mass_points, random_state=args.seed)
        notes.append("Toy model input: the numbers check the machinery, not physics.")
    elif args.data is not None:
        # The file gives D, R and the test events, so all default background pre-trains.
        data = study_data_from_default((), prior_fraction=1.0, random_state=args.seed, dataset=default)
    else:
        data = study_data_from_default(config.mass_points, max_background=config.max_background,
                                       random_state=args.seed, dataset=default)
        if len(data.study_background) < SMALL_SAMPLE_BACKGROUND:
            config = _with_small_sample_training(config)
    output = args.output
    if args.data is not None:
        data = study_data_from_lhco(args.data, prior_data=data, random_state=args.seed, key=args.key,
                                    units=args.units)
        output = output / f"real-{args.data.stem}"
        notes += data.notes
        _check_test_background(data, config, args.data)
    output.mkdir(parents=True, exist_ok=True)
    print(f"Input: {data.source}; events: {data.summary()}")

    results = run_study(data, config, output, n_jobs=args.n_jobs)
    landscapes = compute_landscapes(data, config, output) if "paws" in config.methods else {}
    summary, table_paths = write_tables(results, output)
    figure_paths = write_figures(results, config, output, landscapes)
    runtime = time.perf_counter() - start
    report = write_report(results, summary, config, output, data_summary=data.summary(), source=data.source,
                          runtime_seconds=runtime, figure_paths=figure_paths, notes=notes,
                          comparison=data.comparison)

    columns = ["mx_true", "my_true", "method", "noise_features", "mu", "sic_median"]
    columns += [name for name in ("sic_loose_median", "mx_fit_median", "my_fit_median", "mu_fit_median", "alpha_fit_median")
                if name in summary]
    print(summary[columns].to_string(index=False, float_format=lambda value: f"{value:.3g}"))
    if len(results):
        n_test = int(results["n_test_background"].min())
        print(f"\nEach SIC rests on about {n_test * BACKGROUND_EFFICIENCY:.0f} of at least {n_test:,} "
              f"test background events passing eps_B = {BACKGROUND_EFFICIENCY:g}; below about 25 it "
              f"is dominated by statistics. sic_loose, at eps_B = {LOOSE_BACKGROUND_EFFICIENCY:g}, rests "
              "on ten times more.")
    print(f"\nTables: {', '.join(str(path) for path in table_paths)}")
    print(f"Figures: {', '.join(str(path) for path in figure_paths)}")
    print(f"Report: {report}")
    print(f"Runtime: {runtime / 60:.1f} min")
    return 0
