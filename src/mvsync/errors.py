"""Exception hierarchy. The library raises these; only the CLI turns them into exit codes.

Messages are one line: ``<file or parameter>: <what is wrong>[; <what to do>]``.
"""


class MvsyncError(Exception):
    """Base class of every error mvsync raises on purpose (the CLI maps it to exit code 2)."""


class InputError(MvsyncError):
    """A user's file or data cannot be used (missing, unreadable, no frames, no person, NaNs...)."""


class ConfigError(MvsyncError):
    """A parameter or option has an invalid value."""


class NotFittedError(MvsyncError):
    """An estimator was used before ``fit``."""


class OutputError(MvsyncError):
    """An output cannot be written (an unwritable folder, a file where a folder should be...)."""


class OutputExistsError(OutputError):
    """An output already exists and the caller did not ask to overwrite it (``overwrite=True`` / ``force=True``).

    The message names the file only; the command line adds its own flag (``--force``) to it."""


def check_int_or_none(name: str, value: object, minimum: int) -> None:
    """Raise :class:`ConfigError` unless ``value`` is None or an int (numpy's too, not a bool) >= ``minimum``.

    >>> check_int_or_none("fit_length", 1, 2)
    Traceback (most recent call last):
    ...
    mvsync.errors.ConfigError: fit_length: must be an int >= 2 or None (got 1)
    """
    import numbers

    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum):
        raise ConfigError(f"{name}: must be an int >= {minimum} or None (got {value!r})")
