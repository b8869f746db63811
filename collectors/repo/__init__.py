"""The repository collectors: inventory, tests, manifests and lock files, data, hygiene, notebooks, configuration
files, dependencies and git history."""
