"""Recorded GitHub Actions and GitLab pipelines API answers, replayed on a loopback server by the CI tests."""

from __future__ import annotations

from datetime import UTC, datetime

from .replay_server import Request


def github_routes(base: str) -> dict:
    runs = "/repos/acme/ranker/actions/runs"
    page1 = [
        gh_run(101, "A", "success", "2026-11-18T10:00:00Z", 300, attempt=2),
        gh_run(102, "B", "success", "2026-11-15T10:00:00Z", 240),
        gh_run(103, "B", "failure", "2026-11-14T10:00:00Z", 200),
    ]
    page2 = [
        gh_run(104, "C", "success", "2026-10-30T10:00:00Z", 180),
        gh_run(105, "D", "failure", "2026-10-25T10:00:00Z", 100),
        gh_run(106, "E", "cancelled", "2026-10-26T10:00:00Z", 50),
        gh_run(107, "F", None, "2026-11-19T10:00:00Z", 10, status="in_progress", name="nightly"),
        gh_run(90, "Z", "success", "2026-09-01T10:00:00Z", 100),
    ]

    def listing(request: Request):
        if request.query.get("page") == ["2"]:
            return (
                200,
                {"Link": f'<{base}{runs}?per_page=100&page=1>; rel="prev"'},
                {"total_count": 8, "workflow_runs": page2},
            )
        return (
            200,
            {"Link": f'<{base}{runs}?per_page=100&page=2>; rel="next", <{base}{runs}?per_page=100&page=2>; rel="last"'},
            {"total_count": 8, "workflow_runs": page1},
        )

    jobs = {
        101: [gh_job("test", "A", "failure", 1), gh_job("test", "A", "success", 2), gh_job("lint", "A", "success")],
        102: [gh_job("test", "B", "success"), gh_job("lint", "B", "success")],
        103: [gh_job("test", "B", "failure"), gh_job("lint", "B", "success")],
    }
    routes = {runs: listing}
    for run_id, job_list in jobs.items():
        routes[f"{runs}/{run_id}/jobs"] = lambda r, j=job_list: (200, {}, {"total_count": len(j), "jobs": j})
    return routes


def gitlab_routes() -> dict:
    base = "/api/v4/projects/group%2Fsub%2Fproj/pipelines"

    def listing(request: Request):
        if request.query.get("page") == ["2"]:
            return (
                200,
                {"x-page": "2", "x-next-page": "", "x-total-pages": "2"},
                [gl_pipeline(303, "B", "success", "2026-10-28T08:00:00.000Z")],
            )
        return (
            200,
            {"x-page": "1", "x-next-page": "2", "x-total-pages": "2"},
            [
                gl_pipeline(301, "A", "success", "2026-11-18T10:00:00.000Z"),
                gl_pipeline(302, "A", "failed", "2026-11-17T09:00:00.000Z"),
                gl_pipeline(304, "C", "canceled", "2026-11-16T09:00:00.000Z"),
            ],
        )

    return {
        base: listing,
        f"{base}/301/jobs": lambda r: (
            200,
            {},
            [
                gl_job("train", "success", "2026-11-18T10:00:00Z", "2026-11-18T10:05:00Z"),
                gl_job("test", "failed", "2026-11-18T10:00:00Z", "2026-11-18T10:01:00Z"),
                gl_job("test", "success", "2026-11-18T10:02:00Z", "2026-11-18T10:04:00Z"),
            ],
        ),
        f"{base}/302/jobs": lambda r: (
            200,
            {},
            [gl_job("test", "failed", "2026-11-17T09:00:00Z", "2026-11-17T09:02:00Z")],
        ),
        f"{base}/303/jobs": lambda r: (
            200,
            {},
            [gl_job("test", "success", "2026-10-28T08:00:00Z", "2026-10-28T08:03:00Z")],
        ),
    }


AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


SHA = {k: (k * 40)[:40] for k in "ABCDEFZ"}


def gh_run(
    run_id: int,
    sha: str,
    conclusion: str | None,
    created: str,
    seconds: int,
    attempt: int = 1,
    status: str = "completed",
    name: str = "ci",
) -> dict:
    """A workflow run as GET /repos/{owner}/{repo}/actions/runs documents it (fields we do not read kept)."""
    end = datetime.fromtimestamp(datetime.fromisoformat(created).timestamp() + seconds, UTC)
    return {
        "id": run_id,
        "name": name,
        "node_id": f"WFR_{run_id}",
        "head_branch": "main",
        "head_sha": SHA[sha],
        "path": ".github/workflows/ci.yml",
        "run_number": run_id,
        "event": "push",
        "status": status,
        "conclusion": conclusion,
        "workflow_id": 161335,
        "check_suite_id": 414944374,
        "url": f"https://api.github.com/repos/acme/ranker/actions/runs/{run_id}",
        "created_at": created,
        "updated_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_attempt": attempt,
        "run_started_at": created,
        "jobs_url": f"https://api.github.com/repos/acme/ranker/actions/runs/{run_id}/jobs",
    }


def gh_job(name: str, sha: str, conclusion: str, attempt: int = 1) -> dict:
    return {
        "id": hash((name, sha, conclusion, attempt)) % 10**9,
        "run_id": 1,
        "run_attempt": attempt,
        "head_sha": SHA[sha],
        "status": "completed",
        "conclusion": conclusion,
        "name": name,
        "started_at": "2026-11-18T10:00:00Z",
        "completed_at": "2026-11-18T10:02:00Z",
        "workflow_name": "ci",
    }


def gl_pipeline(pid: int, sha: str, status: str, created: str) -> dict:
    """A pipeline as GET /projects/:id/pipelines documents it."""
    return {
        "id": pid,
        "iid": pid - 100,
        "project_id": 7,
        "sha": SHA[sha],
        "ref": "main",
        "status": status,
        "source": "push",
        "created_at": created,
        "updated_at": created,
        "web_url": f"https://gitlab.example.com/group/sub/proj/-/pipelines/{pid}",
    }


def gl_job(name: str, status: str, started: str, finished: str) -> dict:
    return {
        "id": hash((name, status, started)) % 10**9,
        "status": status,
        "stage": "test",
        "name": name,
        "ref": "main",
        "created_at": started,
        "started_at": started,
        "finished_at": finished,
        "duration": 1.0,
        "queued_duration": 0.1,
    }
