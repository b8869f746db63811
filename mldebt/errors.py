"""The exceptions mldebt raises where a problem is found.

Only the command line (and later the web error handler) turns them into
messages; everything else raises and lets them travel.
"""

from __future__ import annotations

from collections.abc import Callable


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


Namer = Callable[[str], str]
"""Gives the name to show for a field: the field's own name in the library, its option in the CLI."""


class FieldError(InputError):
    """A bad value in one field; ``field`` is its name in the form, the API body or the function's arguments.

    The message is ``field: problem``, or, when a sentence says it better
    (it shows the value, or names other fields), ``sentence(name)``, where
    ``name`` gives the word for each field it mentions. The library's own
    message uses the fields' names; ``worded`` lets a caller use its own
    (the CLI's options), so no message here names a command-line option.
    """

    def __init__(self, field: str, problem: str, *, sentence: Callable[[Namer], str] | None = None) -> None:
        self.field, self.problem, self.sentence = field, problem, sentence
        super().__init__(self.worded(lambda name: name))

    def worded(self, name: Namer) -> str:
        """The message with each field called ``name(field)``."""
        return self.sentence(name) if self.sentence is not None else f"{name(self.field)}: {self.problem}"


class StoreError(MldebtError):
    """The database cannot be opened or used (not ours, corrupt, too new)."""


class NotFound(MldebtError):
    """A project, scan or check the user named does not exist."""


class NoScans(NotFound):
    """A quarter that holds nothing to show: no scan in force by its end, or none in or after it.

    Its own exit status (1, as a failed gate) tells a script that the store is
    fine and the input well formed, but the quarter asked for has no data;
    ``quarters`` are the quarters that do have scans, for the message and the API.
    """

    exit_code = 1

    def __init__(self, message: str, quarters: list[str] | None = None) -> None:
        super().__init__(message)
        self.quarters = quarters or []
