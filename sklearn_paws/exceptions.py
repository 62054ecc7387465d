"""Warning and error classes of sklearn-paws.

Every warning the package emits is a subclass of :class:`PAWSWarning`, so a user can filter all of
them at once (``warnings.simplefilter("ignore", PAWSWarning)``) or one kind at a time.
"""


class PAWSWarning(UserWarning):
    """Base class of every warning emitted by sklearn-paws."""


class DataQualityWarning(PAWSWarning):
    """Input events were repaired or dropped, or data and reference share events.

    Repairs cover zero N-subjettiness, negative jet masses and non-finite rows.
    """


class LowStatisticsWarning(PAWSWarning):
    """A figure of merit rests on too few events to be trusted, e.g. SIC at a tiny background efficiency."""


class ConvergenceWarning(PAWSWarning):
    """An optimisation stopped at its iteration limit before its stopping criterion was met."""


class InputDataError(ValueError):
    """Input data is unusable as given: missing columns, wrong units, wrong shape or no events left.

    The message names the offending file, column or value and explains how to fix it.
    """
