"""Loss landscapes of PAWS over (m_X, m_Y), as in Figure 1 of arXiv:2405.08889."""

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets._columns import DECAY_MODES
from ._config import cell_fingerprint
from ._data import feature_columns
from ._methods import inject_and_split
from ._runner import RESULTS_VERSION, build_pools, pretrain_priors, split_seed
from ._store import write_atomic

logger = logging.getLogger(__name__)


def compute_landscapes(data, config, output_dir):
    """Compute the PAWS loss on a (m_X, m_Y) grid at each mass point and each ``landscape_mu``.

    The loss is evaluated at the true alpha and at the given mu, on the training data and reference
    of the first realisation without noise features, with the priors of the study (cached).

    Parameters
    ----------
    data : StudyData
        Inputs of the study.
    config : StudyConfig
        Settings; ``landscape_mu`` and ``landscape_step`` choose the grid.
    output_dir : Path
        Output folder of the study, where the priors are cached.

    Returns
    -------
    landscapes : dict of ((float, float), float) to pandas.DataFrame
        Columns ``mx``, ``my``, ``loss`` (BCE) and ``scaled_loss`` = (BCE - log 2) x 1e5, keyed by
        (mass point, mu). Each table is also saved as a CSV file under ``output_dir/landscapes``,
        which a rerun with the same settings and input reads instead of computing it again.
    """
    from .._paws import PAWSClassifier

    n_noise = 0 if 0 in config.noise_features else config.noise_features[0]
    priors = pretrain_priors(data, config, output_dir)
    pretrained = {mode: priors[(mode, n_noise)] for mode in DECAY_MODES}
    low, high = 50.0, 600.0
    grid = np.arange(low, high + 0.5 * config.landscape_step, config.landscape_step)
    columns = feature_columns(n_noise)

    # The landscape depends on the settings of one cell, the grid step and the input events.
    fingerprint = (f"{cell_fingerprint(config)}-{config.landscape_step:g}-"
                   f"{data.fingerprint(without_study_signal=True)}-v{RESULTS_VERSION}")
    cache = Path(output_dir) / "landscapes"

    landscapes = {}
    for mass_point in config.mass_points:
        mass_point = (float(mass_point[0]), float(mass_point[1]))
        study_pool = None
        for mu in config.landscape_mu:
            path = cache / f"landscape_{mass_point[0]:.0f}_{mass_point[1]:.0f}_mu{mu:.7g}_{fingerprint}.csv"
            if path.exists():
                landscapes[(mass_point, mu)] = pd.read_csv(path)
                continue

            if study_pool is None:
                _, _, study_pool = build_pools(data, config, mass_point, n_noise, 0)
            split = inject_and_split(study_pool, mu, config,
                                     random_state=split_seed(config, mass_point, 0, mu))
            logger.info("Loss landscape at (%g, %g) GeV, mu = %g on %d grid points",
                        *mass_point, mu, len(grid) ** 2)
            model = PAWSClassifier(pretrained=pretrained)
            table = model.loss_landscape(split.X_train[columns], split.y_train, grid, grid,
                                         mu=mu, alpha=config.alpha)
            write_atomic(path, lambda temporary, table=table: table.to_csv(temporary, index=False))
            landscapes[(mass_point, mu)] = table
    return landscapes
