"""scikit-learn's common estimator checks on the neural estimators of sklearn-paws.

Known failures are data, as in scikit-learn's own test suite: ``EXPECTED_FAILED_CHECKS`` maps an
estimator class to ``{check name: reason}``. ``INIT_PARAMS`` contains small, fast settings for the
checks, which fit on a few hundred events. An estimator joins the checks with an entry there.
"""

import inspect

import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_paws._baselines import SupervisedClassifier, WeakSupervisionClassifier
from sklearn_paws._prior import ParameterizedClassifier

_FAST = dict(hidden_layer_sizes=(16,), learning_rate=1e-2, batch_size=32, max_epochs=10,
             random_state=0)

INIT_PARAMS = {
    SupervisedClassifier: _FAST,
    WeakSupervisionClassifier: _FAST,
    # The checks pass arrays, so the last column is theta.
    ParameterizedClassifier: dict(theta_columns=("theta",), calibration_size=100,
                                  kappa_grid_size=3, **_FAST),
}

_WEAK_LABELS = (
    "fit accepts only the labels 0 (reference) and 1 (data) of weak supervision, so that no "
    "other encoding of truth can reach it, but the check fits with other labels"
)

EXPECTED_FAILED_CHECKS = {
    WeakSupervisionClassifier: {
        "check_estimators_dtypes": _WEAK_LABELS,
        "check_classifier_data_not_an_array": _WEAK_LABELS,
        "check_classifiers_classes": _WEAK_LABELS,
        "check_fit2d_1feature": _WEAK_LABELS,
    },
    ParameterizedClassifier: {
        "check_classifiers_train": (
            "the last column is theta, and fit replaces the theta of background rows by draws "
            "from the signal's, so the blobs cannot be separated along that column as the check "
            "expects"
        ),
    },
}


# xfail_strict (scikit-learn >= 1.8) turns an expected failure that passes into a failure, so
# the list above cannot go stale.
_STRICT = (
    {"xfail_strict": True}
    if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters else {}
)


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator), {})


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@parametrize_with_checks(
    [estimator_class(**params) for estimator_class, params in INIT_PARAMS.items()],
    expected_failed_checks=_expected_failed_checks,
    **_STRICT,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
