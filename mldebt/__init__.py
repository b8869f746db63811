"""mldebt: measure and pay down the technical debt of machine-learning systems."""

from mldebt.lean import keep_dataframes_out_of_sqlite_utils

__version__ = "0.1.0"

keep_dataframes_out_of_sqlite_utils()
