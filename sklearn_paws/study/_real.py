"""Study inputs from a user's LHC Olympics features file with truth labels."""

import logging

import numpy as np

import pandas as pd

from ..datasets._columns import DECAY_MODE_COLUMN, FEATURE_COLUMNS, LABEL_COLUMN, THETA_COLUMNS, TWO_PRONG
from ..exceptions import InputDataError
from ._data import StudyData, split_background

logger = logging.getLogger(__name__)

#: The signal of the LHC Olympics R&D sample: W'(3.5 TeV) -> X(500 GeV) Y(100 GeV), both to qq.
REAL_MASS_POINT = (500.0, 100.0)

# Fraction of the file's background that trains the supervised baseline and is never tested on.
SUPERVISED_BACKGROUND_FRACTION = 0.3


def study_data_from_lhco(path, *, prior_data, random_state=0, key=None, units="GeV"):
    """Build study inputs from a labelled file in the official LHCO features layout.

    The priors are still pre-trained on ``prior_data`` (simulation). The file's signal-region
    background is split: 30 % trains the supervised baseline, the rest forms D, R and the test set.
    Its signal (label 1) is treated as two-prong signal at (m_X, m_Y) = (500, 100) GeV, the LHC
    Olympics R&D signal.

    Parameters
    ----------
    path : str or Path
        The file.
    prior_data : StudyData
        Simulated inputs whose pre-training samples are kept.
    random_state : int, default=0
        Seed of the background split.
    key : str, default=None
        HDF5 key of the table; None reads the only table in the file.
    units : {"GeV", "TeV"}, default="GeV"
        Units of the momenta and masses in the file.

    Returns
    -------
    data : StudyData

    Raises
    ------
    InputDataError
        If the file has no ``label`` column or no signal or background in the signal region.
    """
    from ..datasets._lhco import read_lhco_features, select_signal_region

    events = select_signal_region(read_lhco_features(path, key=key, units=units))
    if LABEL_COLUMN not in events:
        raise InputDataError(
            f"{path} has no '{LABEL_COLUMN}' column, so SIC cannot be measured. Use 'sklearn-paws run' to "
            "fit PAWS on unlabelled data, or add truth labels (1 = signal, 0 = background)."
        )
    labels = events[LABEL_COLUMN].to_numpy()
    n_signal = int(np.sum(labels == 1))
    n_background = int(np.sum(labels == 0))
    if n_signal == 0 or n_background == 0:
        raise InputDataError(
            f"{path} has {n_signal} signal and {n_background} background events in the signal region; "
            "the study needs both."
        )
    background = events[labels == 0].reset_index(drop=True)
    signal = events[labels == 1].reset_index(drop=True)
    signal[DECAY_MODE_COLUMN] = TWO_PRONG
    signal["mx"], signal["my"] = REAL_MASS_POINT
    supervised_background, study_background = split_background(
        background, SUPERVISED_BACKGROUND_FRACTION, random_state
    )
    notes = [
        f"Real events from {path}: {n_background} background and {n_signal} signal events in the signal region.",
        "The priors are trained on simulation (Pythia 8 with a simple detector emulation); differences between "
        "that simulation and the real sample (jet mass scale, N-subjettiness definition and resolution) shift "
        "the likelihood ratio that PAWS relies on, so fitted masses can be biased and PAWS can fall short of "
        "the supervised classifier trained on real events.",
        f"With {len(study_background)} study background events, about a third of which are tested, only a few "
        "background events pass eps_B = 1e-3: the SIC values are dominated by statistics.",
    ]
    logger.info("Real input %s: %d background, %d signal events in the signal region", path, n_background, n_signal)
    comparison = compare_with_simulation(prior_data, background, signal)
    return StudyData(
        prior_background=prior_data.prior_background,
        prior_signal=prior_data.prior_signal,
        study_background=study_background,
        study_signal={REAL_MASS_POINT: signal},
        source=f"real LHCO events from {path}",
        supervised_background=supervised_background,
        notes=notes,
        comparison=comparison,
    )


def compare_with_simulation(prior_data, background, signal):
    """Tabulate the feature medians of simulated and real events side by side.

    Parameters
    ----------
    prior_data : StudyData
        Simulated inputs; their pre-training background and their two-prong grid signal at
        ``REAL_MASS_POINT`` (when present) are compared.
    background, signal : pandas.DataFrame
        Real signal-region background and signal.

    Returns
    -------
    comparison : pandas.DataFrame
        One row per feature (masses in TeV), with the medians of simulated and real background and
        of simulated and real signal; NaN where the simulation has no signal at the mass point.
    """
    simulated_signal = prior_data.prior_signal.get(TWO_PRONG)
    if simulated_signal is not None:
        at_point = ((simulated_signal[THETA_COLUMNS[0]] == REAL_MASS_POINT[0])
                    & (simulated_signal[THETA_COLUMNS[1]] == REAL_MASS_POINT[1]))
        simulated_signal = simulated_signal[at_point]

    def median(frame, column):
        if frame is None or frame.empty:
            return np.nan
        return float(frame[column].median())

    rows = []
    for column in FEATURE_COLUMNS:
        rows.append({
            "feature": column,
            "background_simulated": median(prior_data.prior_background, column),
            "background_real": median(background, column),
            "signal_simulated": median(simulated_signal, column),
            "signal_real": median(signal, column),
        })
    return pd.DataFrame(rows)
