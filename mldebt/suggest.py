"""Did you mean ...? The one place a mistyped name gets its nearest known names.

Every error that names an unknown project, team, check, campaign, question,
user or token ends with ``hint`` from here, so the wording is the same on
every surface (the command line, the web's 404 pages, the API):
``no project named 'reco-servce' in the database (did you mean 'reco-service'?)``
when a known name is close, else the known names themselves
``(projects: churn-notebooks, reco-service)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6  # difflib's own default: close enough that a reader sees the likeness
SUGGESTED = 3
LISTED = 15  # known names listed when none is close (all twelve questions); a longer list says how many more


def close_names(name: str, known: Iterable[str]) -> list[str]:
    """The known names nearest to ``name``, best first (at most three); case is ignored when comparing."""
    by_folded: dict[str, str] = {}
    for k in known:
        if k:
            by_folded.setdefault(k.casefold(), k)
    found = difflib.get_close_matches(name.casefold(), list(by_folded), n=SUGGESTED, cutoff=CUTOFF)
    return [by_folded[f] for f in found]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``did you mean 'x'?`` (or ``'x' or 'y'``) when a known name is close to ``name``; else an empty text."""
    quoted = [repr(f) for f in close_names(name, known)]
    if not quoted:
        return ""
    return "did you mean " + (quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]) + "?"


def hint(name: str, known: Iterable[str], kind: str) -> str:
    """What to add to the message about an unknown ``name``, blank first: the suggestion, or the ``kind`` known.

    `` (did you mean 'x'?)`` when one is close, else `` (teams: a, b)`` (the
    known names, sorted; past LISTED, the first ones and how many more) or
    `` (teams: none yet)``.
    """
    names = sorted(dict.fromkeys(k for k in known if k))
    suggestion = did_you_mean(name, names)
    if suggestion:
        return f" ({suggestion})"
    if not names:
        return f" ({kind}: none yet)"
    shown = ", ".join(names[:LISTED])
    more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return f" ({kind}: {shown}{more})"
