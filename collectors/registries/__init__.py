"""The registry collectors: MLflow, DVC, Feast and the package index."""
