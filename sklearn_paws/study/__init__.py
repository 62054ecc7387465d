"""The PAWS study: mu scans comparing PAWS with supervised and weakly supervised baselines."""

from ._config import METHODS, PROFILES, StudyConfig, full_profile, quick_profile
from ._data import StudyData, study_data_from_default, study_data_from_toy
from ._runner import list_cells, pretrain_priors, run_study

__all__ = [
    "METHODS",
    "PROFILES",
    "StudyConfig",
    "StudyData",
    "full_profile",
    "list_cells",
    "pretrain_priors",
    "quick_profile",
    "run_study",
    "study_data_from_default",
    "study_data_from_toy",
]
