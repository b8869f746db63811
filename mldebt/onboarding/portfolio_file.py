"""Merge imported entries into a portfolio file, keeping what the file holds: its entries, order and comments.

PyYAML writes no comments, so the file is not rewritten: each team's new
projects go in as text after the team's last project, and new teams after the
last team, indented as the file indents its lists. The result is read back and
must equal the file's data with the entries appended; a file laid out
otherwise (a list written in flow style, ``[...]``) is written whole instead,
comments lost, and ``Merged.comments_kept`` says so. An entry whose repository
(and sub-path) the file already holds is left out, so importing again adds
nothing twice.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mldebt.atomicfile import write_text
from mldebt.errors import InputError
from mldebt.onboarding.entries import Entry, repo_key
from mldebt.sources.portfolio import slug
from mldebt.sources.portfolio_spec import PortfolioSpec
from mldebt.validation import validate
from mldebt.yamlfile import SafeLoader, load, parse, safe_load

HEADER = "# The portfolio: teams, their projects and where each project's evidence lives (see `mldebt collect`).\n"


@dataclass
class Merged:
    """The new text of the file and what the merge did."""

    text: str
    added: list[str] = field(default_factory=list)  # project names added
    present: list[str] = field(default_factory=list)  # names of the imported repositories the file held already
    taken: list[str] = field(default_factory=list)  # one line per entry left out because its name was taken
    new_teams: list[str] = field(default_factory=list)
    comments_kept: bool = True

    @property
    def changed(self) -> bool:
        return bool(self.added)


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key (``teams:\\n  - name: ...``), as people write portfolio files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


class _Flow(list):  # type: ignore[type-arg]  # a list of scalars written on one line: [a, b]
    pass


class _FlowMap(dict):  # type: ignore[type-arg]  # a mapping of scalars written on one line: {provider: github}
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))


def dump(data: Any) -> str:
    """Deterministic YAML: keys in the order given, short lists and mappings of a project on one line."""
    return yaml.dump(_styled(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)


def _styled(value: Any, depth: int = 0) -> Any:
    scalar = (str, int, float, bool, type(None))
    if isinstance(value, dict):
        if depth > 0 and value and all(isinstance(v, scalar) for v in value.values()):
            return _FlowMap(value)
        return {k: _styled(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if all(isinstance(v, scalar) for v in value):
            return _Flow(value)
        return [_styled(v, 0) for v in value]
    return value


def merge(path: Path, entries: list[Entry], title: str) -> Merged:
    """The file at ``path`` (or a new one named ``title``) with ``entries`` added where they are new.

    Raises InputError when the file is not a valid portfolio (file, line and
    key named), or when a CSV row's name is another repository's.
    """
    base = path.resolve().parent
    if path.exists():
        doc = load(path, what="portfolio file")
        validate(PortfolioSpec, doc, what="the portfolio")
        text: str | None = path.read_text(encoding="utf-8")
        data = doc.data
    else:
        text, data = None, {"portfolio": title, "teams": []}
    expected = copy.deepcopy(data)
    teams: list[dict[str, Any]] = expected["teams"]
    keys: dict[str, str] = {}
    names: set[str] = set()
    for team in teams:
        for project in team["projects"]:
            keys[repo_key(str(project["repo"]), base, project.get("subpath"))] = str(project["name"])
            names.add(str(project["name"]))
    result = Merged(text="")
    additions: dict[int, list[dict[str, Any]]] = {}  # team index -> projects added to it
    problems: list[str] = []
    for entry in entries:
        key = repo_key(str(entry.fields["repo"]), base, entry.fields.get("subpath"))
        if key in keys:
            result.present.append(keys[key])
            continue
        name = next((n for n in (entry.name, entry.alternative) if n and n not in names), None)
        if name is None:
            said = f"{entry.name!r} is already the name of another repository's project in {path}"
            if entry.where:
                problems.append(f"{entry.where}, column name: {said}")
            result.taken.append(f"{entry.fields['repo']}: left out, {said}")
            continue
        project = {**entry.fields, "name": name}
        index = _team_index(teams, entry.team)
        if index is None:
            teams.append({"name": entry.team, "projects": []})
            index = len(teams) - 1
            result.new_teams.append(entry.team)
        teams[index]["projects"].append(project)
        additions.setdefault(index, []).append(project)
        keys[key], names = name, names | {name}
        result.added.append(name)
    if problems:
        raise InputError.of_file(path, "the import", problems)
    if text is None and not result.added:
        return result  # no file is better than a portfolio without a project
    if text is None:
        result.text = HEADER + dump(expected)
    else:
        inserted = _inserted(text, additions, teams, len(data["teams"]))
        result.text = inserted if inserted is not None else dump(expected)
        result.comments_kept = inserted is not None
    validate(PortfolioSpec, parse(result.text, path), what="the portfolio")  # a bad value from a source stops here
    return result


def write(path: Path, merged: Merged) -> None:
    """Replace the file as a whole (atomicfile), or leave it as it was."""
    write_text(path, merged.text)


def _team_index(teams: list[dict[str, Any]], team: str) -> int | None:
    """The team ``team`` names by its name or its id (``id``, or the name's slug, as the portfolio resolves it)."""
    for i, known in enumerate(teams):
        known_id = known.get("id") or slug(str(known["name"]))
        if team == known["name"] or known_id in (team, slug(team)):
            return i
    return None


def _inserted(
    text: str, additions: dict[int, list[dict[str, Any]]], teams: list[dict[str, Any]], old: int
) -> str | None:
    """``text`` with the additions written in after the last item of each list, or None where that cannot be done."""
    loader = SafeLoader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    team_list = _value(root, "teams")
    if not isinstance(team_list, yaml.SequenceNode) or team_list.flow_style or len(team_list.value) != old:
        return None
    pieces: list[tuple[int, int, str]] = []  # offset, order, text
    for index, projects in sorted(additions.items()):
        if index >= old:
            continue  # a new team: written whole below
        node = _value(team_list.value[index], "projects")
        if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
            return None
        pieces.append((*_after(text, node), _indented(dump(projects), node.start_mark.column)))
    if len(teams) > old:
        offset, _ = _after(text, team_list)
        pieces.append((offset, 1, _indented(dump(teams[old:]), team_list.start_mark.column)))
    out, last = [], 0
    for offset, _, piece in sorted(pieces, key=lambda p: (p[0], p[1])):
        needs_newline = offset == len(text) and not text.endswith("\n") and last < offset
        out += [text[last:offset], "\n" * needs_newline + piece]
        last = offset
    merged = "".join(out) + text[last:]
    expected = {**safe_load(text), "teams": teams}
    return merged if safe_load(merged) == expected else None


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _after(text: str, node: yaml.Node) -> tuple[int, int]:
    """The offset of the line after ``node``'s last item (its last scalar's line), and the insertion's order there."""
    while isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    mark = node.end_mark
    if mark.column == 0:  # a block scalar ends at the start of a later line: go back over the blank lines
        end = len(text[: mark.index].rstrip(" \n"))
        return (text.find("\n", end) + 1 or mark.index), 0
    newline = text.find("\n", mark.index)
    return (len(text) if newline < 0 else newline + 1), 0


def _indented(block: str, column: int) -> str:
    return "".join(" " * column + line if line.strip() else line for line in block.splitlines(keepends=True))
