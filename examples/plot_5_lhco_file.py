"""
Read a file in the official LHC Olympics layout
===============================================

The LHC Olympics 2020 features files are pandas HDF5 tables with, for the two leading jets in pT,
the columns ``pxj1, pyj1, pzj1, mj1, tau1j1, tau2j1, tau3j1``, the same for ``j2`` (GeV) and
``label``. This example reads such a file into the PAWS feature table, selects the signal
region, looks at the features, and trains a supervised classifier on the raw columns through
:class:`~sklearn_paws.datasets.LHCOFeatureTransformer` in a ``Pipeline``.

It reads ``lhco_rnd_subset.h5`` (50,000 events of the R&D dataset) from the folder ``shared/data``
beside the repository. When that file is absent, it writes a small file in the same layout from
the toy model.
"""

# %%
# Find or write the file
# ----------------------
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_paws.datasets import (
    LHCO_COLUMNS,
    LHCOFeatureTransformer,
    make_toy_background,
    make_toy_signal,
    read_lhco_features,
    select_signal_region,
)
from sklearn_paws.metrics import SICScorer

try:
    EXAMPLES_DIR = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery runs the examples from their folder, without __file__
    EXAMPLES_DIR = Path.cwd()
REAL_FILE = EXAMPLES_DIR.parents[1] / "shared" / "data" / "lhco_rnd_subset.h5"

# SKLEARN_PAWS_DOCS_QUICK=1 (set by the documentation build) shrinks the file written when the
# real one is absent. The real file is always read whole: it takes seconds.
QUICK = os.environ.get("SKLEARN_PAWS_DOCS_QUICK") == "1"
N_TOY_BACKGROUND = 20_000 if QUICK else 45_000


def write_lhco_file(path, n_background, n_signal, random_state=0):
    """Write toy events in the official LHC Olympics features layout (GeV, jets ordered by pT).

    The jet masses and N-subjettiness ratios come from the toy model. The two jets are back to
    back in phi with equal transverse momenta of 1.2 to 1.6 TeV, and the difference of their
    pseudorapidities sets the dijet mass to about the m_JJ of the toy event (exactly, for massless
    jets).
    """
    rng = np.random.default_rng(random_state)
    toy = pd.concat([
        make_toy_background(n_background, random_state=random_state),
        make_toy_signal(500, 100, n_signal, random_state=random_state + 1),
    ], ignore_index=True)
    n_events = len(toy)

    masses = toy[["mj1", "mj2"]].to_numpy() * 1000.0
    taus = {}
    for jet in (1, 2):
        tau1 = rng.uniform(0.2, 0.6, n_events)
        tau2 = tau1 * toy[f"tau21j{jet}"].to_numpy()
        taus[jet] = (tau1, tau2, tau2 * toy[f"tau32j{jet}"].to_numpy())

    # Massless approximation: m_JJ = 2 pT cosh(delta_eta / 2) for back-to-back jets of equal pT.
    pt = rng.uniform(1200.0, 1600.0, n_events)
    mjj = toy["mjj"].to_numpy() * 1000.0
    half_gap = np.arccosh(np.maximum(mjj / (2.0 * pt), 1.0))
    centre = rng.uniform(-0.5, 0.5, n_events)
    phi = rng.uniform(-np.pi, np.pi, n_events)

    columns = {}
    for jet, sign in ((1, 1.0), (2, -1.0)):
        eta = centre + sign * half_gap
        direction = phi + (0.0 if jet == 1 else np.pi)
        columns[f"pxj{jet}"] = pt * np.cos(direction)
        columns[f"pyj{jet}"] = pt * np.sin(direction)
        columns[f"pzj{jet}"] = pt * np.sinh(eta)
        # The toy orders jets by mass; jet 1 of the file takes the heavier one.
        columns[f"mj{jet}"] = masses[:, jet - 1]
        columns[f"tau1j{jet}"], columns[f"tau2j{jet}"], columns[f"tau3j{jet}"] = taus[jet]
    table = pd.DataFrame(columns)[list(LHCO_COLUMNS)]
    table["label"] = toy["label"].to_numpy(dtype=float)
    table.sample(frac=1.0, random_state=random_state).reset_index(drop=True).to_hdf(path, key="df")


temporary = tempfile.TemporaryDirectory()
if REAL_FILE.is_file():
    path = REAL_FILE
    print(f"reading the LHC Olympics R&D subset {path.name}")
else:
    path = Path(temporary.name) / "toy_lhco_layout.h5"
    write_lhco_file(path, n_background=N_TOY_BACKGROUND, n_signal=N_TOY_BACKGROUND // 10)
    print(f"{REAL_FILE} is absent; wrote a toy file in the same layout")

raw = pd.read_hdf(path, key="df")
raw.head()

# %%
# The PAWS feature table
# ----------------------
# :func:`~sklearn_paws.datasets.read_lhco_features` converts momenta and masses to TeV, orders the
# jets by mass, computes tau21 and tau32 per jet and m_JJ, and repairs or drops what it cannot
# use (it logs and warns about each case). The signal region of the R&D signal is
# 3.3 < m_JJ < 3.7 TeV.
events = read_lhco_features(path, key="df")
signal_region = select_signal_region(events)
print(f"{len(events)} events read, {len(signal_region)} in the signal region, "
      f"{int(signal_region['label'].sum())} of them signal")
signal_region.describe().T[["mean", "min", "max"]]

# %%
# Signal and background in the signal region. The R&D signal is W' -> X Y with
# m_X = 500 GeV and m_Y = 100 GeV, both decaying to two quarks: a heavy two-prong jet
# (low tau21) and a lighter one.
fig, axes = plt.subplots(1, 3, figsize=(12, 4))
panels = (("mj1", np.linspace(0, 1, 51), "$m_{J_1}$ [TeV]"),
          ("mj2", np.linspace(0, 1, 51), "$m_{J_2}$ [TeV]"),
          ("tau21j1", np.linspace(0, 1, 51), r"$\tau_{21}^{J_1}$"))
for ax, (column, bins, label) in zip(axes, panels):
    for truth, name in ((0, "background"), (1, "signal")):
        values = signal_region.loc[signal_region["label"] == truth, column]
        ax.hist(values, bins=bins, density=True, histtype="step", label=name)
    ax.set_xlabel(label)
axes[0].legend()
fig.tight_layout()

# %%
# The raw columns in a Pipeline
# -----------------------------
# :class:`~sklearn_paws.datasets.LHCOFeatureTransformer` computes the six PAWS features from the 14
# columns of the official layout, so a pipeline can start from the file's columns. Here it
# feeds a fully supervised classifier, scored with the SIC at eps_B = 1 % on truth labels. Two
# folds keep about 30 background events above the cut in each test fold of the R&D subset.
raw_region = raw.loc[signal_region.index]
pipeline = make_pipeline(LHCOFeatureTransformer(), HistGradientBoostingClassifier(random_state=0))
scores = cross_val_score(
    pipeline,
    raw_region[list(LHCO_COLUMNS)],
    raw_region["label"].astype(int),
    cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=0),
    scoring=SICScorer(background_efficiency=1e-2),
)
print(f"supervised SIC at eps_B = 1 %: {np.round(scores, 1)}")
temporary.cleanup()
