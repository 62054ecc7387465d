"""Run the PAWS study: pre-train the priors, then every (mass point, noise, realisation, mu) cell.

Cells run through joblib, so ``joblib.parallel_config(backend="dask")`` (or "ray") moves the scan
to a cluster without changing this code. Finished cells are stored one file each, so a rerun skips
them and an interrupted run resumes.
"""

import logging
import os
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from ..datasets._columns import DECAY_MODES, LABEL_COLUMN, THETA_COLUMNS
from ..exceptions import LowStatisticsWarning
from ._config import StudyConfig, cell_fingerprint
from ._data import add_noise_features, feature_columns
from ._methods import (
    BACKGROUND_EFFICIENCY,
    LOOSE_BACKGROUND_EFFICIENCY,
    fit_method,
    fit_supervised,
    inject_and_split,
)
from ._store import ResultsStore, write_atomic

logger = logging.getLogger(__name__)

# Part of the results folder name. Raise it when a method's outcome changes for the same settings
# and inputs, so that a rerun computes the cells again instead of reusing outdated ones. Version 2:
# PAWS reports the maximum-likelihood mu and keeps restarts within keep_tolerance of the best.
# Version 3: every cell also stores the SIC at the loose background efficiency. Version 4: the
# store is keyed by the settings of one cell, and a supervised cell stores one row for all mu.
RESULTS_VERSION = 4


def _seed(config, *parts):
    """Derive a reproducible seed from the study seed and the identity of a step."""
    text = "/".join(str(part) for part in (config.random_state, *parts))
    return int.from_bytes(joblib.hash(text).encode()[:4], "little") % (2**31 - 1)


# Fraction of the pre-training signal and background that never trains and only calibrates
# kappa(theta).
CALIBRATION_FRACTION = 1 / 3


def fit_prior(signal, background, columns, params, *, random_state):
    """Train a ParameterizedClassifier and calibrate it on held-out signal and background.

    A fraction ``CALIBRATION_FRACTION`` of the signal and of the background is held out, and
    kappa(theta) is refitted on it with the bridge calibration of ParameterizedClassifier, which
    needs more events than the validation split of ``fit`` has.

    Parameters
    ----------
    signal : pandas.DataFrame
        Signal events with the feature columns, ``mx`` and ``my`` in GeV.
    background : pandas.DataFrame
        Background events with the feature columns; their theta is drawn by the classifier.
    columns : list of str
        Feature columns, without theta.
    params : dict
        Parameters of the ParameterizedClassifier.
    random_state : int
        Seed of the choice of calibration events.

    Returns
    -------
    prior : ParameterizedClassifier
        The fitted and calibrated classifier.
    """
    from .._prior import ParameterizedClassifier

    # The classifier draws theta for background events itself; these placeholders are ignored.
    background = background.assign(**{column: 0.0 for column in THETA_COLUMNS})
    rng = check_random_state(random_state)
    held_out, training = [], []
    for label, frame in ((1, signal), (0, background)):
        order = rng.permutation(len(frame))
        n_calibration = int(len(frame) * CALIBRATION_FRACTION)
        frame = frame.assign(**{LABEL_COLUMN: label})
        held_out.append(frame.iloc[order[:n_calibration]])
        training.append(frame.iloc[order[n_calibration:]])
    events = pd.concat(training, ignore_index=True)
    calibration = pd.concat(held_out, ignore_index=True)

    columns = list(columns) + list(THETA_COLUMNS)
    logger.info("Training a prior on %d signal and %d background events, calibrating on %d and "
                "%d more", len(training[0]), len(training[1]), len(held_out[0]), len(held_out[1]))
    with warnings.catch_warnings():
        # fit calibrates kappa on its small validation split and may warn about it, but the
        # calibration below replaces that kappa and warns for itself.
        warnings.simplefilter("ignore", LowStatisticsWarning)
        prior = ParameterizedClassifier(**params).fit(events[columns], events[LABEL_COLUMN].to_numpy())
    prior.calibrate(calibration[columns], calibration[LABEL_COLUMN].to_numpy())
    return prior


def pretrain_priors(data, config, output_dir, *, n_jobs=1):
    """Train, or load from the cache, one ParameterizedClassifier per decay mode and noise setting.

    Parameters
    ----------
    data : StudyData
        Inputs of the study.
    config : StudyConfig
        Settings; ``prior_params`` go to the classifier.
    output_dir : Path
        The cache lives in ``output_dir/models``; a cached model is reused only when the prior
        settings and the inputs are unchanged.
    n_jobs : int, default=1
        Parallel jobs for the ensemble members.

    Returns
    -------
    priors : dict of (str, int) to ParameterizedClassifier
        Keyed by (decay mode, number of noise features).
    """
    model_dir = Path(output_dir) / "models"
    fingerprint = config.fingerprint("prior_params", "random_state") + "c"
    priors = {}
    for n_noise in config.noise_features:
        for mode in DECAY_MODES:
            path = model_dir / f"prior_{mode}_noise{n_noise}_{fingerprint}_{data.fingerprint(prior_only=True)}.joblib"
            if path.exists():
                logger.info("Loading the cached %s prior with %d noise features from %s", mode, n_noise, path)
                priors[(mode, n_noise)] = joblib.load(path)
                continue
            signal = add_noise_features(data.prior_signal[mode], n_noise,
                                        _seed(config, "prior-noise-s", mode, n_noise))
            background = add_noise_features(data.prior_background, n_noise,
                                            _seed(config, "prior-noise-b", mode, n_noise))
            logger.info("Pre-training the %s prior with %d noise features", mode, n_noise)
            start = time.perf_counter()
            params = {"random_state": _seed(config, "prior", mode, n_noise), "n_jobs": n_jobs}
            params.update(config.prior_params)
            prior = fit_prior(signal, background, feature_columns(n_noise), params,
                              random_state=_seed(config, "prior-calibration", mode, n_noise))
            logger.info("Pre-trained the %s prior in %.0f s", mode, time.perf_counter() - start)
            write_atomic(path, lambda temporary, model=prior: joblib.dump(model, temporary))
            priors[(mode, n_noise)] = prior
    return priors


def _cell_key(method, mass_point, n_noise, realisation, mu=None):
    mu_text = "all" if mu is None else f"{mu:.7g}"
    return f"{method}_{mass_point[0]:.0f}_{mass_point[1]:.0f}_noise{n_noise}_r{realisation}_mu{mu_text}"


def _base_row(config, mass_point, n_noise, realisation):
    return {
        "mx_true": mass_point[0],
        "my_true": mass_point[1],
        "alpha_true": config.alpha,
        "noise_features": n_noise,
        "realisation": realisation,
        "background_efficiency": BACKGROUND_EFFICIENCY,
        "loose_background_efficiency": LOOSE_BACKGROUND_EFFICIENCY,
    }


def build_pools(data, config, mass_point, n_noise, realisation):
    """Return the event pool of one (mass point, noise, realisation) and its two parts.

    Returns
    -------
    pool : pandas.DataFrame
        Study background and signal at the mass point, with the noise columns.
    supervised_rows : ndarray of int
        Rows of ``pool`` holding the half of the signal that trains the supervised baseline.
    study_pool : pandas.DataFrame
        ``pool`` without those rows: what the splitter turns into D, R and the test set.
    """
    pool_seed = _seed(config, "pool", mass_point, n_noise, realisation)
    signal = data.study_signal[mass_point]
    pool = pd.concat([data.study_background, signal], ignore_index=True)
    pool = add_noise_features(pool, n_noise, _seed(config, "pool-noise", n_noise, realisation))

    rng = check_random_state(pool_seed)
    signal_rows = np.flatnonzero(pool[LABEL_COLUMN].to_numpy() == 1)
    supervised_rows = rng.choice(signal_rows, size=len(signal_rows) // 2, replace=False)
    study_pool = pool.drop(index=supervised_rows).reset_index(drop=True)
    return pool, supervised_rows, study_pool


def split_seed(config, mass_point, realisation, mu):
    """Return the seed of the splitter of one cell, shared by all methods and noise settings."""
    return _seed(config, "split", mass_point, realisation, mu)


def _run_cell(cell, data, config, priors):
    """Run one cell and return its result rows."""
    method, mass_point, n_noise, realisation, mu = cell
    import torch

    torch.set_num_threads(max(1, int(os.environ.get("SKLEARN_PAWS_THREADS", "1"))))
    pool, supervised_rows, study_pool = build_pools(data, config, mass_point, n_noise, realisation)

    columns = feature_columns(n_noise)
    row = _base_row(config, mass_point, n_noise, realisation)
    start = time.perf_counter()
    if method == "supervised":
        supervised_background = data.supervised_background
        if supervised_background is None:
            supervised_background = data.prior_background
        background = add_noise_features(
            supervised_background, n_noise, _seed(config, "supervised-noise", n_noise, realisation)
        )
        sic_rows = fit_supervised(
            pool.iloc[supervised_rows], background, study_pool, columns, config, mass_point,
            random_state=_seed(config, "supervised", mass_point, n_noise, realisation),
        )
        # One row for every mu: run_study repeats it over the mu values of the scan.
        return [{**row, **sic_rows, "method": method, "mu": None, "fit_seconds": time.perf_counter() - start}]

    split = inject_and_split(
        study_pool, mu, config, random_state=split_seed(config, mass_point, realisation, mu)
    )
    outcome = fit_method(
        method, split, columns, config,
        priors={mode: priors[(mode, n_noise)] for mode in DECAY_MODES} if method == "paws" else None,
        random_state=_seed(config, method, mass_point, n_noise, realisation, mu),
    )
    return [{**row, **split.counts, **outcome, "method": method, "mu": mu,
             "fit_seconds": time.perf_counter() - start}]


def _repeat_supervised(results, mu_values):
    """Return ``results`` with each supervised row repeated at every mu of the scan.

    The supervised classifier is trained without injected signal, so one result serves every mu.
    """
    if results.empty:
        return results
    supervised = results["method"] == "supervised"
    repeated = results[supervised].drop(columns="mu").merge(pd.DataFrame({"mu": list(mu_values)}), how="cross")
    return pd.concat([results[~supervised], repeated[results.columns]], ignore_index=True)


def list_cells(config):
    """Return every cell of the study as (method, mass point, noise, realisation, mu)."""
    cells = []
    for mass_point in config.mass_points:
        mass_point = (float(mass_point[0]), float(mass_point[1]))
        for n_noise in config.noise_features:
            for realisation in range(config.n_realisations):
                for method in config.methods:
                    if method == "supervised":
                        cells.append((method, mass_point, n_noise, realisation, None))
                        continue
                    for mu in config.mu_values:
                        cells.append((method, mass_point, n_noise, realisation, float(mu)))
    return cells


def run_study(data, config, output_dir, *, n_jobs=1):
    """Run every unfinished cell of the study and return the full results table.

    Parameters
    ----------
    data : StudyData
        Inputs.
    config : StudyConfig
        Settings.
    output_dir : str or Path
        Folder for the cached models, the cell results, the tables, figures and report.
    n_jobs : int, default=1
        Cells run in parallel through joblib.

    Returns
    -------
    results : pandas.DataFrame
        One row per (method, mass point, noise, realisation, mu).
    """
    if not isinstance(config, StudyConfig):
        raise TypeError(f"config must be a StudyConfig, got {type(config).__name__}.")
    output_dir = Path(output_dir)
    # Cells do not depend on which other cells run, so the store is keyed by the settings of one
    # cell: a cut-down scan and the full one share their finished cells.
    store = ResultsStore(output_dir / f"results-{cell_fingerprint(config)}-"
                                      f"{data.fingerprint(without_study_signal=True)}-v{RESULTS_VERSION}")
    priors = {}
    if "paws" in config.methods:
        priors = pretrain_priors(data, config, output_dir, n_jobs=n_jobs)

    cells = list_cells(config)
    todo = [cell for cell in cells if not store.has(_cell_key(*cell))]
    logger.info("Study: %d cells, %d already finished, %d to run", len(cells), len(cells) - len(todo), len(todo))

    def run_and_store(cell):
        rows = _run_cell(cell, data, config, priors)
        store.save(_cell_key(*cell), rows)
        return cell

    jobs = (joblib.delayed(run_and_store)(cell) for cell in todo)
    with tqdm(total=len(todo), desc="study cells", unit="cell") as progress:
        for _ in joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
            progress.update()

    results = _repeat_supervised(store.load(_cell_key(*cell) for cell in cells), config.mu_values)
    return results.sort_values(["mx_true", "my_true", "method", "noise_features", "mu", "realisation"],
                               ignore_index=True)
