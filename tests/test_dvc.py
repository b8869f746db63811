"""DVC collector: pipelines and their data lineage, dvc.lock, tracked data, remotes and params."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mldebt.collectors.interface import Snapshot
from mldebt.collectors.registries.dvc import DvcCollector, Stage, read_pipeline

from .conftest import corpus_files, write_files

PIPELINE = """\
stages:
  prepare:
    cmd: python prepare.py
    deps: [data/raw.csv, prepare.py]
    outs: [data/prepared]
  features:
    cmd: python features.py
    wdir: src
    deps: [../data/prepared/train.parquet, features.py]
    outs: [../data/features]
  train:
    cmd: [python train.py, python report.py]
    deps: [data/features, lookup/countries.csv]
    params: [train.seed]
    outs: [model.pkl]
    metrics:
      - metrics.json: {cache: false}
"""
LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps: [{path: data/raw.csv, md5: a}, {path: prepare.py, md5: b}]
    outs: [{path: data/prepared, md5: c.dir}]
  features:
    cmd: python features.py
    deps: [{path: ../data/prepared/train.parquet, md5: d}, {path: features.py, md5: e}]
    outs: [{path: ../data/features, md5: f.dir}]
  train:
    cmd: [python train.py, python report.py]
    deps: [{path: data/features, md5: f.dir}, {path: lookup/countries.csv, md5: g}]
    outs: [{path: metrics.json, md5: h}, {path: model.pkl, md5: i}]
"""
PROJECT = {
    "dvc.yaml": PIPELINE,
    "dvc.lock": LOCK,
    "prepare.py": "",
    "src/features.py": "",
    "data/raw.csv.dvc": "outs:\n- md5: 1\n  path: raw.csv\n",
    "params.yaml": "train:\n  seed: 7\n  lr: 0.1\n",
    ".dvc/config": "[core]\n    remote = store\n['remote \"store\"']\n    url = s3://bucket/path\n"
    "['remote \"backup\"']\n    url = https://user:s3cret@example.com/dvc\n",
}


def collect(root: Path) -> list:
    return list(DvcCollector().collect(Snapshot(project="p", root=root)))


def values(facts: list) -> dict:
    return {f.key: f.value for f in facts if not f.is_error}


def errors(facts: list) -> list[tuple[str, str, str | None, int | None]]:
    return [(f.key, f.error, f.path, f.line) for f in facts if f.is_error]


def test_lineage_lock_remotes_and_params(tmp_path):
    write_files(tmp_path, PROJECT)
    facts = collect(tmp_path)
    assert errors(facts) == []
    got = values(facts)
    assert got["dvc.pipelines"] == ["dvc.yaml"] and got["dvc.files"] == ["data/raw.csv.dvc"]
    assert got["dvc.stages.names"] == ["prepare", "features", "train"]
    assert got["dvc.outs.count"] == 4
    # model.pkl depends on the raw extract through two stages, one of them in another working folder
    assert got["dvc.data_closure"]["model.pkl"] == [
        "data/features",
        "data/prepared/train.parquet",
        "data/raw.csv",
        "lookup/countries.csv",
        "prepare.py",
        "src/features.py",
    ]
    assert got["dvc.data_closure"]["data/prepared"] == ["data/raw.csv", "prepare.py"]
    assert got["dvc.pipeline_depth"] == 3
    assert got["dvc.inputs"] == ["data/raw.csv", "lookup/countries.csv", "prepare.py", "src/features.py"]
    assert got["dvc.unversioned_inputs"] == ["lookup/countries.csv"]
    assert (got["dvc.lock.present"], got["dvc.lock.in_sync"], got["dvc.lock.mismatches"]) == (True, True, [])
    assert got["dvc.remotes"] == {"store": "s3", "backup": "https"}
    assert got["dvc.remote_default"] == "store"
    assert (got["dvc.params.count"], got["dvc.params.seeded"]) == (2, True)
    assert "s3cret" not in json.dumps([f.value for f in facts]) and "bucket" not in json.dumps(got)


def test_a_lock_out_of_step_with_the_pipeline(tmp_path):
    lock = (
        LOCK.replace("cmd: python prepare.py", "cmd: python prepare.py --fast").replace(
            "{path: lookup/countries.csv, md5: g}", "{path: lookup/cities.csv, md5: g}"
        )
        + "  old_stage:\n    cmd: echo\n"
    )
    write_files(
        tmp_path,
        {
            **PROJECT,
            "dvc.lock": lock,
            "dvc.yaml": PIPELINE + "  evaluate:\n    cmd: python eval.py\n    deps: [model.pkl]\n",
        },
    )
    got = values(collect(tmp_path))
    assert got["dvc.lock.in_sync"] is False
    assert got["dvc.lock.mismatches"] == [
        "dvc.lock: stage 'prepare' ran another command than dvc.yaml declares",
        "dvc.lock: stage 'train' deps differ (not locked: lookup/countries.csv; not declared: lookup/cities.csv)",
        "dvc.lock: stage 'evaluate' of dvc.yaml is not locked",
        "dvc.lock: stage 'old_stage' is not in dvc.yaml",
    ]


def test_a_missing_lock_and_a_lock_without_pipeline(tmp_path):
    write_files(tmp_path, {**{k: v for k, v in PROJECT.items() if k != "dvc.lock"}, "old/dvc.lock": LOCK})
    got = values(collect(tmp_path))
    assert (got["dvc.lock.present"], got["dvc.lock.in_sync"]) == (False, False)
    assert got["dvc.lock.mismatches"] == [
        "dvc.lock: missing (dvc.yaml has 3 stages)",
        "old/dvc.lock: no dvc.yaml beside it",
    ]


def test_a_project_without_dvc(tmp_path):
    write_files(tmp_path, {"train.py": "print(1)\n"})
    assert values(collect(tmp_path)) == {"dvc.pipelines": [], "dvc.files": []}


def test_a_cycle_of_stages_does_not_hang(tmp_path):
    write_files(
        tmp_path,
        {
            "dvc.yaml": "stages:\n  a: {cmd: x, deps: [b.txt], outs: [a.txt]}\n"
            "  b: {cmd: y, deps: [a.txt], outs: [b.txt]}\n"
        },
    )
    got = values(collect(tmp_path))
    assert got["dvc.data_closure"] == {"a.txt": ["a.txt", "b.txt"], "b.txt": ["a.txt", "b.txt"]}
    assert got["dvc.pipeline_depth"] == 2


@pytest.mark.parametrize(
    "files,expected",
    [
        (
            {"dvc.yaml": "stages:\n  train:\n    cmd: [x\n"},
            (
                "dvc.pipelines",
                "dvc.yaml:4:1: YAML syntax error: while parsing a flow sequence expected ',' or ']', "
                "but got '<stream end>'",
                "dvc.yaml",
                4,
            ),
        ),
        (
            {"dvc.yaml": "stages: [train]\n"},
            ("dvc.pipelines", "dvc.yaml: 'stages' must be a mapping of stage names", "dvc.yaml", 1),
        ),
        (
            {"dvc.yaml": "stages:\n  train: python train.py\n"},
            ("dvc.pipelines", "dvc.yaml: stage 'train' must be a mapping", "dvc.yaml", 2),
        ),
        ({"data/x.dvc": "outs: 3\n"}, ("dvc.files", "data/x.dvc: no outs with a path", "data/x.dvc", 1)),
        (
            {"data/x.dvc": b"\xff\xfe"},
            ("dvc.files", "data/x.dvc: not UTF-8 text (invalid start byte at byte 0)", "data/x.dvc", None),
        ),
        (
            {".dvc/config": "[core\nremote = x\n"},
            (
                "dvc.remotes",
                ".dvc/config: not a valid config file: File contains no section headers.",
                ".dvc/config",
                1,
            ),
        ),
        ({"params.yaml": "a: 1\na: 2\n"}, ("dvc.params.files", "params.yaml:2:1: a: duplicate key", "params.yaml", 2)),
    ],
)
def test_unreadable_files_are_error_facts_with_their_line(tmp_path, files, expected):
    write_files(tmp_path, files)
    assert errors(collect(tmp_path)) == [expected]


def test_links_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write_files(outside, {"dvc.yaml": PIPELINE})
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "dvc.yaml").symlink_to(outside / "dvc.yaml")
    assert values(collect(tmp_path / "proj"))["dvc.pipelines"] == []


def test_the_collector_produces_only_declared_keys(tmp_path):
    write_files(tmp_path, {**PROJECT, "imp.dvc": "outs: [{path: x}]\ndeps: [{path: y, repo: {url: u}}]\n"})
    assert {f.key for f in collect(tmp_path)} <= set(DvcCollector.keys)


# --- the shared corpus: real files laid out at their original paths, in a temporary folder -----------


@pytest.fixture(scope="module")
def corpus_repos(corpus, tmp_path_factory) -> dict[str, Path]:
    dest = tmp_path_factory.mktemp("dvc-corpus")
    for source in corpus_files(corpus, "data"):
        owner, repo, rest = source.name.split("__", 2)
        target = dest / f"{owner}__{repo}" / rest.replace("__", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return {p.name: p for p in dest.iterdir()}


def test_every_corpus_file_is_read_without_errors(corpus, corpus_repos):
    read = set()
    for name, root in corpus_repos.items():
        facts = collect(root)
        assert errors(facts) == [], name
        got = values(facts)
        read |= {f"{name}/{p}" for p in got["dvc.pipelines"] + got["dvc.files"] + got.get("dvc.params.files", [])}
        read |= {
            f"{name}/{p.rsplit('dvc.yaml', 1)[0]}dvc.lock"
            for p in got["dvc.pipelines"]
            if (root / p).with_name("dvc.lock").exists()
        }
    laid_out = {
        f"{o}__{r}/{rest.replace('__', '/')}"
        for o, r, rest in (p.name.split("__", 2) for p in corpus_files(corpus, "data"))
    }
    assert read == laid_out and len(read) == 14


def test_corpus_facts_stated_in_sources(corpus_repos):
    demo = values(collect(corpus_repos["iterative__vscode-dvc"]))
    # demo2: a four-stage pipeline prepare -> featurize -> train -> evaluate, in step with its lock
    assert [n for n in demo["dvc.stages.names"] if n.startswith("demo/demo2:")] == [
        "demo/demo2:prepare",
        "demo/demo2:featurize",
        "demo/demo2:train",
        "demo/demo2:evaluate",
    ]
    assert demo["dvc.pipeline_depth"] == 4
    assert demo["dvc.data_closure"]["demo/demo2/scores.json"] == [
        "demo/demo2/data/data.xml",
        "demo/demo2/data/features",
        "demo/demo2/data/prepared",
        "demo/demo2/model.pkl",
        "demo/demo2/src/evaluate.py",
        "demo/demo2/src/featurization.py",
        "demo/demo2/src/prepare.py",
        "demo/demo2/src/train.py",
    ]
    assert (demo["dvc.lock.in_sync"], demo["dvc.lock.mismatches"]) == (True, [])
    # the import from iterative/dataset-registry; nested params (7) and flat params (3)
    assert demo["dvc.imports"] == {"demo/demo2/data/data.xml.dvc": "https://github.com/iterative/dataset-registry"}
    assert demo["dvc.params.count"] == 10 and demo["dvc.params.seeded"] is True
    # the MNIST folder dependency is versioned by demo/data/MNIST/raw.dvc
    assert "demo/data/MNIST" in demo["dvc.inputs"] and "demo/data/MNIST" not in demo["dvc.unversioned_inputs"]

    bench = values(collect(corpus_repos["iterative__dvc-bench"]))
    assert bench["dvc.stages.names"] == ["gen_plots"]
    assert bench["dvc.data_closure"] == {"plots": ["plots.py", "results.csv"]}  # only deps and plots
    assert bench["dvc.lock.in_sync"] is True

    dvclive = values(collect(corpus_repos["iterative__dvclive"]))
    assert dvclive["dvc.stages.count"] == 0  # no `stages`: only top-level metrics and plots
    assert "dvc.lock.present" not in dvclive

    eds = values(collect(corpus_repos["aphp__eds-pseudo"]))
    assert eds["dvc.stages.names"] == ["train"] and eds["dvc.lock.present"] is False
    assert eds["dvc.data_closure"]["artifacts/test_metrics.json"] == [
        "configs/config.cfg",
        "data",
        "eds_pseudo",
        "scripts/train.py",
    ]
    stages: list[Stage] = []
    list(read_pipeline(corpus_repos["aphp__eds-pseudo"] / "dvc.yaml", "dvc.yaml", stages))
    assert len(stages[0].cmd) == 3  # cmd is a list of three commands

    assert values(collect(corpus_repos["evidentlyai__evidently"]))["dvc.files"] == [
        "test_data/20news-bydate_py3.pkz.dvc"
    ]


@pytest.mark.parametrize(
    "lock",
    [
        "[1, 2]\n",
        "schema: '2.0'\nstages: 3\n",
        "schema: '2.0'\nstages:\n  prepare: {cmd: 1, deps: 5, outs: [3, {path: 4}]}\n",
    ],
)
def test_odd_lock_files_do_not_break_the_collector(tmp_path, lock):
    write_files(tmp_path, {**PROJECT, "dvc.lock": lock})
    got = values(collect(tmp_path))
    assert got["dvc.lock.in_sync"] is False and got["dvc.lock.mismatches"]
