"""mldebt: measure and pay down the technical debt of machine-learning systems."""

__version__ = "0.1.0"
