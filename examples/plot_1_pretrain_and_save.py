"""
Pre-train a parameterized classifier and save it
================================================

PAWS starts from a classifier f(x, theta) that has learnt simulated signal at many mass points
theta = (m_X, m_Y) against background. This example trains one
:class:`~sklearn_paws.ParameterizedClassifier` on the toy model, checks that its likelihood ratio
is calibrated, and saves it to a file for later PAWS fits.
"""

# %%
# Signal on a mass grid, and background
# -------------------------------------
# The signal is drawn at every point of the 12 x 12 grid from 50 to 600 GeV, for the two-prong
# decay of Y. Theta travels in X as the columns ``mx`` and ``my`` (GeV). Background rows have NaN
# there after the concat, and ``fit`` ignores them: each mini-batch draws the background's theta
# from the signal's.
import os
import tempfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_paws import ParameterizedClassifier
from sklearn_paws.datasets import (
    FEATURE_COLUMNS,
    THETA_COLUMNS,
    make_toy_background,
    make_toy_grid,
    make_toy_signal,
)

# SKLEARN_PAWS_DOCS_QUICK=1 (set by the documentation build) shrinks samples and epochs.
QUICK = os.environ.get("SKLEARN_PAWS_DOCS_QUICK") == "1"
N_PER_POINT = 60 if QUICK else 1000
N_BACKGROUND = 15_000 if QUICK else 200_000
N_CHECK = 20_000 if QUICK else 200_000

MASSES = tuple(range(50, 650, 50))
grid = make_toy_grid(MASSES, n_events_per_point=N_PER_POINT, decay_mode="qq", random_state=0)
background = make_toy_background(N_BACKGROUND, random_state=1)

events = pd.concat([grid, background], ignore_index=True)
columns = [*FEATURE_COLUMNS, *THETA_COLUMNS]
print(f"{len(grid)} signal events at {len(MASSES) ** 2} mass points, {len(background)} background")

# %%
# Training
# --------
# The PAWS paper (Cheng, Singh and Nachman, arXiv:2405.08889) uses hidden layers (256, 128, 64)
# and an ensemble of 10 members, of which the 5 with the lowest validation loss are kept. A
# smaller network is enough for the toy.
prior = ParameterizedClassifier(
    hidden_layer_sizes=(64, 64) if QUICK else (256, 128, 64),
    max_epochs=8 if QUICK else 100,
    batch_size=512,
    random_state=0,
)
prior.fit(events[columns], events["label"])

history = prior.histories_[0]
fig, ax = plt.subplots()
ax.plot(history["train_loss"], label="training")
ax.plot(history["valid_loss"], label="validation")
ax.set_xlabel("epoch")
ax.set_ylabel("binary cross-entropy")
ax.legend()

# %%
# The calibration
# ---------------
# The calibrated likelihood ratio Lambda(x | theta) = kappa(theta) f / (1 - f) must average to 1
# over background at every theta. ``fit`` computed kappa on the background of its validation
# split (here 3,000 events). The check below takes the mean of Lambda over fresh background at a
# 6 x 6 subset of the grid, before and after
# :meth:`~sklearn_paws.ParameterizedClassifier.calibrate` recomputes kappa from a larger
# background sample that the networks were not trained on.
CHECK_MASSES = tuple(range(100, 650, 100))
check_background = make_toy_background(N_CHECK, random_state=2)[list(FEATURE_COLUMNS)]


def mean_likelihood_ratio(clf):
    """Return the mean of Lambda over check_background at every (m_X, m_Y) of CHECK_MASSES."""
    means = np.empty((len(CHECK_MASSES), len(CHECK_MASSES)))
    for i, mx in enumerate(CHECK_MASSES):
        for j, my in enumerate(CHECK_MASSES):
            X_check = check_background.assign(mx=float(mx), my=float(my))
            means[j, i] = clf.likelihood_ratio(X_check).mean()
    return means


before = mean_likelihood_ratio(prior)
calibration_background = make_toy_background(N_CHECK, random_state=4)[list(FEATURE_COLUMNS)]
prior.calibrate(calibration_background.assign(mx=0.0, my=0.0))
after = mean_likelihood_ratio(prior)

fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
for ax, means, title in zip(axes, (before, after),
                            ("kappa from the validation split", "kappa from held-out background")):
    image = ax.imshow(means, origin="lower", cmap="coolwarm", vmin=0.0, vmax=2.0,
                      extent=(50, 650, 50, 650))
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("$m_X$ [GeV]")
axes[0].set_ylabel("$m_Y$ [GeV]")
fig.colorbar(image, ax=axes, label="mean of Lambda over fresh background")
print(f"mean Lambda, validation-split kappa: {before.min():.2f} to {before.max():.2f}")
print(f"mean Lambda, held-out kappa:         {after.min():.2f} to {after.max():.2f}")

# %%
# A mean above 1 means that kappa is too large. The mean of f / (1 - f) over background is
# carried by rare signal-like events, which a small calibration sample tends to miss, so its
# estimate of the mean is usually too low and kappa, its inverse, too high. Where both masses are
# large, the signal sits in the far tail of the background's jet-mass spectrum, where a handful of
# events with two heavy jets decide the mean. There kappa and this check fluctuate from sample to
# sample whatever the calibration. Use the largest background sample you can spare for
# ``calibrate``, and expect the fitted mu of a signal at such masses to be less precise.
#
# Signal at its own mass point has a large likelihood ratio, background a small one:
signal = make_toy_signal(400, 150, N_CHECK, decay_mode="qq", random_state=3)
X_background = check_background.assign(mx=400.0, my=150.0)
bins = np.linspace(-10, 10, 61)
fig, ax = plt.subplots()
ax.hist(prior.log_likelihood_ratio(X_background), bins=bins, histtype="step", label="background")
ax.hist(prior.log_likelihood_ratio(signal[columns]), bins=bins, histtype="step",
        label="signal at (400, 150) GeV")
ax.set_xlabel(r"$\log \Lambda(x \mid m_X = 400, m_Y = 150)$")
ax.set_yscale("log")
ax.legend()

# %%
# Save and load
# -------------
# A fitted classifier pickles with joblib; its networks are torch modules on the CPU. Writing to
# a temporary name and renaming it means that an interrupted save never leaves a truncated file
# under the final name.
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "prior_qq.joblib"
    partial = path.with_name(path.name + ".tmp")
    joblib.dump(prior, partial)
    os.replace(partial, path)
    print(f"saved {path.name}: {path.stat().st_size / 1e6:.2f} MB")
    loaded = joblib.load(path)

difference = np.abs(loaded.log_likelihood_ratio(signal[columns])
                    - prior.log_likelihood_ratio(signal[columns])).max()
print(f"largest difference of log Lambda after loading: {difference:.1e}")
