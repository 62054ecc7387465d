"""Loss landscapes of PAWS over (m_X, m_Y), as in Figure 1 of arXiv:2405.08889."""

import logging

import numpy as np

from ..datasets._columns import DECAY_MODES
from ._data import feature_columns
from ._methods import inject_and_split
from ._runner import build_pools, pretrain_priors, split_seed

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
        (mass point, mu).
    """
    from .._paws import PAWSClassifier

    n_noise = 0 if 0 in config.noise_features else config.noise_features[0]
    priors = pretrain_priors(data, config, output_dir)
    pretrained = {mode: priors[(mode, n_noise)] for mode in DECAY_MODES}
    low, high = 50.0, 600.0
    grid = np.arange(low, high + 0.5 * config.landscape_step, config.landscape_step)
    columns = feature_columns(n_noise)

    landscapes = {}
    for mass_point in config.mass_points:
        mass_point = (float(mass_point[0]), float(mass_point[1]))
        _, _, study_pool = build_pools(data, config, mass_point, n_noise, 0)
        for mu in config.landscape_mu:
            split = inject_and_split(study_pool, mu, config,
                                     random_state=split_seed(config, mass_point, 0, mu))
            logger.info("Loss landscape at (%g, %g) GeV, mu = %g on %d grid points",
                        *mass_point, mu, len(grid) ** 2)
            model = PAWSClassifier(pretrained=pretrained)
            table = model.loss_landscape(split.X_train[columns], split.y_train, grid, grid,
                                         mu=mu, alpha=config.alpha)
            landscapes[(mass_point, mu)] = table
    return landscapes
