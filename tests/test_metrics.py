"""Tests of the SIC metrics and of SICScorer."""

import math
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import check_scoring, roc_curve

from sklearn_paws.exceptions import InputDataError, LowStatisticsWarning
from sklearn_paws.metrics import SICScorer, sic_at_background_efficiency, sic_curve


def gaussian_scores(n_background=20000, n_signal=2000, shift=2.0, seed=0):
    rng = np.random.default_rng(seed)
    y_true = np.r_[np.zeros(n_background, dtype=int), np.ones(n_signal, dtype=int)]
    y_score = np.r_[rng.normal(0.0, 1.0, n_background), rng.normal(shift, 1.0, n_signal)]
    return y_true, y_score


def test_sic_curve_matches_roc_curve():
    y_true, y_score = gaussian_scores()
    fpr, tpr, thresholds = roc_curve(y_true, y_score, drop_intermediate=False)

    sic, sic_fpr, sic_tpr, sic_thresholds = sic_curve(y_true, y_score)

    measured = fpr > 0
    np.testing.assert_array_equal(sic_fpr, fpr)
    np.testing.assert_array_equal(sic_tpr, tpr)
    np.testing.assert_array_equal(sic_thresholds, thresholds)
    np.testing.assert_allclose(sic[measured], tpr[measured] / np.sqrt(fpr[measured]))
    assert np.all(np.isnan(sic[~measured]))


def test_sic_at_efficiency_matches_roc_interpolation():
    y_true, y_score = gaussian_scores()
    fpr, tpr, _ = roc_curve(y_true, y_score, drop_intermediate=False)
    # Gaussian scores have no ties, so fpr is strictly increasing once it leaves 0 and the
    # interpolation only needs the ROC points on either side of eps_B.
    for efficiency in (1.37e-3, 1e-2, 0.2):
        right = np.searchsorted(fpr, efficiency, side="right")
        slope = (tpr[right] - tpr[right - 1]) / (fpr[right] - fpr[right - 1])
        expected_tpr = tpr[right - 1] + slope * (efficiency - fpr[right - 1])

        sic = sic_at_background_efficiency(y_true, y_score, efficiency)

        assert sic == pytest.approx(expected_tpr / math.sqrt(efficiency), rel=1e-12)


def test_sic_perfect_separation():
    # Every signal event scores above every background event, so eps_S = 1 at any eps_B > 0.
    y_true = np.r_[np.zeros(5000, dtype=int), np.ones(50, dtype=int)]
    y_score = np.r_[np.arange(5000.0), 10000.0 + np.arange(50.0)]

    sic = sic_at_background_efficiency(y_true, y_score, 1e-2)

    assert sic == pytest.approx(1 / math.sqrt(1e-2))


def test_sic_random_classifier():
    # Signal and background share the same scores, so eps_S = eps_B and SIC = sqrt(eps_B).
    scores = np.arange(10000.0)
    y_true = np.r_[np.zeros(10000, dtype=int), np.ones(10000, dtype=int)]
    y_score = np.r_[scores, scores]

    for efficiency in (1e-2, 2.55e-2, 0.5):
        sic = sic_at_background_efficiency(y_true, y_score, efficiency)
        assert sic == pytest.approx(math.sqrt(efficiency))


def test_sic_linear_between_roc_points():
    # Background scores 0..9999 step eps_B by 1e-4. Two signal events score above all background
    # and two tie with the second-highest background event, so the ROC curve runs straight from
    # (1e-4, 0.5) to (2e-4, 1.0) and eps_S(1.5e-4) = 0.75.
    y_true = np.r_[np.zeros(10000, dtype=int), np.ones(4, dtype=int)]
    y_score = np.r_[np.arange(10000.0), [20000.0, 20000.0, 9998.0, 9998.0]]

    sic = sic_at_background_efficiency(y_true, y_score, 1.5e-4, min_passing_background=0)

    assert sic == pytest.approx(0.75 / math.sqrt(1.5e-4))


def test_sic_vertical_step_takes_highest_tpr():
    # Two signal events fall between the highest and second-highest background events, so at
    # eps_B = 1e-4 the ROC curve steps up from eps_S = 0.5 to 1.0. The full step is reachable.
    y_true = np.r_[np.zeros(10000, dtype=int), np.ones(4, dtype=int)]
    y_score = np.r_[np.arange(10000.0), [20000.0, 20000.0, 9998.5, 9998.5]]

    sic = sic_at_background_efficiency(y_true, y_score, 1e-4, min_passing_background=0)

    assert sic == pytest.approx(1.0 / math.sqrt(1e-4))


def test_sic_integer_weights_equal_duplicates():
    y_true, y_score = gaussian_scores(n_background=5000, n_signal=500)
    weights = np.where(np.arange(y_true.shape[0]) % 3 == 0, 2.0, 1.0)
    duplicated = np.r_[np.arange(y_true.shape[0]), np.flatnonzero(weights == 2.0)]

    weighted = sic_at_background_efficiency(y_true, y_score, 1e-2, sample_weight=weights)
    expanded = sic_at_background_efficiency(y_true[duplicated], y_score[duplicated], 1e-2)

    assert weighted == pytest.approx(expanded)


def test_sic_string_labels_with_pos_label():
    y_true, y_score = gaussian_scores(n_background=5000, n_signal=500)
    names = np.where(y_true == 1, "signal", "background")

    named = sic_at_background_efficiency(names, y_score, 1e-2, pos_label="signal")
    numeric = sic_at_background_efficiency(y_true, y_score, 1e-2)

    assert named == pytest.approx(numeric)


def test_sic_low_statistics_warns_with_count():
    y_true, y_score = gaussian_scores(n_background=2000, n_signal=200)

    with pytest.warns(LowStatisticsWarning, match=r"about 2\.0 background events"):
        sic_at_background_efficiency(y_true, y_score, 1e-3)


def test_sic_enough_statistics_no_warning():
    y_true, y_score = gaussian_scores(n_background=30000, n_signal=200)

    with warnings.catch_warnings():
        warnings.simplefilter("error", LowStatisticsWarning)
        sic = sic_at_background_efficiency(y_true, y_score, 1e-3)

    assert sic > 0


def test_sic_too_few_background_raises():
    y_true, y_score = gaussian_scores(n_background=500, n_signal=100)

    with pytest.raises(InputDataError, match="At least 1000 background events"):
        sic_at_background_efficiency(y_true, y_score, 1e-3)


def test_sic_no_signal_raises():
    y_true = np.zeros(5000, dtype=int)
    y_score = np.arange(5000.0)

    with pytest.raises(InputDataError, match="no signal"):
        sic_at_background_efficiency(y_true, y_score, 1e-2)


@pytest.mark.parametrize("efficiency", [0.0, -0.1, 1.5, True])
def test_sic_invalid_efficiency_raises(efficiency):
    y_true, y_score = gaussian_scores(n_background=500, n_signal=100)

    with pytest.raises(ValueError, match="background_efficiency"):
        sic_at_background_efficiency(y_true, y_score, efficiency)


def test_sic_ambiguous_labels_need_pos_label():
    y_true = np.r_[np.full(500, 3), np.full(50, 7)]
    y_score = np.arange(550.0)

    with pytest.raises(ValueError, match="pos_label"):
        sic_curve(y_true, y_score)


# --- SICScorer -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_classifier():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0.0, 1.0, (6000, 2)), rng.normal(1.5, 1.0, (600, 2))]
    y = np.r_[np.zeros(6000, dtype=int), np.ones(600, dtype=int)]
    return LogisticRegression().fit(X, y), X, y


def test_scorer_matches_metric(fitted_classifier):
    classifier, X, y = fitted_classifier
    expected = sic_at_background_efficiency(y, classifier.predict_proba(X)[:, 1], 1e-2)

    assert SICScorer(1e-2)(classifier, X, y) == pytest.approx(expected)


def test_scorer_decodes_weak_labels(fitted_classifier):
    classifier, X, y = fitted_classifier
    # Codes of a test fold: background as reference (0) or data (1), signal as held out (2).
    weak = np.where(y == 1, 2, np.arange(y.shape[0]) % 2)

    assert SICScorer(1e-2)(classifier, X, weak) == pytest.approx(SICScorer(1e-2)(classifier, X, y))


def test_scorer_weak_encoding_without_signal_raises(fitted_classifier):
    classifier, X, y = fitted_classifier
    background_only = np.arange(y.shape[0]) % 2

    with pytest.raises(InputDataError, match="no signal"):
        SICScorer(1e-2, label_encoding="weak")(classifier, X, background_only)


def test_scorer_uses_decision_function():
    rng = np.random.default_rng(2)
    X = np.r_[rng.normal(0.0, 1.0, (6000, 2)), rng.normal(1.5, 1.0, (600, 2))]
    y = np.r_[np.zeros(6000, dtype=int), np.ones(600, dtype=int)]
    classifier = RidgeClassifier().fit(X, y)
    expected = sic_at_background_efficiency(y, classifier.decision_function(X), 1e-2)

    assert SICScorer(1e-2)(classifier, X, y) == pytest.approx(expected)


def test_scorer_three_class_fit_raises():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 2))
    y = np.arange(3000) % 3
    classifier = LogisticRegression().fit(X, y)

    with pytest.raises(ValueError, match="refit=False"):
        SICScorer(1e-2)(classifier, X, y)


def test_scorer_accepted_by_check_scoring(fitted_classifier):
    classifier = fitted_classifier[0]
    scorer = SICScorer()

    assert check_scoring(classifier, scoring=scorer) is scorer


def test_scorer_clone_and_pickle(fitted_classifier):
    classifier, X, y = fitted_classifier
    scorer = SICScorer(1e-2, min_passing_background=10)

    cloned = clone(scorer)
    restored = pickle.loads(pickle.dumps(scorer))

    assert cloned.get_params() == scorer.get_params()
    assert restored(classifier, X, y) == scorer(classifier, X, y)


def test_scorer_set_params_unknown_raises():
    with pytest.raises(ValueError, match="no parameter 'mu'"):
        SICScorer().set_params(mu=0.1)


def test_scorer_invalid_efficiency_raises(fitted_classifier):
    classifier, X, y = fitted_classifier

    with pytest.raises(ValueError, match="background_efficiency"):
        SICScorer(background_efficiency=2.0)(classifier, X, y)
