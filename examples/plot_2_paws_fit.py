"""
Fit PAWS on data and reference
==============================

:class:`~sklearn_paws.PAWSClassifier` classifies data (background plus a little signal) against
a background-only reference, through frozen pre-trained classifiers, and learns only the signal
masses m_X and m_Y, the signal fraction mu and the three-prong fraction alpha. This example
pre-trains one classifier per decay mode of Y on the toy model, injects signal at
(m_X, m_Y) = (300, 100) GeV, fits PAWS and plots the fitted parameters and the loss landscape.
"""

# %%
# Pre-train one classifier per decay mode
# ---------------------------------------
# As in :ref:`sphx_glr_auto_examples_plot_1_pretrain_and_save.py`, on a 12 x 12 mass grid, then
# calibrated on background held out from training. In practice you would load saved classifiers.
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_paws import ParameterizedClassifier, PAWSClassifier
from sklearn_paws.datasets import (
    FEATURE_COLUMNS,
    THETA_COLUMNS,
    make_toy_background,
    make_toy_grid,
    make_toy_signal,
)
from sklearn_paws.metrics import sic_curve
from sklearn_paws.plotting import plot_loss_landscape

# SKLEARN_PAWS_DOCS_QUICK=1 (set by the documentation build) shrinks samples and epochs.
QUICK = os.environ.get("SKLEARN_PAWS_DOCS_QUICK") == "1"
N_PER_POINT = 150 if QUICK else 1000
N_BACKGROUND = 20_000 if QUICK else 200_000
N_EVENTS = 10_000 if QUICK else 100_000  # background events in data, and in the reference
MU = 0.05 if QUICK else 0.005
TRUE_MX, TRUE_MY, TRUE_ALPHA = 300.0, 100.0, 0.5

features = list(FEATURE_COLUMNS)
columns = [*FEATURE_COLUMNS, *THETA_COLUMNS]
calibration_background = make_toy_background(N_BACKGROUND, random_state=10)[features]

priors = {}
for seed, mode in enumerate(("qq", "qqq")):
    grid = make_toy_grid(n_events_per_point=N_PER_POINT, decay_mode=mode, random_state=seed)
    background = make_toy_background(N_BACKGROUND, random_state=100 + seed)
    events = pd.concat([grid, background], ignore_index=True)
    prior = ParameterizedClassifier(
        hidden_layer_sizes=(64, 64) if QUICK else (256, 128, 64),
        max_epochs=12 if QUICK else 100,
        batch_size=512,
        random_state=seed,
    )
    prior.fit(events[columns], events["label"])
    # kappa(theta) is refitted on held-out signal and background that no gradient step saw.
    held_out_signal = make_toy_grid(n_events_per_point=N_PER_POINT, decay_mode=mode,
                                    random_state=200 + seed)
    held_out = pd.concat([held_out_signal[columns], calibration_background.assign(mx=0.0, my=0.0)],
                         ignore_index=True)
    is_signal = np.r_[np.ones(len(held_out_signal)), np.zeros(len(calibration_background))]
    priors[mode] = prior.calibrate(held_out, is_signal)

# %%
# Data and reference
# ------------------
# The data D are background plus signal at a fraction mu = S / (S + B), half of it with a
# three-prong Y decay. The reference R is background only, as large as the background in D. Both
# carry the six features and no theta.
n_signal = round(MU / (1 - MU) * N_EVENTS)
n_three_prong = round(TRUE_ALPHA * n_signal)
data = pd.concat([
    make_toy_background(N_EVENTS, random_state=20),
    make_toy_signal(TRUE_MX, TRUE_MY, n_signal - n_three_prong, decay_mode="qq", random_state=21),
    make_toy_signal(TRUE_MX, TRUE_MY, n_three_prong, decay_mode="qqq", random_state=22),
], ignore_index=True)
reference = make_toy_background(N_EVENTS, random_state=23)
print(f"data: {N_EVENTS} background + {n_signal} signal events; reference: {len(reference)}")

# %%
# The fit
# -------
# ``fit(data, reference)`` is the same as ``fit(X, y)`` with y = 1 for data and 0 for reference.
# Each restart starts from random masses; the restarts with the lowest validation loss are kept.
paws = PAWSClassifier(
    pretrained=priors,
    n_init=6 if QUICK else 10,
    n_keep=3 if QUICK else 5,
    max_epochs=10 if QUICK else 30,
    verbose=False,
    random_state=0,
)
paws.fit(data[features], reference[features])

print(f"m_X = {paws.mx_:.0f} GeV (true {TRUE_MX:.0f}), "
      f"m_Y = {paws.my_:.0f} GeV (true {TRUE_MY:.0f})")
print(f"mu = {paws.mu_:.4f} (true {MU}), alpha = {paws.alpha_:.2f} (true {TRUE_ALPHA})")
print(f"significance of the fitted signal against mu = 0: {paws.significance_:.1f} sigma")
paws.restarts_

# %%
# With the quick settings of the documentation build (small priors, mu = 5 %, few epochs) the
# fitted masses are rough, and ``mu_`` inherits the calibration error of the small priors. The
# PAWS paper (arXiv:2405.08889) reports mu about twice too large on the LHC Olympics data. Check
# ``mu_`` with injection tests before quoting it as a measurement of the signal fraction.
#
# Each restart as an arrow from its start to its end point. Jets are ordered by mass, so the loss
# has a second minimum at the swapped point (m_Y, m_X). After training, the symmetry check moves a
# restart to its swapped point when that fits the validation data better.
fig, ax = plt.subplots(figsize=(6, 6))
for _, restart in paws.restarts_.iterrows():
    colour = "tab:red" if restart["kept"] else "tab:grey"
    ax.annotate("", xy=(restart["mx"], restart["my"]),
                xytext=(restart["mx_start"], restart["my_start"]),
                arrowprops=dict(arrowstyle="->", color=colour))
ax.plot(TRUE_MX, TRUE_MY, marker="*", color="black", markersize=14, linestyle="", label="truth")
ax.plot([50, 600], [50, 600], color="grey", linestyle=":", linewidth=1, label="$m_X = m_Y$")
ax.set_xlim(0, 650)
ax.set_ylim(0, 650)
ax.set_xlabel("$m_X$ [GeV]")
ax.set_ylabel("$m_Y$ [GeV]")
ax.set_title("restarts: kept (red) and dropped (grey)", fontsize=11)
ax.legend()

# %%
# The loss landscape
# ------------------
# The weakly supervised loss on a grid of masses at the fitted mu and alpha, shifted by log 2 (the
# loss of mu = 0) and scaled by 1e5. It needs only the pre-trained classifiers.
masses = np.linspace(50, 600, 8 if QUICK else 23)
landscape = paws.loss_landscape(data[features], reference[features], masses, masses)
# plot_loss_landscape draws the column ``loss`` as it is, so it gets the scaled loss.
fig = plot_loss_landscape(landscape.assign(loss=landscape["scaled_loss"]),
                          truth=(TRUE_MX, TRUE_MY), title="PAWS loss at the fitted mu and alpha")
fig.tight_layout()

# %%
# Scoring events
# --------------
# ``predict_proba(X)[:, 1]`` is P(data), high for signal-like events. On fresh events with known
# truth, the significance improvement SIC = eps_S / sqrt(eps_B) shows how much a cut on it helps.
test = pd.concat([
    make_toy_background(N_EVENTS, random_state=30),
    make_toy_signal(TRUE_MX, TRUE_MY, 1000, decay_mode="qq", random_state=31),
    make_toy_signal(TRUE_MX, TRUE_MY, 1000, decay_mode="qqq", random_state=32),
], ignore_index=True)
sic, fpr, tpr, _ = sic_curve(test["label"], paws.predict_proba(test[features])[:, 1])
usable = fpr >= 10 / N_EVENTS  # at least 10 background events pass
fig, ax = plt.subplots()
ax.plot(tpr[usable], sic[usable])
ax.set_xlabel(r"signal efficiency $\epsilon_S$")
ax.set_ylabel(r"SIC = $\epsilon_S / \epsilon_B^{1/2}$")
