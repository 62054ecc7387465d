"""Tests of LHCOFeatureTransformer: features, scikit-learn conventions, pipelines."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_paws.datasets import (
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    LHCO_COLUMNS,
    LHCOFeatureTransformer,
    compute_paws_features,
)
from sklearn_paws.exceptions import InputDataError

# The generic checks feed X with 1 to 10 columns of random numbers. The transformer needs the 14
# columns of the LHCO layout, so every check that fits or transforms such X fails on the column
# count. The checks that pass cover cloning, parameters, tags, repr and the mixin order. The
# tests below this list cover the rest on events in the LHCO layout.
WRONG_COLUMN_COUNT = "needs the 14 LHCO columns; the check passes X with fewer columns"
EXPECTED_FAILED_CHECKS = {
    name: WRONG_COLUMN_COUNT
    for name in (
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit2d_1feature",
        "check_fit2d_1sample",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
        "check_transformer_data_not_an_array",
        "check_transformer_general",
        "check_transformer_preserve_dtypes",
        "check_transformers_unfitted_stateless",
    )
}


@parametrize_with_checks(
    [LHCOFeatureTransformer()],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_checks(estimator, check):
    check(estimator)


@pytest.fixture
def lhco_x(lhco_events):
    return lhco_events.drop(columns=LABEL_COLUMN)


def test_matches_compute_features(lhco_x):
    expected = compute_paws_features(lhco_x)[list(FEATURE_COLUMNS)].to_numpy()
    np.testing.assert_allclose(LHCOFeatureTransformer().fit_transform(lhco_x), expected)


def test_array_equals_dataframe(lhco_x):
    transformer = LHCOFeatureTransformer()
    from_array = transformer.transform(lhco_x.to_numpy())
    np.testing.assert_array_equal(from_array, transformer.transform(lhco_x))


def test_column_order_irrelevant(lhco_x):
    shuffled = lhco_x[list(reversed(LHCO_COLUMNS))]
    transformer = LHCOFeatureTransformer().fit(lhco_x)
    np.testing.assert_array_equal(transformer.transform(shuffled), transformer.transform(lhco_x))


def test_extra_columns_ignored(lhco_events, lhco_x):
    lhco_events["decay_mode"] = "qq"
    transformer = LHCOFeatureTransformer().fit(lhco_events)
    np.testing.assert_array_equal(transformer.transform(lhco_events), transformer.transform(lhco_x))


def test_fit_attributes(lhco_events):
    transformer = LHCOFeatureTransformer()
    assert transformer.fit(lhco_events) is transformer
    assert transformer.n_features_in_ == 14
    assert list(transformer.feature_names_in_) == list(LHCO_COLUMNS)


def test_array_fit_no_names(lhco_x):
    transformer = LHCOFeatureTransformer().fit(lhco_x.to_numpy())
    assert transformer.n_features_in_ == 14
    assert not hasattr(transformer, "feature_names_in_")


def test_transform_without_fit(lhco_x):
    transformer = LHCOFeatureTransformer()
    assert transformer.transform(lhco_x).shape == (200, 6)
    assert not hasattr(transformer, "n_features_in_")


def test_pandas_output(lhco_x):
    lhco_x.index = lhco_x.index + 500
    transformer = LHCOFeatureTransformer().set_output(transform="pandas")
    output = transformer.fit_transform(lhco_x)

    assert list(output.columns) == list(FEATURE_COLUMNS)
    assert output.index.equals(lhco_x.index)


def test_feature_names_out(lhco_x):
    transformer = LHCOFeatureTransformer().fit(lhco_x)
    assert list(transformer.get_feature_names_out()) == list(FEATURE_COLUMNS)
    assert list(transformer.get_feature_names_out(LHCO_COLUMNS)) == list(FEATURE_COLUMNS)


def test_feature_names_out_wrong_input(lhco_x):
    transformer = LHCOFeatureTransformer().fit(lhco_x)
    with pytest.raises(ValueError, match="input_features"):
        transformer.get_feature_names_out(["a", "b"])


def test_clone_and_pickle(lhco_x):
    transformer = LHCOFeatureTransformer(units="GeV", negative_mass_tolerance=2.0).fit(lhco_x)
    expected = transformer.transform(lhco_x)

    cloned = clone(transformer)
    restored = pickle.loads(pickle.dumps(transformer))

    assert cloned.get_params() == transformer.get_params()
    np.testing.assert_array_equal(cloned.transform(lhco_x), expected)
    np.testing.assert_array_equal(restored.transform(lhco_x), expected)


def test_rows_kept_in_order(lhco_x):
    transformer = LHCOFeatureTransformer()
    full = transformer.transform(lhco_x)
    reversed_rows = transformer.transform(lhco_x.iloc[::-1])
    np.testing.assert_array_equal(reversed_rows, full[::-1])


def test_readonly_input(lhco_x):
    values = lhco_x.to_numpy(copy=True)
    values[0, LHCO_COLUMNS.index("mj1")] = -1e-5
    values.setflags(write=False)

    output = LHCOFeatureTransformer().transform(values)

    assert output[0, 1] == 0.0
    assert values[0, LHCO_COLUMNS.index("mj1")] == -1e-5


def test_zero_tau_row_kept(lhco_x):
    lhco_x.loc[3, ["mj1", "mj2", "tau1j1", "tau2j1", "tau3j1"]] = [600.0, 50.0, 0, 0, 0]
    output = LHCOFeatureTransformer().set_output(transform="pandas").transform(lhco_x)

    assert len(output) == 200
    assert output.loc[3, "tau21j1"] == 0.0
    assert output.loc[3, "tau32j1"] == 0.0


def test_tev_units(lhco_x):
    in_tev = lhco_x.copy()
    in_tev[[c for c in LHCO_COLUMNS if c[:2] in ("px", "py", "pz", "mj")]] /= 1000

    expected = LHCOFeatureTransformer().transform(lhco_x)
    output = LHCOFeatureTransformer(units="TeV").transform(in_tev)
    np.testing.assert_allclose(output, expected, rtol=1e-12)


def test_tev_values_rejected(lhco_x):
    lhco_x[[c for c in LHCO_COLUMNS if c[:2] in ("px", "py", "pz", "mj")]] /= 1000
    with pytest.raises(InputDataError, match="units='TeV'"):
        LHCOFeatureTransformer().transform(lhco_x)


def test_nan_rejected(lhco_x):
    lhco_x.loc[[2, 5], "tau2j1"] = np.nan
    with pytest.raises(InputDataError, match=r"2 events of X contain NaN.*'tau2j1'"):
        LHCOFeatureTransformer().fit_transform(lhco_x)


def test_missing_columns_named(lhco_x):
    with pytest.raises(InputDataError) as error:
        LHCOFeatureTransformer().fit(lhco_x.drop(columns=["pxj1", "tau3j2"]))
    assert "'pxj1'" in str(error.value)
    assert "'tau3j2'" in str(error.value)


def test_wrong_column_count(lhco_x):
    with pytest.raises(InputDataError, match="X has 13 columns"):
        LHCOFeatureTransformer().fit(lhco_x.to_numpy()[:, :13])


def test_negative_mass_rejected(lhco_x):
    lhco_x.loc[0, "mj2"] = -30.0
    with pytest.raises(InputDataError, match="'mj2'"):
        LHCOFeatureTransformer().transform(lhco_x)


@pytest.mark.parametrize(
    "params", [{"units": "MeV"}, {"negative_mass_tolerance": -1.0}]
)
def test_bad_params_at_fit(lhco_x, params):
    transformer = LHCOFeatureTransformer(**params)
    with pytest.raises(ValueError, match=next(iter(params))):
        transformer.fit(lhco_x)


def test_pipeline_separates_masses(lhco_events):
    # Signal events get a 500 GeV jet and background jets stay below 300 GeV, so mj1 separates them.
    signal = lhco_events[LABEL_COLUMN] == 1
    lhco_events.loc[signal, "mj2"] = 500.0
    lhco_events.loc[~signal, ["mj1", "mj2"]] = lhco_events.loc[~signal, ["mj1", "mj2"]] % 300
    X, y = lhco_events.drop(columns=LABEL_COLUMN), lhco_events[LABEL_COLUMN]

    pipeline = make_pipeline(LHCOFeatureTransformer(), LogisticRegression())
    scores = cross_val_score(pipeline, X, y, cv=3, scoring="roc_auc")
    assert scores.min() > 0.95
