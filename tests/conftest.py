"""Fixtures shared by the test modules."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_paws.datasets import LABEL_COLUMN, LHCO_COLUMNS

# The shared data folder is beside the repository. Tests that need it skip when it is absent.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def make_lhco_events(n_events=200, random_state=0):
    """Make events in the official LHC Olympics features layout (GeV, jets ordered by pT).

    The leading jet has pT of 1.3 to 1.8 TeV and the other jet 70 to 100 % of it. Each jet has
    |eta| < 1.5, a mass of 20 to 600 GeV and tau1 > tau2 > tau3 > 0. The label is 1 for every
    fifth event.

    Parameters
    ----------
    n_events : int, default=200
        Number of events.
    random_state : int, default=0
        Seed of the generator.

    Returns
    -------
    events : pandas.DataFrame
        The 14 columns of ``LHCO_COLUMNS`` and ``label`` (float, as in the official files).
    """
    rng = np.random.default_rng(random_state)

    columns = {}
    pt_leading = rng.uniform(1300.0, 1800.0, n_events)
    phi = rng.uniform(-np.pi, np.pi, n_events)
    for jet in (1, 2):
        pt = pt_leading if jet == 1 else pt_leading * rng.uniform(0.7, 1.0, n_events)
        direction = phi if jet == 1 else phi + np.pi + rng.normal(0.0, 0.1, n_events)
        eta = rng.uniform(-1.5, 1.5, n_events)
        tau1 = rng.uniform(0.1, 0.5, n_events)
        tau2 = tau1 * rng.uniform(0.1, 0.9, n_events)
        tau3 = tau2 * rng.uniform(0.3, 0.9, n_events)

        columns[f"pxj{jet}"] = pt * np.cos(direction)
        columns[f"pyj{jet}"] = pt * np.sin(direction)
        columns[f"pzj{jet}"] = pt * np.sinh(eta)
        columns[f"mj{jet}"] = rng.uniform(20.0, 600.0, n_events)
        columns[f"tau1j{jet}"] = tau1
        columns[f"tau2j{jet}"] = tau2
        columns[f"tau3j{jet}"] = tau3

    events = pd.DataFrame(columns)[list(LHCO_COLUMNS)]
    events[LABEL_COLUMN] = (np.arange(n_events) % 5 == 0).astype(float)
    return events


@pytest.fixture
def lhco_events():
    """Return 200 events in the LHC Olympics features layout (see make_lhco_events)."""
    return make_lhco_events()


@pytest.fixture
def write_hdf(tmp_path):
    """Return a function that writes a DataFrame to a pandas HDF5 file under tmp_path."""

    def write(df, name="events.h5", key="df"):
        path = tmp_path / name
        df.to_hdf(path, key=key)
        return path

    return write


@pytest.fixture(scope="session")
def lhco_subset_path():
    """Return the path of the real LHC Olympics R&D subset, or skip when it is absent."""
    path = SHARED_DATA / "lhco_rnd_subset.h5"
    if not path.is_file():
        pytest.skip(f"real-data file {path} is absent")
    return path
