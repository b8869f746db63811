"""Attestation collector: the team's own answers to questions no collector can see.

The answers live in ``.mldebt/attestations.yaml`` in the project::

    attestations:
      - question: feedback_loops          # an id from mldebt/questions.yaml
        answer: Approved loans only are labelled; 2% of refers are approved at random.
        by: elena.kovacs@example.com
        date: 2026-10-01
        link: https://wiki.example.com/credit/feedback   # optional
        expires: 2027-04-01                              # optional: the question's validity otherwise

The file is validated like the portfolio and the rubric; every problem (an
unknown question, a bad date, a missing field) becomes an error fact naming
the file and line, and the entries that are valid still count. Whether an
answer has expired is judged at the scan's moment (``snapshot.as_of``).
Answers recorded with ``mldebt attest`` are in the store, not in the tree;
``mldebt.questions.merge_stored`` folds them in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import yaml

from mldebt.collectors.interface import Collector, Fact, Snapshot
from mldebt.errors import InputError
from mldebt.questions import Answer, default_expiry, load_questions, summarize
from mldebt.yamlfile import Document, SafeLoader, parse

FILES = (".mldebt/attestations.yaml", ".mldebt/attestations.yml")
MAX_BYTES = 1024 * 1024


def _keys() -> dict[str, str]:
    keys = {f"attest.{q.id}": f"the team's newest answer to: {q.title}" for q in load_questions().values()}
    keys.update(
        {
            "attest.file": "the project's attestations file",
            "attest.answered": "question ids with an answer (current or expired)",
            "attest.current": "question ids whose answer has not expired at the scan's moment",
            "attest.expired": "question ids whose newest answer has expired (earns nothing)",
            "attest.unanswered": "question ids with no current answer",
            "attest.litmus.current": "how many of the five litmus questions have a current answer",
        }
    )
    return keys


class AttestationCollector(Collector):
    name = "attest"
    keys = _keys()

    def collect(self, snapshot: Snapshot) -> Iterator[Fact]:
        on = (snapshot.as_of or datetime.now(UTC)).astimezone(UTC).date()
        answers: list[Answer] = []
        for rel in FILES:
            full = snapshot.root / rel
            if full.is_symlink():
                yield Fact.failure("attest.file", "symbolic link not followed", path=rel)
            elif full.is_file():
                yield Fact("attest.file", rel, path=rel)
                yield from read_answers(full, rel, answers)
                break
        for answer in answers:
            if answer.date > on:
                yield Fact.failure(
                    f"attest.{answer.question}",
                    f"answer dated {answer.date}, after the scan's moment ({on}): not counted",
                    path=answer.path,
                    line=answer.line,
                )
        for key, value, latest in summarize(answers, on):
            yield Fact(key, value, path=latest.path if latest else None, line=latest.line if latest else None)


def read_answers(full: Path, rel: str, out: list[Answer]) -> Iterator[Fact]:
    """Append the valid answers of the file at ``full`` to ``out``; yield an error fact per problem."""
    from pydantic import ValidationError  # the file's schema loads only for a project that has the file

    from mldebt.collectors.attestation_spec import AnswerSpec, AttestationFile
    from mldebt.validation import validate

    try:
        raw = full.read_bytes()[: MAX_BYTES + 1]
        if len(raw) > MAX_BYTES:
            raise InputError(f"{rel}: larger than {MAX_BYTES} bytes")
        text = raw.decode("utf-8")
        doc = parse(text, rel)
    except UnicodeDecodeError as exc:
        yield Fact.failure("attest.file", f"{rel}: not UTF-8 text ({exc.reason} at byte {exc.start})", path=rel)
        return
    except OSError as exc:
        yield Fact.failure("attest.file", f"{rel}: cannot read: {exc.strerror}", path=rel)
        return
    except InputError as exc:
        for problem in exc.problems:
            yield Fact.failure("attest.file", problem, path=rel, line=_line_of(problem, rel))
        return
    except yaml.YAMLError as exc:  # e.g. control characters, refused before parsing starts
        yield Fact.failure("attest.file", f"{rel}: not YAML: {str(exc).splitlines()[0]}", path=rel)
        return
    except RecursionError:
        yield Fact.failure("attest.file", f"{rel}: nested too deeply, or an alias that contains itself", path=rel)
        return
    except ValueError as exc:  # a value YAML cannot build, such as the date 2026-13-01
        line = _unbuildable_line(text)
        yield Fact.failure("attest.file", f"{rel}:{line or 1}: bad value: {exc}", path=rel, line=line)
        return
    try:
        validate(AttestationFile, doc, what="the attestations file")
        entries = enumerate(doc.data["attestations"])
    except InputError as exc:
        for problem in exc.problems:
            yield Fact.failure("attest.file", problem, path=rel, line=_line_of(problem, rel))
        items = doc.data.get("attestations") if isinstance(doc.data, dict) else None
        entries = enumerate(items if isinstance(items, list) else [])
    questions = load_questions()
    for index, item in entries:
        try:
            spec = AnswerSpec.model_validate(item)
        except ValidationError:
            continue  # already reported above, with its line
        out.append(
            Answer(
                question=spec.question,
                answer=spec.answer,
                by=spec.by,
                date=spec.date,
                expires=spec.expires or default_expiry(questions[spec.question], spec.date),
                link=spec.link,
                source="file",
                path=rel,
                line=_entry_line(doc, index),
            )
        )


def _entry_line(doc: Document, index: int) -> int:
    return doc.where(("attestations", index))[0]


def _line_of(problem: str, rel: str) -> int | None:
    found = re.match(r"(\d+):\d+: ", problem[len(rel) + 1 :]) if problem.startswith(rel + ":") else None
    return int(found.group(1)) if found else None


def _unbuildable_line(text: str) -> int | None:
    """The line of the first timestamp-looking value that YAML cannot turn into a date."""
    loader = SafeLoader(text)
    try:
        stack = [loader.get_single_node()]
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    constructor = yaml.constructor.SafeConstructor()
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend(value for pair in reversed(node.value) for value in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            try:
                constructor.construct_yaml_timestamp(node)
            except ValueError:
                return node.start_mark.line + 1
    return None
