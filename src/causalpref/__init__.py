"""causalpref: causal preference learning."""

from causalpref.errors import (
    CausalPrefError,
    ConfigError,
    DataValidationError,
    NotFittedError,
    PersistenceError,
    UnknownNameError,
)

__version__ = "0.1.0"

__all__ = [
    "CausalPrefError",
    "ConfigError",
    "DataValidationError",
    "NotFittedError",
    "PersistenceError",
    "UnknownNameError",
    "__version__",
]
