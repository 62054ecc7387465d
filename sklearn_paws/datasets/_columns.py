"""Column names shared by the readers, the simulation and the estimators."""

# Official LHC Olympics features layout (GeV, jets ordered by pT).
LHCO_JET_QUANTITIES = ("px", "py", "pz", "m", "tau1", "tau2", "tau3")
LHCO_COLUMNS = tuple(
    f"{quantity}j{jet}" for jet in (1, 2) for quantity in LHCO_JET_QUANTITIES
)
LABEL_COLUMN = "label"

# The six PAWS features, in this order: masses in TeV, jets ordered so that mj1 >= mj2.
FEATURE_COLUMNS = ("mj1", "mj2", "tau21j1", "tau21j2", "tau32j1", "tau32j2")
MJJ_COLUMN = "mjj"  # dijet invariant mass in TeV

# Signal parameters theta = (m_X, m_Y) in GeV, as in the PAWS parametric signal files.
THETA_COLUMNS = ("mx", "my")

# Decay mode of the Y particle in signal samples.
DECAY_MODE_COLUMN = "decay_mode"
TWO_PRONG = "qq"
THREE_PRONG = "qqq"
DECAY_MODES = (TWO_PRONG, THREE_PRONG)
