"""Probability-of-default model for consumer loan applications."""

__version__ = "1.0.0"
