"""Tests of WeakSupervisionSplitter, its label encoding and its use with SICScorer."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sklearn_paws.datasets import FEATURE_COLUMNS
from sklearn_paws.datasets._toy import make_toy_background, make_toy_signal
from sklearn_paws.exceptions import InputDataError
from sklearn_paws.metrics import SICScorer
from sklearn_paws.model_selection import (
    BACKGROUND,
    DATA,
    HELD_OUT_SIGNAL,
    REFERENCE,
    THREE_PRONG_SIGNAL,
    TWO_PRONG_SIGNAL,
    WeakSupervisionSplitter,
    truth_from_labels,
)

N_BACKGROUND = 9000
N_SIGNAL_PER_MODE = 1000


@pytest.fixture(scope="module")
def pool():
    return pd.concat(
        [
            make_toy_background(N_BACKGROUND, random_state=0),
            make_toy_signal(300, 300, N_SIGNAL_PER_MODE, decay_mode="qq", random_state=1),
            make_toy_signal(300, 300, N_SIGNAL_PER_MODE, decay_mode="qqq", random_state=2),
        ],
        ignore_index=True,
    )


def expected_injection(mu, n_data_background, mu_definition="S/(S+B)"):
    ratio = mu / (1 - mu) if mu_definition == "S/(S+B)" else mu
    return int(np.floor(ratio * n_data_background + 0.5))


# --- labels ----------------------------------------------------------------------------------


def test_make_labels_counts(pool):
    splitter = WeakSupervisionSplitter(mu=0.05, alpha=0.25, n_splits=3, random_state=0)

    y, groups = splitter.make_labels(pool)

    # 4500 D background events, 3000 of them in each training fold.
    n_injected = expected_injection(0.05, 3000)
    n_three_prong = int(np.floor(0.25 * n_injected + 0.5))
    assert np.sum(y == REFERENCE) == N_BACKGROUND // 2
    assert np.sum((y == DATA) & (groups == BACKGROUND)) == N_BACKGROUND // 2
    assert np.sum((y == DATA) & (groups == TWO_PRONG_SIGNAL)) == n_injected - n_three_prong
    assert np.sum((y == DATA) & (groups == THREE_PRONG_SIGNAL)) == n_three_prong
    assert np.sum(y == HELD_OUT_SIGNAL) == 2 * N_SIGNAL_PER_MODE - n_injected


def test_make_labels_groups_encode_truth(pool):
    _, groups = WeakSupervisionSplitter(random_state=0).make_labels(pool)

    expected = np.select(
        [pool["label"] == 0, pool["decay_mode"] == "qq"], [BACKGROUND, TWO_PRONG_SIGNAL], THREE_PRONG_SIGNAL
    )
    np.testing.assert_array_equal(groups, expected)


def test_make_labels_arrays_equal_dataframe(pool):
    splitter = WeakSupervisionSplitter(mu=0.02, n_splits=3, random_state=4)

    from_frame = splitter.make_labels(pool)
    from_arrays = splitter.make_labels(pool["label"].to_numpy(), pool["decay_mode"].to_numpy())

    np.testing.assert_array_equal(from_frame[0], from_arrays[0])
    np.testing.assert_array_equal(from_frame[1], from_arrays[1])


def test_make_labels_from_groups(pool):
    splitter = WeakSupervisionSplitter(mu=0.02, n_splits=3, random_state=4)
    y, groups = splitter.make_labels(pool)

    y_again, groups_again = splitter.make_labels(groups)

    np.testing.assert_array_equal(y_again, y)
    np.testing.assert_array_equal(groups_again, groups)


def test_make_labels_reproducible(pool):
    first = WeakSupervisionSplitter(mu=0.02, random_state=7).make_labels(pool)[0]
    second = WeakSupervisionSplitter(mu=0.02, random_state=7).make_labels(pool)[0]
    other_seed = WeakSupervisionSplitter(mu=0.02, random_state=8).make_labels(pool)[0]

    np.testing.assert_array_equal(first, second)
    assert np.any(first != other_seed)


def test_make_labels_alpha_none_draws_any_mode(pool):
    splitter = WeakSupervisionSplitter(mu=0.05, alpha=None, n_splits=3, random_state=0)

    y, groups = splitter.make_labels(pool)

    injected = (y == DATA) & (groups != BACKGROUND)
    assert np.sum(injected) == expected_injection(0.05, 3000)
    assert set(np.unique(groups[injected])) == {TWO_PRONG_SIGNAL, THREE_PRONG_SIGNAL}


def test_truth_from_labels_decodes_codes():
    y = np.array([REFERENCE, DATA, HELD_OUT_SIGNAL, DATA, HELD_OUT_SIGNAL])

    np.testing.assert_array_equal(truth_from_labels(y), [0, 0, 1, 0, 1])


def test_truth_from_labels_plain_truth_unchanged():
    y = np.array([0, 1, 1, 0])

    np.testing.assert_array_equal(truth_from_labels(y), y)


# --- folds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mu_definition", ["S/(S+B)", "S/B"])
def test_split_injects_exact_counts(pool, mu_definition):
    # 9002 background events: R and D get 4501 each, in folds of 1126, 1125, 1125 and 1125, so the
    # training D has 3375 events in fold 0 and 3376 in the others. The signal-to-background ratio
    # puts the injected count on a rounding edge: 100 events in fold 0 and 101 in the others.
    extra = make_toy_background(2, random_state=9)
    uneven_pool = pd.concat([pool, extra], ignore_index=True)
    ratio = 100.5 / 3375.5
    mu = ratio / (1 + ratio) if mu_definition == "S/(S+B)" else ratio
    splitter = WeakSupervisionSplitter(mu=mu, alpha=0.5, n_splits=4, random_state=1,
                                       mu_definition=mu_definition)
    y, groups = splitter.make_labels(uneven_pool)

    table = splitter.injection_table(y, groups)

    assert table["n_injected"].tolist() == [100, 101, 101, 101]
    assert table["n_left_out"].tolist() == [1, 0, 0, 0]
    for row in table.itertuples():
        n_injected = expected_injection(mu, row.n_data_background_train, mu_definition)
        n_three_prong = int(np.floor(0.5 * n_injected + 0.5))
        assert row.n_injected == n_injected
        assert row.n_injected_three_prong == n_three_prong
        assert row.n_injected_two_prong == n_injected - n_three_prong


def test_injection_table_reports_mu_both_ways(pool):
    splitter = WeakSupervisionSplitter(mu=0.05, n_splits=3, random_state=0)
    y, groups = splitter.make_labels(pool)

    table = splitter.injection_table(y, groups)

    signal = table["n_injected"]
    background = table["n_data_background_train"]
    np.testing.assert_allclose(table["mu_s_over_s_plus_b"], signal / (signal + background))
    np.testing.assert_allclose(table["mu_s_over_b"], signal / background)
    # Rounding to whole events moves mu by at most half an event.
    np.testing.assert_allclose(table["mu_s_over_s_plus_b"], 0.05, atol=0.5 / 3000)


def test_split_tests_every_background_once(pool):
    splitter = WeakSupervisionSplitter(mu=0.02, n_splits=4, random_state=3)
    y, groups = splitter.make_labels(pool)
    background = np.flatnonzero(groups == BACKGROUND)

    test_counts = np.zeros(len(y), dtype=int)
    train_counts = np.zeros(len(y), dtype=int)
    for train, test in splitter.split(pool, y, groups):
        test_counts[test] += 1
        train_counts[train] += 1
        assert np.intersect1d(train, test).size == 0

    np.testing.assert_array_equal(test_counts[background], 1)
    np.testing.assert_array_equal(train_counts[background], 3)


def test_split_test_folds_hold_all_held_out_signal(pool):
    splitter = WeakSupervisionSplitter(mu=0.02, n_splits=3, random_state=3)
    y, groups = splitter.make_labels(pool)
    held_out = np.flatnonzero(y == HELD_OUT_SIGNAL)
    kept_for_injection = np.flatnonzero((y == DATA) & (groups != BACKGROUND))

    for train, test in splitter.split(pool, y, groups):
        np.testing.assert_array_equal(np.intersect1d(test, held_out), held_out)
        assert np.intersect1d(test, kept_for_injection).size == 0
        assert np.all(y[train] != HELD_OUT_SIGNAL)


def test_split_reproducible(pool):
    splitter = WeakSupervisionSplitter(mu=0.02, n_splits=3, random_state=5)
    y, groups = splitter.make_labels(pool)

    first = list(splitter.split(pool, y, groups))
    second = list(WeakSupervisionSplitter(mu=0.02, n_splits=3, random_state=5).split(pool, y, groups))

    for (train_a, test_a), (train_b, test_b) in zip(first, second):
        np.testing.assert_array_equal(train_a, train_b)
        np.testing.assert_array_equal(test_a, test_b)


def test_get_n_splits():
    assert WeakSupervisionSplitter(n_splits=4).get_n_splits() == 4


# --- no truth reaches fit --------------------------------------------------------------------


class FitRecorder(ClassifierMixin, BaseEstimator):
    """Classifier that stores the labels and extra arguments its fit receives."""

    def fit(self, X, y, **fit_params):
        self.event_ids_ = np.asarray(X)[:, 0].astype(int)
        self.y_fit_ = np.asarray(y)
        self.fit_params_ = fit_params
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        score = np.asarray(X)[:, 1]
        return np.column_stack([1 - score, score])


def test_fit_cannot_tell_injected_signal(pool):
    splitter = WeakSupervisionSplitter(mu=0.05, n_splits=3, random_state=0)
    y, groups = splitter.make_labels(pool)
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(len(y)), rng.uniform(size=len(y))])

    result = cross_validate(FitRecorder(), X, y, groups=groups, cv=splitter,
                            scoring=SICScorer(1e-2), return_estimator=True)

    for recorder in result["estimator"]:
        truth = groups[recorder.event_ids_]
        injected = truth != BACKGROUND
        data_background = (truth == BACKGROUND) & (recorder.y_fit_ == DATA)
        assert recorder.fit_params_ == {}
        assert set(np.unique(recorder.y_fit_)) == {REFERENCE, DATA}
        # The fit labels of injected signal and of D background are the same single value, so no
        # function of the fit labels can separate them.
        np.testing.assert_array_equal(np.unique(recorder.y_fit_[injected]), [DATA])
        np.testing.assert_array_equal(np.unique(recorder.y_fit_[data_background]), [DATA])


# --- errors ----------------------------------------------------------------------------------


def test_not_enough_three_prong_raises(pool):
    splitter = WeakSupervisionSplitter(mu=0.3, alpha=1.0, n_splits=3)
    message = "three-prong signal events per fold, but the pool has only 1000"

    with pytest.raises(InputDataError, match=message):
        splitter.make_labels(pool)


def test_two_prong_pool_suggests_alpha_zero(pool):
    two_prong_pool = pool[pool["decay_mode"] != "qqq"]
    splitter = WeakSupervisionSplitter(mu=0.01, alpha=0.5, n_splits=3)

    with pytest.raises(InputDataError, match="pass alpha=0"):
        splitter.make_labels(two_prong_pool)


def test_no_held_out_signal_raises(pool):
    # mu = 0.4 in D of 3000 events injects 2000 signal events: the whole signal pool.
    splitter = WeakSupervisionSplitter(mu=0.4, alpha=0.5, n_splits=3)

    with pytest.raises(InputDataError, match="no signal is left for the test folds"):
        splitter.make_labels(pool)


def test_too_few_background_raises():
    label = np.r_[np.zeros(5, dtype=int), np.ones(100, dtype=int)]

    with pytest.raises(InputDataError, match="at least n_splits=5"):
        WeakSupervisionSplitter(mu=0.0, alpha=None, n_splits=5).make_labels(label)


def test_split_without_groups_raises(pool):
    splitter = WeakSupervisionSplitter(n_splits=3, random_state=0)
    y, _ = splitter.make_labels(pool)

    with pytest.raises(InputDataError, match="groups=groups"):
        next(splitter.split(pool, y))


def test_split_labels_from_other_mu_raises(pool):
    y, groups = WeakSupervisionSplitter(mu=0.01, n_splits=3, random_state=0).make_labels(pool)

    with pytest.raises(InputDataError, match="same parameters"):
        next(WeakSupervisionSplitter(mu=0.02, n_splits=3, random_state=0).split(pool, y, groups))


def test_invalid_decay_mode_raises(pool):
    modes = pool["decay_mode"].fillna("").to_numpy()
    modes[modes == "qqq"] = "ww"

    with pytest.raises(InputDataError, match="'ww'"):
        WeakSupervisionSplitter().make_labels(pool["label"], modes)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"mu": 1.0}, "below 1"),
        ({"mu": -0.1}, "mu must be"),
        ({"alpha": 1.5}, "alpha must be"),
        ({"n_splits": 1}, "at least 2"),
        ({"mu_definition": "S/sqrt(B)"}, "mu_definition"),
        ({"reference_fraction": 1.0}, "reference_fraction"),
    ],
)
def test_invalid_parameters_raise(pool, params, message):
    with pytest.raises(ValueError, match=message):
        WeakSupervisionSplitter(**params).make_labels(pool)


# --- with scikit-learn model selection -------------------------------------------------------


@pytest.fixture(scope="module")
def weak_problem(pool):
    splitter = WeakSupervisionSplitter(mu=0.05, alpha=0.5, n_splits=3, random_state=0)
    y, groups = splitter.make_labels(pool)
    return pool[list(FEATURE_COLUMNS)], y, groups, splitter


def test_cross_val_score_gradient_boosting(weak_problem):
    X, y, groups, splitter = weak_problem
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)

    scores = cross_val_score(model, X, y, groups=groups, cv=splitter,
                             scoring=SICScorer(background_efficiency=1e-2), error_score="raise")

    # A random classifier has SIC = sqrt(eps_B) = 0.1; the toy signal is far easier than that.
    assert scores.shape == (3,)
    assert np.all(scores > 1.0)


def test_sic_grows_with_injected_signal(pool):
    X = pool[list(FEATURE_COLUMNS)]
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    mean_sic = {}
    for mu in (0.0, 0.05):
        splitter = WeakSupervisionSplitter(mu=mu, n_splits=3, random_state=0)
        y, groups = splitter.make_labels(pool)
        mean_sic[mu] = cross_val_score(model, X, y, groups=groups, cv=splitter,
                                       scoring=SICScorer(1e-2), error_score="raise").mean()

    # Without injected signal D and R are both background, so the fit has nothing to learn.
    assert mean_sic[0.05] > 3 * mean_sic[0.0]


def test_cross_val_score_pipeline(weak_problem):
    X, y, groups, splitter = weak_problem
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())

    scores = cross_val_score(pipeline, X, y, groups=groups, cv=splitter,
                             scoring=SICScorer(1e-2), error_score="raise")

    assert np.all(scores > 1.0)


def test_grid_search_picks_deeper_tree(weak_problem):
    X, y, groups, splitter = weak_problem
    search = GridSearchCV(
        DecisionTreeClassifier(min_samples_leaf=50, random_state=0),
        {"max_depth": [1, 4]},
        scoring=SICScorer(1e-2),
        cv=splitter,
        refit=False,
        error_score="raise",
    )

    search.fit(X, y, groups=groups)

    # A depth-1 tree gives two score values, so its ROC curve is a straight line up to its
    # single cut and its SIC at eps_B = 1% is poor.
    assert search.best_params_ == {"max_depth": 4}


def test_metadata_routing_sends_groups(weak_problem):
    X, y, groups, splitter = weak_problem
    model = LogisticRegression()

    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_val_score(model, X, y, cv=splitter, scoring=SICScorer(1e-2),
                                 params={"groups": groups}, error_score="raise")
    plain = cross_val_score(model, X, y, groups=groups, cv=splitter, scoring=SICScorer(1e-2),
                            error_score="raise")

    np.testing.assert_allclose(routed, plain)
