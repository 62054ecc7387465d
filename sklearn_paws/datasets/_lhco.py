"""Read the LHC Olympics features layout and the PAWS signal layout, compute the PAWS features.

The official LHC Olympics 2020 features files are pandas HDF5 tables with, for the two leading
anti-kT R=1.0 jets in pT, the columns ``pxj1, pyj1, pzj1, mj1, tau1j1, tau2j1, tau3j1`` and the
same for ``j2`` (momenta and masses in GeV), plus ``label`` (1 = signal). The PAWS parametric
signal files add the signal parameters ``mx`` and ``my`` in GeV.

Every reader ends in the feature table of the package: jet masses ``mj1 >= mj2`` in TeV, the
N-subjettiness ratios of each jet moved with its jet, and the dijet mass ``mjj`` in TeV.

Zero N-subjettiness rule: both ratios of a jet (tau21 = tau2/tau1 and tau32 = tau3/tau2) are set
to 0 unless tau1 > 0 and tau2 > 0. A jet with one constituent has tau1 = tau2 = tau3 = 0 and a
jet with two constituents has tau2 = tau3 = 0, so the ratio would be 0/0. The original PAWS study
used the same value 0. Pass ``zero_tau="drop"`` to drop these events instead.
"""

import logging
import os
import warnings

import h5py
import numpy as np
import pandas as pd

from ..exceptions import DataQualityWarning, InputDataError
from ._columns import (
    DECAY_MODE_COLUMN,
    DECAY_MODES,
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    LHCO_COLUMNS,
    MJJ_COLUMN,
    THETA_COLUMNS,
)

logger = logging.getLogger(__name__)

GEV_PER_TEV = 1000.0

# Jets of LHC Olympics events have |p| of about 1 to 3 TeV (leading-jet pT > 1.2 TeV trigger).
# A median |p| below this value in a file declared in GeV means the file is in TeV, and a median
# above it in a file declared in TeV means the file is in GeV.
MOMENTUM_UNIT_BOUNDARY_GEV = 20.0

# The PAWS mass grid spans 50 to 600 GeV, so a median m_X or m_Y below this value means TeV.
THETA_UNIT_BOUNDARY_GEV = 10.0

UNITS = ("GeV", "TeV")
ZERO_TAU_POLICIES = ("zero", "drop")
NONFINITE_POLICIES = ("drop", "raise")

# Column positions inside one jet's block of LHCO_COLUMNS (px, py, pz, m, tau1, tau2, tau3).
_PX, _PY, _PZ, _M, _TAU1, _TAU2, _TAU3 = range(7)
_JET_WIDTH = 7


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not supported. Use one of {list(choices)}.")


def _check_tolerance(negative_mass_tolerance):
    if not np.isscalar(negative_mass_tolerance) or not negative_mass_tolerance >= 0:
        raise ValueError(
            f"negative_mass_tolerance={negative_mass_tolerance!r} is invalid. "
            "Use a non-negative number of GeV, e.g. 1.0."
        )


# Smallest median jet mass over median jet |p| of a plausible input; see check_momentum_units.
_MIN_MASS_TO_MOMENTUM_RATIO = 1e-3


def check_momentum_units(values, units, source):
    """Raise when the jet momenta of LHCO-layout values do not look like the declared units.

    Parameters
    ----------
    values : ndarray of shape (n_events, 14)
        Finite values of the 14 LHCO columns, in the order of ``LHCO_COLUMNS``.
    units : {"GeV", "TeV"}
        Units that the caller declared for momenta and masses.
    source : str
        Name of the input in messages, e.g. ``"file 'events.h5'"``.

    Raises
    ------
    InputDataError
        If the median jet momentum magnitude |p| is below 20 GeV in a GeV input, or above
        20 (i.e. 20 TeV) in a TeV input, or if the median jet mass is below 1e-3 of the median
        |p| (masses and momenta in different units).
    """
    if values.shape[0] == 0:
        return

    momenta = [values[:, jet * _JET_WIDTH : jet * _JET_WIDTH + 3] for jet in (0, 1)]
    magnitudes = np.concatenate([np.linalg.norm(p, axis=1) for p in momenta])
    median = float(np.median(magnitudes))

    if units == "GeV" and median < MOMENTUM_UNIT_BOUNDARY_GEV:
        raise InputDataError(
            f"The jet momenta of {source} look like TeV, not GeV: the median jet |p| is "
            f"{median:.4g}, while LHC Olympics jets have |p| of about 1000 GeV. Pass units='TeV' "
            "(--units TeV on the command line) if the input is in TeV."
        )
    if units == "TeV" and median > MOMENTUM_UNIT_BOUNDARY_GEV:
        raise InputDataError(
            f"The jet momenta of {source} look like GeV, not TeV: the median jet |p| is "
            f"{median:.4g}, while LHC Olympics jets have |p| of about 1 TeV. Pass units='GeV' "
            "(--units GeV on the command line) if the input is in GeV."
        )

    # Large-radius jets with |p| of a TeV have masses of tens to hundreds of GeV, about 1e-2 to
    # 1e-1 of |p|. A ratio below 1e-3 means masses and momenta are in different units.
    masses = np.concatenate([values[:, jet * _JET_WIDTH + 3] for jet in (0, 1)])
    mass_ratio = float(np.median(masses)) / median if median > 0 else 1.0
    if mass_ratio < _MIN_MASS_TO_MOMENTUM_RATIO:
        raise InputDataError(
            f"The jet masses of {source} look like TeV while the momenta look like {units}: the "
            f"median jet mass is {mass_ratio:.2g} times the median |p|, where LHC Olympics jets "
            "have 0.01 to 0.3. Store masses and momenta in the same units."
        )


def zero_tau_mask(values):
    """Return which events have a jet with tau1 = 0 or tau2 = 0.

    Parameters
    ----------
    values : ndarray of shape (n_events, 14)
        Values of the 14 LHCO columns, in the order of ``LHCO_COLUMNS``.

    Returns
    -------
    mask : ndarray of bool, shape (n_events,)
        True where at least one jet has a ratio tau2/tau1 or tau3/tau2 with a zero denominator.
    """
    mask = np.zeros(values.shape[0], dtype=bool)
    for jet in (0, 1):
        offset = jet * _JET_WIDTH
        mask |= values[:, offset + _TAU1] <= 0
        mask |= values[:, offset + _TAU2] <= 0
    return mask


def _clip_negative_masses(values, units, negative_mass_tolerance, source):
    # Round-off in the jet clustering leaves masses like -1e-5 GeV. A mass below the tolerance
    # means broken input, not round-off.
    scale = 1.0 if units == "GeV" else 1.0 / GEV_PER_TEV
    tolerance = negative_mass_tolerance * scale

    for jet in (0, 1):
        column = LHCO_COLUMNS[jet * _JET_WIDTH + _M]
        masses = values[:, jet * _JET_WIDTH + _M]

        clearly_negative = masses < -tolerance
        if clearly_negative.any():
            raise InputDataError(
                f"Column {column!r} of {source} has {int(clearly_negative.sum())} jet masses "
                f"below -{negative_mass_tolerance:g} GeV (minimum {masses.min():.6g} {units}). "
                "Jet masses cannot be negative. Check the column contents, or raise "
                "negative_mass_tolerance if these are known round-off errors."
            )

        slightly_negative = masses < 0
        n_clipped = int(slightly_negative.sum())
        if n_clipped:
            masses[slightly_negative] = 0.0
            logger.info(
                "Set %d negative %s values of %s (round-off above -%g GeV) to 0.",
                n_clipped,
                column,
                source,
                negative_mass_tolerance,
            )


def lhco_values_to_features(values, *, units, negative_mass_tolerance, source):
    """Compute the six PAWS features and m_JJ from finite values of the 14 LHCO columns.

    Parameters
    ----------
    values : ndarray of shape (n_events, 14)
        Finite values of the LHCO columns in the order of ``LHCO_COLUMNS`` (jets ordered by pT).
        The array is modified in place where masses are clipped.
    units : {"GeV", "TeV"}
        Units of momenta and masses in ``values``.
    negative_mass_tolerance : float
        Masses in [-negative_mass_tolerance, 0) GeV are set to 0 with a logged count.
    source : str
        Name of the input in messages and logs.

    Returns
    -------
    features : ndarray of shape (n_events, 7)
        ``FEATURE_COLUMNS`` followed by ``mjj``: masses in TeV, jets reordered so that
        mj1 >= mj2 with their N-subjettiness ratios, and both ratios of a jet set to 0 unless
        its tau1 > 0 and tau2 > 0.

    Raises
    ------
    InputDataError
        If the momenta do not look like ``units`` or a mass is below -negative_mass_tolerance.
    """
    check_momentum_units(values, units, source)
    _clip_negative_masses(values, units, negative_mass_tolerance, source)

    to_tev = 1.0 / GEV_PER_TEV if units == "GeV" else 1.0
    n_zero_tau = int(zero_tau_mask(values).sum())
    if n_zero_tau:
        logger.info(
            "Set the N-subjettiness ratios of jets with tau1 = 0 or tau2 = 0 to 0 in %d of %d "
            "events of %s.",
            n_zero_tau,
            values.shape[0],
            source,
        )

    jets = []
    for jet in (0, 1):
        block = values[:, jet * _JET_WIDTH : (jet + 1) * _JET_WIDTH]
        momentum = block[:, _PX : _PZ + 1] * to_tev
        mass = block[:, _M] * to_tev
        tau1, tau2, tau3 = block[:, _TAU1], block[:, _TAU2], block[:, _TAU3]

        defined = (tau1 > 0) & (tau2 > 0)
        tau21 = np.divide(tau2, tau1, out=np.zeros_like(tau2), where=defined)
        tau32 = np.divide(tau3, tau2, out=np.zeros_like(tau3), where=defined)

        energy = np.sqrt(np.sum(momentum**2, axis=1) + mass**2)
        jets.append((momentum, mass, energy, tau21, tau32))

    (p1, m1, e1, tau21_1, tau32_1), (p2, m2, e2, tau21_2, tau32_2) = jets

    mjj_squared = (e1 + e2) ** 2 - np.sum((p1 + p2) ** 2, axis=1)
    mjj = np.sqrt(np.clip(mjj_squared, 0.0, None))

    # The files order jets by pT, but PAWS orders them by mass. Each jet keeps its own ratios.
    swap = m2 > m1
    heavy_first = [
        np.where(swap, m2, m1),
        np.where(swap, m1, m2),
        np.where(swap, tau21_2, tau21_1),
        np.where(swap, tau21_1, tau21_2),
        np.where(swap, tau32_2, tau32_1),
        np.where(swap, tau32_1, tau32_2),
    ]
    return np.column_stack([*heavy_first, mjj])


def _missing_columns_error(missing, found, source, layout):
    return InputDataError(
        f"{source} is missing the columns {missing} of the {layout}. Columns found: {list(found)}. "
        "Rename the columns to this layout (px, py, pz, m, tau1, tau2, tau3 of each jet in GeV, "
        "jets ordered by pT), or use the reader for the layout of this input."
    )


def _check_label(label, source):
    values = np.unique(label)
    unexpected = values[~np.isin(values, (0, 1))]
    if unexpected.size:
        raise InputDataError(
            f"Column {LABEL_COLUMN!r} of {source} contains {unexpected[:5].tolist()}, but a "
            "label must be 0 (background) or 1 (signal). Drop or recode the column."
        )
    return label.astype(np.int64)


def _check_theta_units(table, source):
    for column in THETA_COLUMNS:
        median = float(np.median(table[column].to_numpy(dtype=float)))
        if median < THETA_UNIT_BOUNDARY_GEV:
            raise InputDataError(
                f"Column {column!r} of {source} looks like TeV, not GeV: its median is "
                f"{median:.4g}, while the PAWS signal masses span 50 to 600 GeV. Multiply the "
                "column by 1000."
            )


def _drop_rows(table, drop, reason, source):
    n_dropped = int(drop.sum())
    if n_dropped:
        message = f"Dropped {n_dropped} of {len(table)} events of {source} because {reason}."
        logger.info(message)
        warnings.warn(message, DataQualityWarning, stacklevel=4)
    return table.loc[~drop]


def _compute_features(
    table,
    *,
    units,
    zero_tau,
    nonfinite,
    negative_mass_tolerance,
    source,
    layout="LHC Olympics features layout",
    required=(),
):
    _check_choice("units", units, UNITS)
    _check_choice("zero_tau", zero_tau, ZERO_TAU_POLICIES)
    _check_choice("nonfinite", nonfinite, NONFINITE_POLICIES)
    _check_tolerance(negative_mass_tolerance)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"Expected a pandas DataFrame in the LHC Olympics layout, got {type(table).__name__}."
        )

    expected = [*LHCO_COLUMNS, *required]
    missing = [column for column in expected if column not in table.columns]
    if missing:
        raise _missing_columns_error(missing, table.columns, source, layout)

    carried = [c for c in (LABEL_COLUMN, *THETA_COLUMNS) if c in table.columns]
    numeric = [*LHCO_COLUMNS, *carried]
    not_numeric = [c for c in numeric if not pd.api.types.is_numeric_dtype(table[c])]
    if not_numeric:
        raise InputDataError(
            f"Columns {not_numeric} of {source} are not numeric (dtypes "
            f"{[str(table[c].dtype) for c in not_numeric]}). Convert them with pd.to_numeric."
        )

    not_finite = ~np.isfinite(table[numeric].to_numpy(dtype=float)).all(axis=1)
    if len(table) and not_finite.all():
        empty_columns = [c for c in numeric if not np.isfinite(table[c].to_numpy(float)).any()]
        raise InputDataError(
            f"Every event of {source} has NaN or inf values, so none is usable; the columns "
            f"{empty_columns} have no finite value at all. Repair or recompute those columns."
        )
    if not_finite.any() and nonfinite == "raise":
        bad_columns = [c for c in numeric if not np.isfinite(table[c].to_numpy(float)).all()]
        raise InputDataError(
            f"{int(not_finite.sum())} events of {source} contain NaN or inf values, in the "
            f"columns {bad_columns}. Drop these events, or pass nonfinite='drop'."
        )
    table = _drop_rows(table, not_finite, "they contain NaN or inf values", source)

    if zero_tau == "drop":
        zero = zero_tau_mask(table[list(LHCO_COLUMNS)].to_numpy(dtype=float))
        table = _drop_rows(table, zero, "a jet has tau1 = 0 or tau2 = 0 (zero_tau='drop')", source)

    values = table[list(LHCO_COLUMNS)].to_numpy(dtype=np.float64, copy=True)
    features = lhco_values_to_features(
        values, units=units, negative_mass_tolerance=negative_mass_tolerance, source=source
    )
    result = pd.DataFrame(features, columns=[*FEATURE_COLUMNS, MJJ_COLUMN], index=table.index)

    if LABEL_COLUMN in table.columns:
        result[LABEL_COLUMN] = _check_label(table[LABEL_COLUMN].to_numpy(), source)
    theta = [c for c in THETA_COLUMNS if c in table.columns]
    if len(theta) == len(THETA_COLUMNS) and len(table):
        _check_theta_units(table, source)
    for column in theta:
        result[column] = table[column].to_numpy(dtype=np.float64)
    if DECAY_MODE_COLUMN in table.columns:
        result[DECAY_MODE_COLUMN] = table[DECAY_MODE_COLUMN].to_numpy()

    return result


def compute_paws_features(
    df, *, units="GeV", zero_tau="zero", nonfinite="drop", negative_mass_tolerance=1.0
):
    """Compute the PAWS feature table from a DataFrame in the LHC Olympics features layout.

    Parameters
    ----------
    df : pandas.DataFrame
        Events with the columns ``pxj1, pyj1, pzj1, mj1, tau1j1, tau2j1, tau3j1`` and the same for
        ``j2``, jets ordered by pT as in the official files. Columns ``label``, ``mx``, ``my`` and
        ``decay_mode`` are carried over when present. Other columns are ignored.
    units : {"GeV", "TeV"}, default="GeV"
        Units of the momenta and masses in ``df``. The official files are in GeV.
    zero_tau : {"zero", "drop"}, default="zero"
        Rule for a jet with tau1 = 0 or tau2 = 0, where a ratio is 0/0: ``"zero"`` sets both
        ratios of that jet to 0 (the PAWS convention) and logs the count at INFO level,
        ``"drop"`` drops the event with a :class:`~sklearn_paws.exceptions.DataQualityWarning`.
    nonfinite : {"drop", "raise"}, default="drop"
        Rule for events with NaN or inf in a used column: ``"drop"`` drops them with a
        :class:`~sklearn_paws.exceptions.DataQualityWarning`, ``"raise"`` raises
        :class:`~sklearn_paws.exceptions.InputDataError`.
    negative_mass_tolerance : float, default=1.0
        Jet masses in [-negative_mass_tolerance, 0) GeV are round-off and are set to 0 with a
        count logged at INFO level. Lower masses raise InputDataError.

    Returns
    -------
    features : pandas.DataFrame
        The index of ``df`` (less dropped events) and the columns ``mj1, mj2`` (jet masses in
        TeV, jets reordered so that mj1 >= mj2), ``tau21j1, tau21j2, tau32j1, tau32j2``
        (tau2/tau1 and tau3/tau2 of each jet, moved with its jet), ``mjj`` (dijet invariant mass
        in TeV), then ``label`` (int64, 0 or 1), ``mx`` and ``my`` (GeV) and ``decay_mode`` when
        ``df`` has them.

    Raises
    ------
    InputDataError
        If columns are missing or not numeric, momenta do not look like ``units`` (a median jet
        |p| below 20 GeV with ``units="GeV"``, or above 20 TeV with ``units="TeV"``), a mass is
        below -negative_mass_tolerance GeV, a label is not 0 or 1, the median ``mx`` or ``my``
        is below 10 (TeV values), or ``nonfinite="raise"`` and an event has NaN or inf.
    ValueError
        If an argument has an unsupported value.
    TypeError
        If ``df`` is not a pandas DataFrame.
    """
    return _compute_features(
        df,
        units=units,
        zero_tau=zero_tau,
        nonfinite=nonfinite,
        negative_mass_tolerance=negative_mass_tolerance,
        source="the DataFrame",
    )


def _normalise_key(key):
    return key if key.startswith("/") else "/" + key


def _read_store(path, key):
    with pd.HDFStore(path, mode="r") as store:
        keys = store.keys()
        if not keys:
            with h5py.File(path, "r") as handle:
                names = list(handle.keys())
            raise InputDataError(
                f"{path!r} contains no pandas table (HDF5 groups found: {names}). Write the table "
                "with DataFrame.to_hdf, or read the datasets with h5py and call "
                "compute_paws_features."
            )

        if key is None:
            if len(keys) > 1:
                raise InputDataError(
                    f"{path!r} contains several tables {keys}. Pass key= (--key on the command line) "
                    "with one of them."
                )
            key = keys[0]
        elif _normalise_key(key) not in keys:
            raise InputDataError(
                f"{path!r} has no table with key {key!r}. Its keys are {keys}. On the command line, "
                "--key applies to every input file, so store the tables of all inputs under one key."
            )

        try:
            table = store.get(key)
        except (TypeError, ValueError, KeyError, OSError, RuntimeError) as error:
            raise InputDataError(
                f"Could not read the table {key!r} of {path!r} with pandas ({error})."
            ) from error
    return table, key


def _read_hdf_table(path, key):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"Expected an HDF5 file, got the directory {path!r}.")
    if not h5py.is_hdf5(path):
        raise InputDataError(
            f"{path!r} is not an HDF5 file. The reader expects a pandas HDF5 file as written by "
            "DataFrame.to_hdf. Read other formats with pandas and call compute_paws_features."
        )

    try:
        table, key = _read_store(path, key)
    except InputDataError:
        raise
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
        # PyTables reports a truncated or damaged file as HDF5ExtError (a RuntimeError) or OSError.
        raise InputDataError(
            f"Could not read {path!r}: the HDF5 file is damaged or truncated ({type(error).__name__}). "
            "Copy or download it again."
        ) from error

    if not isinstance(table, pd.DataFrame):
        raise InputDataError(
            f"The object {key!r} of {path!r} is a {type(table).__name__}, not a DataFrame."
        )
    return table, f"file {path!r} (key {key!r})"


def _check_not_empty(features, n_read, source):
    if len(features) == 0:
        raise InputDataError(
            f"{source} has no usable events ({n_read} events read, all dropped or none stored)."
        )


def read_lhco_features(
    path,
    key=None,
    *,
    units="GeV",
    zero_tau="zero",
    nonfinite="drop",
    negative_mass_tolerance=1.0,
):
    """Read a file in the LHC Olympics features layout into the PAWS feature table.

    Parameters
    ----------
    path : str or os.PathLike
        pandas HDF5 file with the columns ``pxj1, pyj1, pzj1, mj1, tau1j1, tau2j1, tau3j1``, the
        same for ``j2`` (momenta and masses in GeV, jets ordered by pT) and optionally
        ``label``, as in the official LHC Olympics 2020 files.
    key : str, optional
        HDF5 key of the table, e.g. ``"df"``. None reads the only table in the file.
    units : {"GeV", "TeV"}, default="GeV"
        Units of the momenta and masses in the file.
    zero_tau : {"zero", "drop"}, default="zero"
        Rule for a jet with tau1 = 0 or tau2 = 0: ``"zero"`` sets both ratios of the jet to 0
        (logged at INFO level), ``"drop"`` drops the event with a DataQualityWarning.
    nonfinite : {"drop", "raise"}, default="drop"
        Rule for events with NaN or inf: drop them with a DataQualityWarning, or raise.
    negative_mass_tolerance : float, default=1.0
        Jet masses in [-negative_mass_tolerance, 0) GeV are set to 0 with a logged count.
        Lower masses raise InputDataError.

    Returns
    -------
    features : pandas.DataFrame
        Columns ``mj1, mj2`` (TeV, mj1 >= mj2), ``tau21j1, tau21j2, tau32j1, tau32j2`` (moved
        with their jet), ``mjj`` (TeV) and ``label`` when the file has it. The index is the
        file's index less the dropped events. See :func:`compute_paws_features`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InputDataError
        If the file is not HDF5, has no pandas table, has several tables and ``key`` is None,
        lacks ``key``, or its contents are invalid (see :func:`compute_paws_features`), or no
        event is left.
    """
    table, source = _read_hdf_table(path, key)
    features = _compute_features(
        table,
        units=units,
        zero_tau=zero_tau,
        nonfinite=nonfinite,
        negative_mass_tolerance=negative_mass_tolerance,
        source=source,
    )
    _check_not_empty(features, len(table), source)
    logger.info("Read %d events from %s.", len(features), source)
    return features


def read_paws_signal(
    path,
    key=None,
    *,
    decay_mode=None,
    units="GeV",
    zero_tau="zero",
    nonfinite="drop",
    negative_mass_tolerance=1.0,
):
    """Read a file in the PAWS parametric signal layout into the PAWS feature table with theta.

    Parameters
    ----------
    path : str or os.PathLike
        pandas HDF5 file in the LHC Olympics features layout (GeV, jets ordered by pT) with the
        extra columns ``mx`` and ``my``: the masses of X and Y of each event in GeV.
    key : str, optional
        HDF5 key of the table. None reads the only table in the file.
    decay_mode : {"qq", "qqq"}, optional
        Decay of Y in this file, stored in the column ``decay_mode`` of every event. None adds
        no such column.
    units : {"GeV", "TeV"}, default="GeV"
        Units of the jet momenta and masses in the file. ``mx`` and ``my`` are always in GeV.
    zero_tau : {"zero", "drop"}, default="zero"
        Rule for a jet with tau1 = 0 or tau2 = 0, as in :func:`read_lhco_features`.
    nonfinite : {"drop", "raise"}, default="drop"
        Rule for events with NaN or inf, as in :func:`read_lhco_features`.
    negative_mass_tolerance : float, default=1.0
        Round-off tolerance for negative jet masses in GeV, as in :func:`read_lhco_features`.

    Returns
    -------
    features : pandas.DataFrame
        The columns of :func:`read_lhco_features`, then ``mx`` and ``my`` (GeV) and
        ``decay_mode`` when requested. ``label`` is 1 for every event when the file has no
        ``label`` column, because the layout contains signal only.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InputDataError
        As :func:`read_lhco_features`, and if ``mx`` or ``my`` are missing or look like TeV.
    ValueError
        If ``decay_mode`` is not None, ``"qq"`` or ``"qqq"``.
    """
    if decay_mode is not None:
        _check_choice("decay_mode", decay_mode, DECAY_MODES)

    table, source = _read_hdf_table(path, key)
    features = _compute_features(
        table,
        units=units,
        zero_tau=zero_tau,
        nonfinite=nonfinite,
        negative_mass_tolerance=negative_mass_tolerance,
        source=source,
        layout="PAWS parametric signal layout",
        required=THETA_COLUMNS,
    )
    _check_not_empty(features, len(table), source)

    if LABEL_COLUMN not in features.columns:
        features.insert(len(FEATURE_COLUMNS) + 1, LABEL_COLUMN, np.ones(len(features), np.int64))
    if decay_mode is not None:
        features[DECAY_MODE_COLUMN] = decay_mode

    logger.info("Read %d signal events from %s.", len(features), source)
    return features


def select_signal_region(df, mjj_min=3.3, mjj_max=3.7):
    """Select the events with mjj_min < m_JJ < mjj_max.

    Parameters
    ----------
    df : pandas.DataFrame
        Feature table with the column ``mjj`` in TeV, e.g. from :func:`read_lhco_features`.
    mjj_min, mjj_max : float, default=3.3, 3.7
        Bounds of the signal region in TeV, both excluded. The defaults are the LHC Olympics
        R&D signal region around the 3.5 TeV W'.

    Returns
    -------
    selected : pandas.DataFrame
        A copy of the selected rows, with their index. The numbers of kept and read events are
        logged at INFO level.

    Raises
    ------
    InputDataError
        If ``df`` has no ``mjj`` column or no event falls in the signal region.
    ValueError
        If ``mjj_min >= mjj_max``.
    TypeError
        If ``df`` is not a pandas DataFrame.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Expected a pandas DataFrame with an mjj column, got {type(df).__name__}.")
    if not mjj_min < mjj_max:
        raise ValueError(f"mjj_min={mjj_min!r} must be below mjj_max={mjj_max!r} (both in TeV).")
    if MJJ_COLUMN not in df.columns:
        raise InputDataError(
            f"The table has no column {MJJ_COLUMN!r} (columns: {list(df.columns)}). Read the "
            "events with read_lhco_features or compute_paws_features, which add it in TeV."
        )

    mjj = df[MJJ_COLUMN].to_numpy(dtype=float)
    inside = (mjj > mjj_min) & (mjj < mjj_max)
    n_kept = int(inside.sum())
    logger.info(
        "Kept %d of %d events in the signal region %g < mjj < %g TeV.",
        n_kept,
        len(df),
        mjj_min,
        mjj_max,
    )

    if n_kept == 0:
        if len(df) == 0:
            found = "the table has no events"
        else:
            low, high = np.nanmin(mjj), np.nanmax(mjj)
            found = f"mjj of the {len(df)} events spans {low:.4g} to {high:.4g}"
        raise InputDataError(
            f"No event in the signal region {mjj_min:g} < mjj < {mjj_max:g} TeV: {found}. Both "
            "mjj and the bounds must be in TeV. An mjj in GeV (values in the thousands) means the "
            "table was not made by read_lhco_features or compute_paws_features."
        )

    return df.loc[inside].copy()
