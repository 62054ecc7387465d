"""The four methods of the study, each fitted on one fold of the weak-supervision splitter."""

import dataclasses
import logging
import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier

from ..datasets._columns import DECAY_MODE_COLUMN, DECAY_MODES, LABEL_COLUMN
from ..exceptions import LowStatisticsWarning
from ..metrics import sic_at_background_efficiency

logger = logging.getLogger(__name__)

# Background efficiency of the study's figure of merit. The report adds the SIC at the looser
# efficiency too, because it rests on ten times more test background events.
BACKGROUND_EFFICIENCY = 1e-3
LOOSE_BACKGROUND_EFFICIENCY = 1e-2


@dataclasses.dataclass
class FoldSplit:
    """One training fold and its test rows, with the injected counts."""

    X_train: object
    y_train: np.ndarray
    X_test: object
    truth_test: np.ndarray
    counts: dict


def inject_and_split(pool, mu, config, *, random_state):
    """Build D, R and the test set of the first fold of a WeakSupervisionSplitter.

    Parameters
    ----------
    pool : pandas.DataFrame
        Background and signal events (``label``, ``decay_mode``).
    mu : float
        Signal fraction S/(S+B) in the training part of D.
    config : StudyConfig
        Settings (alpha, n_splits).
    random_state : int
        Seed of the split.

    Returns
    -------
    split : FoldSplit
    """
    from ..model_selection import WeakSupervisionSplitter

    splitter = WeakSupervisionSplitter(
        mu=mu, alpha=config.alpha, n_splits=config.n_splits, random_state=random_state
    )
    y, groups = splitter.make_labels(pool)
    train, test = next(splitter.split(pool, y, groups))
    table = splitter.injection_table(y, groups).iloc[0]
    counts = {
        "n_signal_injected": int(table["n_injected"]),
        "n_background_data": int(table["n_data_background_train"]),
        "n_reference": int(table["n_reference_train"]),
        "s_over_b": float(table["mu_s_over_b"]),
        "n_test_background": int(table["n_test_background"]),
        "n_test_signal": int(table["n_test_signal"]),
    }
    return FoldSplit(pool.iloc[train], y[train], pool.iloc[test], (y[test] == 2).astype(int), counts)


def _sic(truth, score):
    """Return ``sic`` and ``sic_loose``, the SIC at the study's and at the loose background efficiency."""
    # The study records the number of passing background events next to every SIC and the report
    # states the caveat once, so the per-cell low-statistics warning is silenced here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowStatisticsWarning)
        return {name: float(sic_at_background_efficiency(truth, score, background_efficiency=efficiency))
                for name, efficiency in (("sic", BACKGROUND_EFFICIENCY),
                                         ("sic_loose", LOOSE_BACKGROUND_EFFICIENCY))}


def _ranking_score(model, X):
    """Return the score that ranks events for the SIC: the log odds where the model has them.

    Probabilities of well separated events round to exactly 1, and the ties among them would
    flatten the ROC curve at small background efficiencies.
    """
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=np.float64)
    probability = np.clip(np.asarray(model.predict_proba(X)[:, 1], dtype=np.float64), 1e-300, 1.0)
    return np.log(probability) - np.log1p(-np.minimum(probability, 1.0 - 1e-16))


def make_hgb_ensemble(n_models=5, random_state=0, **params):
    """Return a soft-voting ensemble of HistGradientBoostingClassifier with different seeds.

    Each member stops early on its own random validation part, so the members differ.
    """
    members = [
        (f"hgb{index}", HistGradientBoostingClassifier(
            early_stopping=True, validation_fraction=0.2, random_state=random_state + index, **params
        ))
        for index in range(n_models)
    ]
    return VotingClassifier(members, voting="soft")


def fit_method(method, split, columns, config, *, priors=None, random_state=0):
    """Fit one weakly supervised method on a fold and evaluate it on the fold's test rows.

    Returns
    -------
    outcome : dict
        ``sic``, ``sic_loose`` and, for PAWS, the fitted ``mx_fit``, ``my_fit``, ``mu_fit``, ``alpha_fit``.
    """
    X_train = split.X_train[columns]
    X_test = split.X_test[columns]
    outcome = {}
    if method == "paws":
        from .._paws import PAWSClassifier

        params = {"random_state": random_state}
        params.update(config.paws_params)
        model = PAWSClassifier(pretrained=priors, **params).fit(X_train, split.y_train)
        outcome.update(mx_fit=float(model.mx_), my_fit=float(model.my_), mu_fit=float(model.mu_),
                       alpha_fit=float(model.alpha_))
    elif method == "weak":
        from .._baselines import WeakSupervisionClassifier

        params = {"random_state": random_state}
        params.update(config.weak_params)
        model = WeakSupervisionClassifier(**params).fit(X_train, split.y_train)
    elif method == "hgb":
        params = dict(config.hgb_params)
        model = make_hgb_ensemble(random_state=random_state, **params).fit(X_train, split.y_train)
    else:
        raise ValueError(f"Unknown weakly supervised method {method!r}.")
    outcome.update(_sic(split.truth_test, _ranking_score(model, X_test)))
    return outcome


def fit_supervised(signal, background, study_pool, columns, config, mass_point, *, random_state):
    """Train the fully supervised baseline at the true mass point and evaluate it.

    The training signal mixes the decay modes as the injected signal does (fraction alpha of
    three-prong events); the test set is the study pool's signal against its background.

    Returns
    -------
    outcome : dict
        ``sic`` and ``sic_loose`` on the study pool, and the test event counts.
    """
    from .._baselines import SupervisedClassifier

    rng = np.random.default_rng(random_state)
    is_three = signal[DECAY_MODE_COLUMN].to_numpy() == DECAY_MODES[1]
    n_signal = min(int(np.sum(~is_three) / max(1e-9, 1 - config.alpha)) if config.alpha < 1 else np.inf,
                   int(np.sum(is_three) / max(1e-9, config.alpha)) if config.alpha > 0 else np.inf)
    n_three = int(round(config.alpha * n_signal))
    chosen = np.concatenate([
        rng.choice(np.flatnonzero(~is_three), size=n_signal - n_three, replace=False),
        rng.choice(np.flatnonzero(is_three), size=n_three, replace=False),
    ])
    training = np.concatenate([signal.iloc[chosen][columns].to_numpy(), background[columns].to_numpy()])
    labels = np.concatenate([np.ones(len(chosen), dtype=int), np.zeros(len(background), dtype=int)])
    params = {"random_state": random_state}
    params.update(config.supervised_params)
    model = SupervisedClassifier(**params).fit(training, labels)
    score = _ranking_score(model, study_pool[columns].to_numpy())
    truth = study_pool[LABEL_COLUMN].to_numpy()
    return {**_sic(truth, score), "n_test_background": int(np.sum(truth == 0)),
            "n_test_signal": int(np.sum(truth == 1))}
