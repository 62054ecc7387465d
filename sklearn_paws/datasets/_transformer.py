"""Turn events in the LHC Olympics features layout into the six PAWS features inside a Pipeline."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, validate_data

from ..exceptions import InputDataError
from ._columns import FEATURE_COLUMNS, LHCO_COLUMNS
from ._lhco import UNITS, lhco_values_to_features


class LHCOFeatureTransformer(TransformerMixin, BaseEstimator):
    """Compute the six PAWS features from events in the LHC Olympics features layout.

    The transformer is stateless: ``fit`` only records the input columns, and ``transform`` may
    be called without ``fit``. It returns one row per input row, so it never drops events: in a
    ``Pipeline`` a dropped row would misalign ``X`` and ``y``. Clean the events before the
    pipeline (e.g. with :func:`~sklearn_paws.datasets.read_lhco_features`) when events should
    be dropped instead.

    Parameters
    ----------
    units : {"GeV", "TeV"}, default="GeV"
        Units of the jet momenta and masses in ``X``. The official files are in GeV.
    negative_mass_tolerance : float, default=1.0
        Jet masses in [-negative_mass_tolerance, 0) GeV are round-off and are set to 0, with a
        count logged at INFO level. Lower masses raise InputDataError.

    Attributes
    ----------
    n_features_in_ : int
        Number of input columns used, always 14.
    feature_names_in_ : ndarray of str, shape (14,)
        The LHCO column names, set when ``fit`` gets a pandas DataFrame.

    See Also
    --------
    sklearn_paws.datasets.compute_paws_features : The same features for a whole DataFrame, with
        the option to drop bad events and with ``mjj`` and the label.

    Notes
    -----
    Input: a pandas DataFrame with the columns ``pxj1, pyj1, pzj1, mj1, tau1j1, tau2j1,
    tau3j1`` and the same for ``j2`` (other columns are ignored), or an array of shape
    (n_events, 14) with these columns in this order. Jets are ordered by pT, as in the official
    files.

    Output columns, in order: ``mj1, mj2`` (jet masses in TeV, jets reordered so that
    mj1 >= mj2), ``tau21j1, tau21j2`` (tau2/tau1) and ``tau32j1, tau32j2`` (tau3/tau2), each
    ratio moved with its jet.

    Bad events: both ratios of a jet are set to 0 unless its tau1 > 0 and tau2 > 0 (one- and
    two-constituent jets, where a ratio is 0/0), as in the PAWS reference code. Events with
    NaN or inf raise InputDataError, because they cannot be dropped here.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> pipeline = make_pipeline(LHCOFeatureTransformer(), LogisticRegression())
    """

    def __init__(self, units="GeV", negative_mass_tolerance=1.0):
        self.units = units
        self.negative_mass_tolerance = negative_mass_tolerance

    def _validate_params(self):
        if self.units not in UNITS:
            raise ValueError(f"units={self.units!r} is not supported. Use one of {list(UNITS)}.")
        tolerance = self.negative_mass_tolerance
        if not np.isscalar(tolerance) or not tolerance >= 0:
            raise ValueError(
                f"negative_mass_tolerance={tolerance!r} is invalid. Use a non-negative number of "
                "GeV, e.g. 1.0."
            )

    def _validate_input(self, X, reset):
        self._validate_params()

        if isinstance(X, pd.DataFrame):
            missing = [column for column in LHCO_COLUMNS if column not in X.columns]
            if missing:
                raise InputDataError(
                    f"X is missing the columns {missing} of the LHC Olympics features layout. "
                    f"Columns found: {list(X.columns)}."
                )
            X = X[list(LHCO_COLUMNS)]

        # A copy, because lhco_values_to_features clips negative masses in place.
        check_params = dict(dtype=np.float64, ensure_all_finite=False, copy=True)
        if reset or hasattr(self, "n_features_in_"):
            values = validate_data(self, X, reset=reset, **check_params)
        else:
            # Without fit there are no recorded columns to compare X with.
            values = check_array(X, **check_params)

        if values.shape[1] != len(LHCO_COLUMNS):
            raise InputDataError(
                f"X has {values.shape[1]} columns, but {type(self).__name__} needs the "
                f"{len(LHCO_COLUMNS)} columns of the LHC Olympics features layout, in this order: "
                f"{list(LHCO_COLUMNS)}."
            )

        finite = np.isfinite(values)
        if not finite.all():
            bad_columns = [LHCO_COLUMNS[i] for i in np.flatnonzero(~finite.all(axis=0))]
            raise InputDataError(
                f"{int((~finite.all(axis=1)).sum())} events of X contain NaN or inf values, in "
                f"the columns {bad_columns}. A transformer cannot drop events, so drop them "
                "before the pipeline, e.g. with read_lhco_features or compute_paws_features."
            )
        return values

    def fit(self, X, y=None):
        """Check the input columns and record them, without learning anything.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_events, 14)
            Events in the LHC Olympics features layout.
        y : None
            Ignored.

        Returns
        -------
        self : LHCOFeatureTransformer
            This transformer.

        Raises
        ------
        InputDataError
            If columns of the layout are missing, an array does not have 14 columns, or an
            event has NaN or inf.
        ValueError
            If a parameter has an unsupported value.
        """
        self._validate_input(X, reset=True)
        return self

    def transform(self, X):
        """Compute the six PAWS features of every event.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_events, 14)
            Events in the LHC Olympics features layout, in ``units``.

        Returns
        -------
        features : ndarray of shape (n_events, 6)
            ``mj1, mj2`` (TeV, mj1 >= mj2), ``tau21j1, tau21j2, tau32j1, tau32j2``, one row per
            input row in the same order.

        Raises
        ------
        InputDataError
            If columns are missing, an event has NaN or inf, the momenta do not look like
            ``units``, or a jet mass is below -negative_mass_tolerance GeV.
        """
        values = self._validate_input(X, reset=False)
        features = lhco_values_to_features(
            values,
            units=self.units,
            negative_mass_tolerance=self.negative_mass_tolerance,
            source="X",
        )
        return features[:, : len(FEATURE_COLUMNS)]

    def get_feature_names_out(self, input_features=None):
        """Return the names of the output columns.

        Parameters
        ----------
        input_features : array-like of str, optional
            Input column names. When given, they must be the 14 LHCO column names, and equal to
            ``feature_names_in_`` when ``fit`` saw a DataFrame.

        Returns
        -------
        feature_names_out : ndarray of str, shape (6,)
            ``mj1, mj2, tau21j1, tau21j2, tau32j1, tau32j2``.

        Raises
        ------
        ValueError
            If ``input_features`` does not match the input columns.
        """
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            expected = getattr(self, "feature_names_in_", np.asarray(LHCO_COLUMNS, dtype=object))
            if input_features.shape != expected.shape or not np.all(input_features == expected):
                raise ValueError(
                    f"input_features={input_features.tolist()} must be the input columns "
                    f"{expected.tolist()}."
                )
        return np.asarray(FEATURE_COLUMNS, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
