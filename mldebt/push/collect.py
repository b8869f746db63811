"""`mldebt collect --push URL`: collect each project here and push its bundle to a server as it is ready."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mldebt.push.client import Pusher
from mldebt.scanning.collecting import progress, say, team_owners
from mldebt.scanning.completeness import note
from mldebt.scanning.parallel import Outcome, collect_all
from mldebt.sources.portfolio import Portfolio, Project


def collect_and_push(
    portfolio: Portfolio, chosen: Sequence[Project], moment: datetime | None, jobs: int, pusher: Pusher
) -> int:
    """Collect ``chosen`` and push each bundle to the server as it is ready; the exit code.

    A push the server refuses, or cannot be reached for after the retries,
    raises PushError: the run stops there (every scan pushed so far is stored
    whole on the server; none is half-written).
    """
    failed = internal = 0
    with progress(collect_all(chosen, moment, jobs, team_owners(portfolio)), len(chosen)) as outcomes:
        for outcome in outcomes:
            _push(pusher, outcome, len(chosen))
            failed, internal = failed + (outcome.error is not None), internal + outcome.internal
    return 3 if internal else 2 if failed else 0


def _push(pusher: Pusher, outcome: Outcome, count: int) -> None:
    name = outcome.project.name
    if outcome.skipped is not None:
        say(count, f"skipped {name}: {outcome.skipped}")
    elif outcome.bundle is None:
        say(count, f"mldebt: error: {name}: {outcome.error}", err=True)
    else:
        pushed = pusher.push(outcome.bundle)
        answer = pushed.answer
        score = answer.get("ml_test_score")
        say(
            count,
            f"pushed {name} at {(outcome.bundle.commit or 'working tree')[:12]} "
            f"({outcome.bundle.as_of[:10]}) to {pusher.shown}: scan {pushed.scan_id}"
            + (f", ML Test Score {score:.1f}, grade {answer.get('grade')}" if isinstance(score, (int, float)) else "")
            + ("" if pushed.created else " (the server already had it)")
            + note(outcome.bundle.facts),
        )
