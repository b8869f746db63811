"""Validate a loaded YAML document against a pydantic model.

Each problem becomes one line naming the file, line, column and key, in the
spirit of pre-commit's "==> At key" messages.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from mldebt.errors import InputError
from mldebt.yamlfile import Document

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base for file schemas: unknown keys are errors, values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_PHRASES = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


def _describe(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind in _PHRASES:
        text = _PHRASES[kind]
        if kind.endswith(("_type", "_parsing")):
            text += f", got {_type_name(error.get('input'))}"
        return text
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message[:1].lower() + message[1:]


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def problems(error: ValidationError, doc: Document) -> list[str]:
    out = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if isinstance(part, (str, int)))
        out.append(doc.message(loc, _describe(item), key=item["type"] == "extra_forbidden"))
    return out


def validate(model: type[M], doc: Document, *, what: str) -> M:
    """Build ``model`` from ``doc.data`` or raise InputError listing every problem."""
    try:
        return model.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        raise InputError.of_file(doc.path, what, problems(exc, doc)) from None
