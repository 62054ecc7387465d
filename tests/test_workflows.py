"""Whole scikit-learn workflows: raw LHCO layout -> features -> classifier, cross-validated by SIC."""

import warnings

import numpy as np
import pandas as pd
from conftest import make_lhco_events
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_paws.datasets import DECAY_MODE_COLUMN, LABEL_COLUMN, LHCO_COLUMNS, LHCOFeatureTransformer
from sklearn_paws.exceptions import LowStatisticsWarning
from sklearn_paws.metrics import SICScorer
from sklearn_paws.model_selection import WeakSupervisionSplitter


def _lhco_pool(n_background=9000, n_signal=1500):
    """Background from the LHCO-layout fixture, and signal with a 500 GeV two-prong leading jet."""
    background = make_lhco_events(n_background, random_state=1)
    background[LABEL_COLUMN] = 0.0
    signal = make_lhco_events(n_signal, random_state=2)
    rng = np.random.default_rng(3)
    signal["mj1"] = rng.normal(500.0, 20.0, n_signal)
    signal["mj2"] = rng.uniform(20.0, 120.0, n_signal)
    signal["tau2j1"] = signal["tau1j1"] * rng.uniform(0.05, 0.25, n_signal)
    signal[LABEL_COLUMN] = 1.0
    pool = pd.concat([background, signal], ignore_index=True)
    pool[DECAY_MODE_COLUMN] = "qq"
    return pool


def test_pipeline_cross_val_score_by_sic():
    pool = _lhco_pool()
    splitter = WeakSupervisionSplitter(mu=0.05, alpha=None, n_splits=3, random_state=0)
    y, groups = splitter.make_labels(pool)
    model = make_pipeline(LHCOFeatureTransformer(), HistGradientBoostingClassifier(max_iter=30, random_state=0))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowStatisticsWarning)
        scores = cross_val_score(model, pool[list(LHCO_COLUMNS)], y, groups=groups, cv=splitter,
                                 scoring=SICScorer(background_efficiency=1e-2))

    assert scores.shape == (3,)
    assert np.all(np.isfinite(scores))
    # A random classifier has SIC = sqrt(1e-2) = 0.1; the injected signal is easy to find.
    assert np.mean(scores) > 1.0


def test_pipeline_grid_search_by_sic():
    pool = _lhco_pool()
    splitter = WeakSupervisionSplitter(mu=0.05, alpha=None, n_splits=3, random_state=0)
    y, groups = splitter.make_labels(pool)
    model = make_pipeline(LHCOFeatureTransformer(), HistGradientBoostingClassifier(max_iter=30, random_state=0))
    search = GridSearchCV(model, {"histgradientboostingclassifier__max_depth": [1, 3]}, cv=splitter,
                          scoring=SICScorer(background_efficiency=1e-2), refit=False)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowStatisticsWarning)
        search.fit(pool[list(LHCO_COLUMNS)], y, groups=groups)

    assert search.best_params_["histgradientboostingclassifier__max_depth"] in (1, 3)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
