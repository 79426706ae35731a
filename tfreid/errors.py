"""User-facing errors: each carries one line that names the problem."""


class TfreidError(Exception):
    """Base class of the errors tfreid reports to users in one line."""


class DataError(TfreidError):
    """A dataset, TFRecord, image or split that cannot be used as it is."""


class ConfigError(TfreidError):
    """An option or argument value that tfreid does not accept."""


class TrainingError(TfreidError):
    """Training that cannot go on (for example a loss that became NaN)."""
