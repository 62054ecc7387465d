"""``sklearn-paws run`` and ``sklearn-paws pretrain``: PAWS on a user's own LHCO files."""

import json
import logging
import math
import warnings
from pathlib import Path

from .._version import __version__
from ..exceptions import DataQualityWarning, InputDataError
from . import check_output_folder, positive_float, positive_int, seed

logger = logging.getLogger(__name__)

# Decay modes a --prior may name; alpha is the fraction of "qqq".
_DECAY_MODES = ("qq", "qqq")


def add_input_options(parser):
    """Add ``--key``, ``--units`` and the signal-region bounds, which select the input events."""
    parser.add_argument("--mjj-min", type=float, default=3.3, help="signal region lower edge in TeV (default: 3.3)")
    parser.add_argument("--mjj-max", type=float, default=3.7, help="signal region upper edge in TeV (default: 3.7)")
    parser.add_argument("--key", default=None,
                        help="HDF5 key of the table in each input file (default: the only table)")
    parser.add_argument("--units", choices=("GeV", "TeV"), default=None,
                        help="units of the momenta and masses in the input files (default: GeV, "
                             "as in the LHC Olympics files)")


def register(subparsers):
    """Add the ``pretrain`` and ``run`` subcommands."""
    pretrain = subparsers.add_parser(
        "pretrain",
        help="train a ParameterizedClassifier on a PAWS signal file against a background file and save it",
        description=(
            "Train the prior of one decay mode: signal in the PAWS parametric layout (LHCO columns plus mx, my "
            "in GeV) against background in the LHCO features layout, both restricted to the signal region. "
            "With --default-dataset MODE, train on the grid signal of that decay mode and the background of "
            "the embedded default dataset instead. The model is saved with joblib, and how it was trained "
            "(signal region, event counts, seed, version) to a JSON file of the same name plus .json, which "
            "run reads to warn when it selects another signal region."
        ),
    )
    pretrain.add_argument("--signal", type=Path, help="PAWS parametric signal file (HDF5)")
    pretrain.add_argument("--background", type=Path, help="LHCO features file of background")
    pretrain.add_argument("--default-dataset", choices=_DECAY_MODES, metavar="MODE", default=None,
                          help="train on the embedded default dataset's grid signal of this decay mode "
                               "(qq or qqq) and its background, in place of --signal and --background")
    pretrain.add_argument("--output", type=Path, required=True, help="where to save the model (.joblib)")
    pretrain.add_argument("--epochs", type=positive_int, default=100, help="maximum training epochs (default: 100)")
    pretrain.add_argument("--n-models", type=positive_int, default=1, help="ensemble members (default: 1)")
    pretrain.add_argument("--n-jobs", type=positive_int, default=1, help="members trained in parallel (default: 1)")
    pretrain.add_argument("--seed", type=seed, default=0, help="random seed (default: 0)")
    add_input_options(pretrain)
    pretrain.set_defaults(func=run_pretrain)

    run = subparsers.add_parser(
        "run",
        help="fit PAWS on a data file against a reference file with saved priors",
        description=(
            "Fit PAWS on data D against a background-only reference R, both in the LHCO features layout, "
            "restricted to the signal region. Prints and saves the fitted parameters and the per-event "
            "scores; where the data file has truth labels, also the SIC at background efficiency 1e-3."
        ),
    )
    run.add_argument("--data", type=Path, required=True, help="LHCO features file of the data D")
    run.add_argument("--reference", type=Path, required=True, help="LHCO features file of the reference R")
    run.add_argument("--prior", action="append", required=True, metavar="[MODE=]PATH",
                     help="saved ParameterizedClassifier; repeat as qq=PATH and qqq=PATH for two decay modes")
    run.add_argument("--output", type=Path, default=Path("paws-run"), help="output folder (default: ./paws-run)")
    run.add_argument("--n-init", type=positive_int, default=10, help="restarts (default: 10)")
    run.add_argument("--n-keep", type=positive_int, default=5, help="restarts averaged in the scores, at most --n-init (default: 5)")
    run.add_argument("--max-epochs", type=positive_int, default=20,
                     help="maximum epochs of every restart (default: 20)")
    run.add_argument("--learning-rate", type=positive_float, default=0.05,
                     help="Adam step size; masses move by about 100 GeV times it per step (default: 0.05)")
    run.add_argument("--seed", type=seed, default=0, help="random seed (default: 0)")
    add_input_options(run)
    run.set_defaults(func=run_paws)


def _check_region_options(args):
    """Raise InputDataError for signal-region bounds given in GeV or in the wrong order."""
    bounds = (args.mjj_min, args.mjj_max)
    if any(math.isfinite(bound) and bound > 100.0 for bound in bounds):
        low, high = (bound / 1000.0 if math.isfinite(bound) and bound > 100.0 else bound for bound in bounds)
        raise InputDataError(
            f"--mjj-min {args.mjj_min:g} --mjj-max {args.mjj_max:g}: values above 100 look like GeV, "
            f"but the bounds are in TeV, e.g. --mjj-min {low:g} --mjj-max {high:g}."
        )
    if not args.mjj_min < args.mjj_max:
        raise InputDataError(f"--mjj-min {args.mjj_min:g} must be below --mjj-max {args.mjj_max:g}.")


def _read_region(path, args, reader, option):
    """Read the file given to the command-line ``option`` and select its signal-region events."""
    from ..datasets._lhco import select_signal_region

    _check_region_options(args)
    try:
        events = reader(path, key=args.key, units=args.units or "GeV")
    except (FileNotFoundError, IsADirectoryError) as error:
        raise type(error)(f"{option}: {error} Pass the path of an HDF5 file in the LHCO layout.") from error
    except InputDataError as error:
        raise InputDataError(f"{option}: {error}") from error
    try:
        return select_signal_region(events, mjj_min=args.mjj_min, mjj_max=args.mjj_max)
    except InputDataError as error:
        raise InputDataError(f"{path}: {error} From the command line, set the region with --mjj-min and "
                             "--mjj-max in TeV.") from error


def run_pretrain(args):
    """Train, calibrate and save one prior with the parsed command-line arguments."""
    import joblib

    from ..datasets._columns import FEATURE_COLUMNS, LABEL_COLUMN
    from ..datasets._lhco import read_lhco_features, read_paws_signal
    from ..study._runner import CALIBRATION_FRACTION, fit_prior
    from ..study._store import write_atomic

    if args.output.is_dir():
        raise IsADirectoryError(f"--output {args.output} is a folder; pass the path of the model file to "
                                "write, e.g. --output prior_qq.joblib.")

    signal, background = _pretraining_events(args, read_paws_signal, read_lhco_features)
    decay_mode = _check_pretraining_signal(signal, args)
    if LABEL_COLUMN in background:
        n_signal_rows = int((background[LABEL_COLUMN] != 0).sum())
        if n_signal_rows == len(background):
            raise InputDataError(
                f"--background {args.background}: all {n_signal_rows} signal-region events have a nonzero "
                "label, and pretrain keeps only label-0 rows as background. Pass a background file."
            )
        if n_signal_rows:
            logger.warning("Dropped %d events with a nonzero label from the background.", n_signal_rows)
        background = background[background[LABEL_COLUMN] == 0]
    print(f"Pre-training on {len(signal)} signal and {len(background)} background events, "
          f"{CALIBRATION_FRACTION:.0%} of each held out to calibrate the likelihood ratio")
    params = dict(max_epochs=args.epochs, n_models=args.n_models, n_jobs=args.n_jobs, random_state=args.seed,
                  verbose=1)
    model = fit_prior(signal, background, FEATURE_COLUMNS, params, random_state=args.seed)
    write_atomic(args.output, lambda temporary: joblib.dump(model, temporary))

    # The default dataset holds only signal-region events, so a wider requested window trains on
    # 3.3 to 3.7 TeV, and that is what run compares its own window with.
    mjj_min, mjj_max = args.mjj_min, args.mjj_max
    if args.default_dataset:
        from ..datasets._simulate import SIGNAL_REGION_MJJ

        low, high = (bound / 1000.0 for bound in SIGNAL_REGION_MJJ)
        mjj_min, mjj_max = max(mjj_min, low), min(mjj_max, high)
    provenance = {
        "mjj_min_TeV": mjj_min,
        "mjj_max_TeV": mjj_max,
        "signal": "default dataset" if args.default_dataset else str(args.signal.resolve()),
        "background": "default dataset" if args.default_dataset else str(args.background.resolve()),
        "decay_mode": decay_mode,
        "n_signal": len(signal),
        "n_background": len(background),
        "epochs": args.epochs,
        "n_models": args.n_models,
        "seed": args.seed,
        "sklearn_paws_version": __version__,
    }
    provenance_file = provenance_path(args.output)
    write_atomic(provenance_file, lambda temporary: Path(temporary).write_text(json.dumps(provenance, indent=1)))
    print(f"Saved the model to {args.output} and how it was trained to {provenance_file}")
    return 0


def _check_pretraining_signal(signal, args):
    """Return the decay mode of the pre-training signal, or None when the file does not name it.

    Raises InputDataError when the signal file contains background rows or several decay modes,
    because a prior is trained on the signal of one decay mode.
    """
    from ..datasets._columns import DECAY_MODE_COLUMN, LABEL_COLUMN

    if args.default_dataset:
        return args.default_dataset
    n_background = int((signal[LABEL_COLUMN] == 0).sum())
    if n_background:
        raise InputDataError(
            f"--signal {args.signal}: {n_background} of its {len(signal)} signal-region events have label 0. "
            "pretrain treats every event of --signal as signal; remove the background rows or pass them "
            "with --background."
        )
    if DECAY_MODE_COLUMN not in signal:
        return None
    modes = sorted(str(mode) for mode in signal[DECAY_MODE_COLUMN].unique())
    if len(modes) > 1:
        raise InputDataError(
            f"--signal {args.signal} contains the decay modes {modes}, but a prior is trained on one. "
            "Split the file by its decay_mode column and pre-train one prior per mode."
        )
    return modes[0]


def provenance_path(model_path):
    """Return the path of the JSON file that ``pretrain`` writes beside a saved prior."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + ".json")


def _check_prior_provenance(path, mode, args, several):
    """Check the prior at ``path`` against the JSON file that ``pretrain`` wrote beside it.

    Warns when the prior was pre-trained in another m_JJ region than ``run`` selects. With
    ``several`` priors, raises InputDataError when the file records another decay mode than
    ``mode``, because swapped modes turn alpha into 1 - alpha. Priors saved without ``pretrain``
    have no such file and are not checked.
    """
    provenance_file = provenance_path(path)
    if not provenance_file.is_file():
        return
    try:
        provenance = json.loads(provenance_file.read_text())
        region = (float(provenance["mjj_min_TeV"]), float(provenance["mjj_max_TeV"]))
        trained_mode = provenance.get("decay_mode")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        warnings.warn(f"Could not read how --prior {path} was trained from {provenance_file} ({error}), so its "
                      "signal region and decay mode are not checked. Delete or rewrite that file.",
                      DataQualityWarning, stacklevel=2)
        return

    if several and trained_mode is not None and trained_mode != mode:
        raise InputDataError(
            f"--prior {mode}={path} was pre-trained on {trained_mode!r} signal ({provenance_file}). Pass it "
            f"as --prior {trained_mode}={path}."
        )
    if not (math.isclose(region[0], args.mjj_min) and math.isclose(region[1], args.mjj_max)):
        warnings.warn(
            f"--prior {path} was pre-trained in {region[0]:g} < mjj < {region[1]:g} TeV ({provenance_file}), but "
            f"run selects {args.mjj_min:g} < mjj < {args.mjj_max:g} TeV. The jet mass and substructure "
            "distributions change with mjj, so the likelihood ratio may be off. Pre-train in the same "
            "region or pass the same --mjj-min and --mjj-max.",
            DataQualityWarning, stacklevel=2,
        )


def _pretraining_events(args, read_signal, read_background):
    """Return the signal and background of ``pretrain``, from the files or the default dataset."""
    from ..datasets._columns import DECAY_MODE_COLUMN
    from ..datasets._default import load_default
    from ..datasets._lhco import select_signal_region

    if args.default_dataset is None:
        if args.signal is None or args.background is None:
            raise InputDataError("Give both --signal and --background, or --default-dataset qq (or qqq) "
                                 "to train on the embedded default dataset.")
        return (_read_region(args.signal, args, read_signal, "--signal"),
                _read_region(args.background, args, read_background, "--background"))

    if args.signal is not None or args.background is not None:
        raise InputDataError("--default-dataset replaces --signal and --background; give either the files "
                             "or --default-dataset.")
    if args.key is not None or args.units is not None:
        raise InputDataError("--key and --units describe input files, which --default-dataset does not "
                             "read; drop them.")
    _check_region_options(args)
    dataset = load_default()
    signal = dataset.grid_signal[dataset.grid_signal[DECAY_MODE_COLUMN] == args.default_dataset]
    regions = []
    for name, events in (("grid signal", signal), ("background", dataset.background)):
        try:
            regions.append(select_signal_region(events, mjj_min=args.mjj_min, mjj_max=args.mjj_max))
        except InputDataError as error:
            raise InputDataError(f"default dataset, {name}: {error}") from error
    return tuple(regions)


def _load_priors(specifications, args):
    import joblib

    from .._prior import ParameterizedClassifier

    priors, paths = {}, {}
    for specification in specifications:
        mode, separator, path = specification.partition("=")
        if not separator:
            mode, path = "qq", specification
        if mode not in _DECAY_MODES:
            raise InputDataError(f"--prior {specification}: unknown decay mode {mode!r}; use qq=PATH or qqq=PATH.")
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"Prior model file {path} not found; make one with 'sklearn-paws pretrain'.")
        if mode in priors:
            raise InputDataError(f"--prior gives the decay mode {mode!r} twice; give each mode once.")
        try:
            model = joblib.load(path)
        except Exception as error:  # joblib/pickle raise many types on a file that is not a model
            raise InputDataError(
                f"--prior {path} could not be loaded as a saved model ({type(error).__name__}: {error}); "
                "pass a file written by 'sklearn-paws pretrain' or joblib.dump(ParameterizedClassifier)."
            ) from error
        if not isinstance(model, ParameterizedClassifier):
            raise InputDataError(
                f"--prior {path} contains a {type(model).__name__}, not a fitted ParameterizedClassifier; "
                "save one with 'sklearn-paws pretrain'."
            )
        priors[mode] = model
        paths[mode] = path
    for mode, path in paths.items():
        _check_prior_provenance(path, mode, args, several=len(paths) > 1)
    return priors if len(priors) > 1 else next(iter(priors.values()))


def run_paws(args):
    """Fit PAWS on the user's files and print and save the results."""
    import numpy as np
    import pandas as pd

    from .._paws import PAWSClassifier
    from ..datasets._columns import FEATURE_COLUMNS, LABEL_COLUMN
    from ..datasets._lhco import read_lhco_features
    from ..metrics import sic_at_background_efficiency
    from ..study._store import write_atomic

    if args.n_keep > args.n_init:
        raise InputDataError(f"--n-keep {args.n_keep} exceeds --n-init {args.n_init}; keep at most as many "
                             "restarts as are run.")
    check_output_folder(args.output)
    data = _read_region(args.data, args, read_lhco_features, "--data")
    reference = _read_region(args.reference, args, read_lhco_features, "--reference")
    pretrained = _load_priors(args.prior, args)
    columns = list(FEATURE_COLUMNS)
    print(f"Fitting PAWS on {len(data)} data and {len(reference)} reference events")
    model = PAWSClassifier(pretrained=pretrained, n_init=args.n_init, n_keep=args.n_keep,
                           max_epochs=args.max_epochs, learning_rate=args.learning_rate,
                           random_state=args.seed).fit(data[columns], reference[columns])

    results = {
        "mx_GeV": float(model.mx_),
        "my_GeV": float(model.my_),
        "mu": float(model.mu_),
        "mu_cross_entropy": float(model.mu_bce_),
        "alpha": None if np.isnan(model.alpha_) else float(model.alpha_),
        "validation_loss": float(model.validation_loss_),
        "test_statistic": float(model.test_statistic_),
        "significance": float(model.significance_),
        "n_data": len(data),
        "n_reference": len(reference),
    }
    # "event" is the index label of the event in the data file's table, so scores can be joined
    # back to the input after the signal-region selection dropped rows.
    scores = pd.DataFrame({"event": data.index.to_numpy(), "mjj": data["mjj"].to_numpy(),
                           "score": model.predict_proba(data[columns])[:, 1],
                           "log_data_to_reference_ratio": model.decision_function(data[columns])})
    if LABEL_COLUMN in data:
        truth = data[LABEL_COLUMN].to_numpy()
        scores[LABEL_COLUMN] = truth
        if 0 < truth.sum() < len(truth):
            # NOTE: there is no held-out test set here, so the SIC is measured on the data events
            # that the fit has seen. With four fitted parameters the bias is small, but not zero.
            print("SIC from the truth labels of the data file, on the same events that PAWS fitted.")
            try:
                results["sic_at_1e-3"] = float(sic_at_background_efficiency(truth, scores["score"].to_numpy()))
            except InputDataError as error:
                # The fit is still worth saving: only the optional figure of merit is missing.
                print(f"SIC not computed: {error}")

    args.output.mkdir(parents=True, exist_ok=True)
    write_atomic(args.output / "fit.json", lambda temporary: Path(temporary).write_text(json.dumps(results, indent=1)))
    write_atomic(args.output / "scores.csv", lambda temporary: scores.to_csv(temporary, index=False))
    write_atomic(args.output / "restarts.csv", lambda temporary: model.restarts_.to_csv(temporary, index=False))
    for name, value in results.items():
        print(f"{name:>16}: {value}")
    print(f"Saved fit.json, scores.csv and restarts.csv in {args.output}")
    return 0
