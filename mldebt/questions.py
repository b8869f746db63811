"""The questions only a team can answer, and what their answers are worth.

The catalogue (``questions.yaml`` beside this module) lists each question's
id, title, the debt family it speaks to, whether it is one of the five litmus
questions of Sculley et al., what a good answer shows, and how long an answer
counts. Answers come from a project's ``.mldebt/attestations.yaml`` (read by
the attestation collector) or from the store's ``attestations`` table
(recorded by ``writes.record_attestation``: ``mldebt attest``, the web form,
the API); both become the same evidence, built here:

- ``attest.<question id>``: the newest answer, with ``expired`` true or false
  as of the scan's moment;
- ``attest.answered``, ``attest.current``, ``attest.expired``,
  ``attest.unanswered``: question ids by state; ``attest.litmus.current``: how
  many of the five litmus questions have a current answer.

An expired answer is reported, never counted as current.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlite_utils

from mldebt import validated
from mldebt.errors import InputError
from mldebt.store.db import rows
from mldebt.suggest import hint

CATALOGUE = Path(__file__).with_name("questions.yaml")
QUESTION_ID = r"^[a-z][a-z0-9_]{1,59}$"
RESERVED = {"answered", "current", "expired", "unanswered", "litmus", "file"}  # summary keys under attest.


# the code a kept catalogue depends on: a change to how it is checked checks it again
_CODE = [Path(__file__), Path(__file__).with_name("questions_spec.py")] + [
    Path(__file__).with_name(name) for name in ("validation.py", "yamlfile.py")
]


@dataclass(frozen=True)
class Question:
    """One question of the catalogue, as ``questions_spec.Question`` validated it."""

    id: str
    title: str
    category: str
    good_answer: str
    litmus: bool = False
    valid_days: int = 180


def load_questions(path: Path | str | None = None) -> dict[str, Question]:
    """The question catalogue by id (the built-in one unless ``path`` is given)."""
    return _load(str(path or CATALOGUE))


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Question]:
    return validated.remembered(
        "questions",
        _CODE,
        [path],
        lambda: (_validated(path), [Path(path)]),
        lambda found: [asdict(q) for q in found.values()],
        lambda kept: {q["id"]: Question(**q) for q in kept},
        shipped=CATALOGUE if Path(path) == CATALOGUE else None,
    )


def _validated(path: str) -> dict[str, Question]:
    from mldebt.questions_spec import Catalogue  # pydantic loads only when a catalogue is validated
    from mldebt.validation import validate
    from mldebt.yamlfile import load

    doc = load(path, what="question catalogue")
    spec = validate(Catalogue, doc, what="the question catalogue")
    found: dict[str, Question] = {}
    problems = []
    for index, question in enumerate(spec.questions):
        if question.id in found:
            problems.append(doc.message(("questions", index, "id"), f"duplicate question id {question.id!r}"))
        found[question.id] = Question(**question.model_dump())
    if problems:
        raise InputError.of_file(doc.path, "the question catalogue", problems)
    return found


def unknown_question(question_id: str, questions: dict[str, Question]) -> str:
    return f"unknown question {question_id!r}{hint(question_id, questions, 'known')}"


@dataclass(frozen=True)
class Answer:
    """One team answer: to which question, by whom, when, until when, and where it was recorded."""

    question: str
    answer: str
    by: str
    date: dt.date
    expires: dt.date
    link: str | None = None
    source: str = "file"  # "file": the project's attestations file; "db": recorded in the store
    path: str | None = None
    line: int | None = None

    def expired(self, on: dt.date) -> bool:
        """An answer counts through its expiry day, and not after."""
        return on > self.expires

    def value(self, on: dt.date) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "by": self.by,
            "date": self.date.isoformat(),
            "expires": self.expires.isoformat(),
            "link": self.link,
            "source": self.source,
            "expired": self.expired(on),
        }


def default_expiry(question: Question, given_on: dt.date) -> dt.date:
    return given_on + dt.timedelta(days=question.valid_days)


def summarize(
    answers: list[Answer], on: dt.date, questions: dict[str, Question] | None = None
) -> list[tuple[str, Any, Answer | None]]:
    """Evidence ``(key, value, answer behind it)`` for ``answers`` as of the day ``on``.

    Answers given after ``on`` did not exist yet and are left out; of several
    answers to one question the newest counts (a later entry wins a tie).
    """
    questions = questions or load_questions()
    newest: dict[str, Answer] = {}
    for answer in answers:
        if answer.question not in questions or answer.date > on:
            continue
        held = newest.get(answer.question)
        if held is None or answer.date >= held.date:
            newest[answer.question] = answer
    out: list[tuple[str, Any, Answer | None]] = [
        (f"attest.{qid}", newest[qid].value(on), newest[qid]) for qid in sorted(newest)
    ]
    current = sorted(qid for qid, a in newest.items() if not a.expired(on))
    out += [
        ("attest.answered", sorted(newest), None),
        ("attest.current", current, None),
        ("attest.expired", sorted(qid for qid, a in newest.items() if a.expired(on)), None),
        ("attest.unanswered", sorted(set(questions) - set(current)), None),
        ("attest.litmus.current", sum(questions[qid].litmus for qid in current), None),
    ]
    return out


def stored_answers(db: sqlite_utils.Database, project: str) -> list[Answer]:
    """The answers recorded for ``project`` in the store, oldest first.

    The rubric engine merges them with the file's answers through ``summarize``.
    """
    if "attestations" not in db.table_names():
        return []
    found = []
    for row in rows(db, "select * from attestations where project_id = ? order by attested_on, id", [project]):
        found.append(
            Answer(
                question=row["question"],
                answer=row["answer"],
                by=row["attested_by"],
                date=dt.date.fromisoformat(row["attested_on"]),
                expires=dt.date.fromisoformat(row["expires_on"]),
                link=row["link"],
                source="db",
            )
        )
    return found


def question_choices() -> list[dict[str, Any]]:
    """The built-in catalogue as plain data: the attest form's choices and ``GET /api/v1/questions``."""
    return [
        {
            "id": q.id,
            "title": q.title,
            "category": q.category,
            "litmus": q.litmus,
            "good_answer": q.good_answer,
            "valid_days": q.valid_days,
        }
        for q in load_questions().values()
    ]


def answers_from_facts(facts: dict[str, Any]) -> list[Answer]:
    """The answers behind a scan's ``attest.<question>`` facts (as produced by ``summarize``)."""
    found = []
    for key, value in facts.items():
        if not key.startswith("attest.") or not isinstance(value, dict) or "answer" not in value:
            continue
        try:
            found.append(
                Answer(
                    question=key[len("attest.") :],
                    answer=value["answer"],
                    by=value["by"],
                    date=dt.date.fromisoformat(value["date"]),
                    expires=dt.date.fromisoformat(value["expires"]),
                    link=value.get("link"),
                    source=value.get("source", "file"),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return found


def merge_stored(facts: dict[str, Any], stored: list[Answer], on: dt.date) -> dict[str, Any]:
    """``facts`` with the ``attest.*`` evidence recomputed over the file's and the stored answers."""
    merged = {k: v for k, v in facts.items() if not k.startswith("attest.") or k == "attest.file"}
    for key, value, _ in summarize(answers_from_facts(facts) + stored, on):
        merged[key] = value
    return merged
