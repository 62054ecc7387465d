"""Inputs of the study: pre-training samples, the background pool and the signal pools."""

import dataclasses
import hashlib
import json
import logging

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ..datasets._columns import (
    DECAY_MODE_COLUMN,
    DECAY_MODES,
    FEATURE_COLUMNS,
    THETA_COLUMNS,
    THREE_PRONG,
    TWO_PRONG,
)
from ..exceptions import InputDataError

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class StudyData:
    """Events of a study, kept apart so that no event is used both to pre-train and to test.

    Attributes
    ----------
    prior_background : pandas.DataFrame
        Background for pre-training the priors and the supervised baseline.
    prior_signal : dict of str to pandas.DataFrame
        Grid signal per decay mode for pre-training, with ``mx``, ``my`` in GeV.
    study_background : pandas.DataFrame
        Background from which the splitter builds data D, reference R and the test set.
    study_signal : dict of (float, float) to pandas.DataFrame
        Signal at each mass point, both decay modes, with a ``decay_mode`` column. Half of it trains
        the supervised baseline, the other half is injected into D or held out for testing.
    source : str
        Where the events come from, for the report.
    supervised_background : pandas.DataFrame or None
        Background that trains the supervised baseline; None means ``prior_background``.
    notes : list of str
        Caveats about the inputs, repeated in the report.
    comparison : pandas.DataFrame or None
        Feature medians of simulated and real events, for a study on a user's file.
    """

    prior_background: pd.DataFrame
    prior_signal: dict
    study_background: pd.DataFrame
    study_signal: dict
    source: str
    supervised_background: pd.DataFrame | None = None
    notes: list = dataclasses.field(default_factory=list)
    comparison: pd.DataFrame | None = None

    def summary(self):
        """Return the event counts as a dict, for logs and the report."""
        counts = {
            "prior_background": len(self.prior_background),
            "study_background": len(self.study_background),
        }
        for mode, frame in self.prior_signal.items():
            counts[f"prior_signal_{mode}"] = len(frame)
        for (mx, my), frame in self.study_signal.items():
            for mode in DECAY_MODES:
                counts[f"study_signal_{mx:.0f}_{my:.0f}_{mode}"] = int((frame[DECAY_MODE_COLUMN] == mode).sum())
        return counts

    def fingerprint(self, *, prior_only=False, without_study_signal=False):
        """Return a short hash of the event counts and the source.

        Cached models and results are reused only while it is unchanged, so that they are
        recomputed when, for example, the default dataset has grown.

        Parameters
        ----------
        prior_only : bool, default=False
            Hash only the pre-training samples, for the cache of the priors.
        without_study_signal : bool, default=False
            Leave out the signal counts of the selected mass points, which depend on the selection
            and not on the input, for the store of finished cells.

        Returns
        -------
        fingerprint : str
        """
        counts = self.summary()
        if prior_only:
            counts = {name: value for name, value in counts.items() if name.startswith("prior_")}
        else:
            counts["source"] = self.source
        if without_study_signal:
            counts = {name: value for name, value in counts.items() if not name.startswith("study_signal_")}
        text = json.dumps(counts, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:8]


def split_background(background, prior_fraction, random_state):
    """Split background events into a pre-training part and a study part.

    Parameters
    ----------
    background : pandas.DataFrame
        Background events.
    prior_fraction : float
        Fraction that goes to pre-training.
    random_state : int
        Seed of the split.

    Returns
    -------
    prior, study : pandas.DataFrame
    """
    rng = check_random_state(random_state)
    order = rng.permutation(len(background))
    n_prior = int(round(prior_fraction * len(background)))
    prior = background.iloc[order[:n_prior]].reset_index(drop=True)
    study = background.iloc[order[n_prior:]].reset_index(drop=True)
    return prior, study


def study_data_from_default(mass_points, *, max_background=None, prior_fraction=0.5, random_state=0,
                            dataset=None):
    """Build the study inputs from the embedded default dataset.

    The default background is split: by default one half pre-trains, the other forms D, R and the
    test set. The grid signal pre-trains the priors; the separate test signal samples are injected.

    Parameters
    ----------
    mass_points : sequence of (float, float)
        Mass points of the study, in GeV. Each needs a test signal sample in the default dataset.
    max_background : int or None, default=None
        Cap on the study background.
    prior_fraction : float, default=0.5
        Fraction of the background that pre-trains. 1.0 gives all of it to pre-training, for a
        study whose D, R and test events come from elsewhere (a user's file).
    random_state : int, default=0
        Seed of the background split.
    dataset : DefaultDataset, default=None
        The default dataset, when the caller has loaded it already; ``None`` loads it.

    Returns
    -------
    data : StudyData

    Raises
    ------
    ValueError
        If `prior_fraction` is not in (0, 1].
    InputDataError
        If a mass point has no test signal in the default dataset.
    """
    from ..datasets._default import load_default

    if not 0.0 < prior_fraction <= 1.0:
        raise ValueError(f"prior_fraction must lie in (0, 1], got {prior_fraction}.")
    default = load_default() if dataset is None else dataset
    prior_background, study_background = split_background(default.background, prior_fraction,
                                                          random_state)
    if max_background is not None and len(study_background) > max_background:
        study_background = study_background.iloc[:max_background].reset_index(drop=True)

    prior_signal = {
        mode: default.grid_signal[default.grid_signal[DECAY_MODE_COLUMN] == mode].reset_index(drop=True)
        for mode in DECAY_MODES
    }
    study_signal = {}
    for mx, my in mass_points:
        test = default.test_signal
        selected = test[(test[THETA_COLUMNS[0]] == mx) & (test[THETA_COLUMNS[1]] == my)]
        if selected.empty:
            available = sorted(set(zip(test[THETA_COLUMNS[0]], test[THETA_COLUMNS[1]])))
            raise InputDataError(
                f"The default dataset has no test signal at (m_X, m_Y) = ({mx:g}, {my:g}) GeV; "
                f"available points: {available}. Choose one of them with --mass-point."
            )
        study_signal[(float(mx), float(my))] = selected.reset_index(drop=True)
    return StudyData(prior_background, prior_signal, study_background, study_signal, "default dataset")


def study_data_from_toy(mass_points, *, n_background=200_000, n_grid_per_point=300,
                        n_signal_per_mode=10_000, random_state=0):
    """Build study inputs from the toy model, for tests and examples that must take seconds.

    Parameters
    ----------
    mass_points : sequence of (float, float)
        Mass points in GeV.
    n_background : int, default=200000
        Background events in total (half pre-trains, half forms the study pool).
    n_grid_per_point : int, default=300
        Grid signal events per mass point and decay mode for pre-training.
    n_signal_per_mode : int, default=10000
        Study signal events per mass point and decay mode.
    random_state : int, default=0
        Seed of every draw.

    Returns
    -------
    data : StudyData
    """
    from ..datasets._toy import make_toy_background, make_toy_grid, make_toy_signal

    rng = check_random_state(random_state)
    seeds = rng.randint(0, 2**31 - 1, size=8)
    background = make_toy_background(n_background, random_state=seeds[0])
    prior_background, study_background = split_background(background, 0.5, seeds[1])
    prior_signal = {
        TWO_PRONG: make_toy_grid(n_events_per_point=n_grid_per_point, decay_mode=TWO_PRONG,
                                 random_state=seeds[2]),
        THREE_PRONG: make_toy_grid(n_events_per_point=n_grid_per_point, decay_mode=THREE_PRONG,
                                   random_state=seeds[3]),
    }
    study_signal = {}
    for index, (mx, my) in enumerate(mass_points):
        frames = [
            make_toy_signal(mx, my, n_signal_per_mode, decay_mode=mode, random_state=seeds[4] + 10 * index + k)
            for k, mode in enumerate(DECAY_MODES)
        ]
        study_signal[(float(mx), float(my))] = pd.concat(frames, ignore_index=True)
    return StudyData(prior_background, prior_signal, study_background, study_signal, "toy model")


def add_noise_features(frame, n_noise, random_state):
    """Return a copy of the feature table with ``n_noise`` standard-normal columns appended.

    Parameters
    ----------
    frame : pandas.DataFrame
        Events.
    n_noise : int
        Number of columns ``noise0 ... noise{n-1}``.
    random_state : int
        Seed of the draw.

    Returns
    -------
    frame : pandas.DataFrame
    """
    if n_noise == 0:
        return frame
    rng = check_random_state(random_state)
    noise = pd.DataFrame(
        rng.standard_normal((len(frame), n_noise)).astype(np.float32),
        columns=[f"noise{index}" for index in range(n_noise)],
        index=frame.index,
    )
    return pd.concat([frame, noise], axis=1)


def feature_columns(n_noise):
    """Return the feature columns of the study's estimators with ``n_noise`` noise columns."""
    return list(FEATURE_COLUMNS) + [f"noise{index}" for index in range(n_noise)]
