"""The exceptions mldebt raises where a problem is found.

Only the command line (and later the web error handler) turns them into
messages; everything else raises and lets them travel.
"""

from __future__ import annotations


class MldebtError(Exception):
    """Base of every error mldebt reports to a user instead of a traceback."""

    exit_code = 2


class InputError(MldebtError):
    """Bad input from the user: a file, an option, an argument.

    ``problems`` holds one line per problem when a file had several.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]

    @classmethod
    def of_file(cls, path: object, what: str, problems: list[str]) -> InputError:
        """One error carrying every problem found in one file."""
        head = problems[0] if len(problems) == 1 else f"{path}: {len(problems)} problems in {what}"
        return cls(head, problems)


class StoreError(MldebtError):
    """The database cannot be opened or used (not ours, corrupt, too new)."""


class NotFound(MldebtError):
    """A project, scan or check the user named does not exist."""
