"""Item-to-item recommendations for the shop front page."""

__version__ = "0.1.0"
