"""The split of the embedded default dataset that the prior benchmarks share.

Both ``bench_calibration_default.py`` and ``bench_prior_sic_default.py`` train two-prong priors on
the grid signal and 70 % of the default background, then evaluate them on the other 30 %, which no
prior saw, and on the test signal at three mass points. One split keeps their figures comparable.
"""

import numpy as np
import torch

from sklearn_paws.datasets import load_default
from sklearn_paws.datasets._columns import DECAY_MODE_COLUMN

#: Test mass points (m_X, m_Y) in GeV, each with dedicated test signal in the default dataset.
POINTS = ((300, 300), (100, 500), (500, 100))

#: Fraction of the default background held out from every prior.
HELD_OUT_FRACTION = 0.3


def split_default(transform=None, threads=2):
    """Load the default dataset and split its background into training and held-out events.

    Parameters
    ----------
    transform : callable or None
        ``transform(events, random_state)`` applied to the background, the two-prong grid signal and
        the test signal before the split, with seeds 1, 2 and 3, e.g. to append noise columns.
    threads : int
        torch intra-op threads for the training that follows.

    Returns
    -------
    dataset : DefaultDataset
        The loaded dataset, unchanged.
    grid : DataFrame
        Two-prong grid signal, the priors' signal.
    training, held_out : DataFrame
        70 % and 30 % of the shuffled background (seed 0).
    test_signal : DataFrame
        Test signal of both decay modes; select a point with :func:`point_signal`.
    """
    torch.set_num_threads(threads)
    transform = transform or (lambda events, random_state: events)

    dataset = load_default()
    background = transform(dataset.background, 1)
    background = background.sample(frac=1.0, random_state=0).reset_index(drop=True)
    n_held_out = int(HELD_OUT_FRACTION * len(background))
    held_out, training = background.iloc[:n_held_out], background.iloc[n_held_out:]

    grid = transform(dataset.grid_signal[dataset.grid_signal[DECAY_MODE_COLUMN] == "qq"], 2)
    test_signal = transform(dataset.test_signal, 3)
    print(f"{repr(dataset)}\n{len(grid)} grid signal, {len(training)} training and {len(held_out)} "
          f"held-out background events; {int(len(held_out) * 1e-3)} held-out background events pass "
          "eps_B = 1e-3")
    return dataset, grid, training, held_out, test_signal


def point_signal(test_signal, mx, my, decay_mode="qq"):
    """Return the test signal of one decay mode at (m_X, m_Y) = (``mx``, ``my``) GeV."""
    selected = ((test_signal[DECAY_MODE_COLUMN] == decay_mode)
                & np.isclose(test_signal["mx"], mx) & np.isclose(test_signal["my"], my))
    return test_signal[selected]
