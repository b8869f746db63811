"""The CI collectors: pipeline files of each provider, test and coverage reports, and run history from the APIs."""
