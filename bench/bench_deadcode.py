"""Dead code on framework-heavy code: how many reported items are not dead (issue 21 class e).

Builds (once) a git repository per source distribution from PyPI under --work
(timm, pytorch-image-models: nn.Module everywhere, @register_model on 1,200
model functions), lists every item the dead-code check reports, the way the
repository collector computes it (the store keeps only 20 places), and checks
the count against what RepoCollector stores. Then it samples --sample items
with a fixed seed (random.Random(SEED).sample over the list sorted by path,
line and message) and prints each with its verdict from VERDICTS, which were
made by reading the code:

- dead: nothing in the distribution, its configuration or its frameworks reaches it;
- api: public API of the library that nothing in the distribution calls (its
  callers are the project's scripts left out of the sdist, or its users);
- reached: a false positive, something reaches it (the reason says what).

Usage: python bench/bench_deadcode.py [--work DIR] [--package SPEC] [--sample N] [--all]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SEED = 21
PACKAGE = "timm==1.0.15"
Verdict = tuple[str, str]
# "path:line message" -> (verdict, why), for the sample of timm==1.0.15 with SEED and 50 items.
VERDICTS: dict[str, Verdict] = {
    "timm/data/auto_augment.py:29 unused import 'ImageChops'": ("dead", "imported from PIL, never used"),
    "timm/data/dataset_info.py:26 unused method 'index_to_description'": (
        "api",
        "DatasetInfo interface method; only timm's inference script (not in the sdist) calls it",
    ),
    "timm/data/dataset_info.py:71 unused method 'index_to_description'": (
        "api",
        "DatasetInfo interface method; only timm's inference script (not in the sdist) calls it",
    ),
    "timm/data/imagenet_info.py:86 unused method 'index_to_description'": (
        "api",
        "DatasetInfo interface method; only timm's inference script (not in the sdist) calls it",
    ),
    "timm/data/readers/reader_image_tar.py:41 unused class 'ReaderImageTar'": (
        "dead",
        "deprecated reader, create_reader never builds it",
    ),
    "timm/data/readers/reader_wds.py:218 unused class 'ResampledShards2'": ("dead", "never built"),
    "timm/data/readers/reader_wds.py:27 unused import 'base_plus_ext'": (
        "dead",
        "optional-import leftover, never used",
    ),
    "timm/data/readers/reader_wds.py:27 unused import 'tar_file_expander'": (
        "dead",
        "optional-import leftover, never used",
    ),
    "timm/data/readers/reader_wds.py:27 unused import 'url_opener'": ("dead", "optional-import leftover, never used"),
    "timm/data/readers/reader_wds.py:27 unused import 'valid_sample'": ("dead", "optional-import leftover, never used"),
    "timm/data/real_labels.py:30 unused method 'add_result'": (
        "api",
        "RealLabelsImagenet API; validate.py (not in the sdist) calls it",
    ),
    "timm/data/real_labels.py:43 unused method 'get_accuracy'": (
        "api",
        "RealLabelsImagenet API; validate.py (not in the sdist) calls it",
    ),
    "timm/layers/evo_norm.py:75 unused function 'group_std_tpu'": (
        "dead",
        "alternative kept beside a commented-out assignment",
    ),
    "timm/layers/inplace_abn.py:15 unused function 'inplace_abn_sync'": (
        "dead",
        "optional import and its fallback stub; nothing calls either",
    ),
    "timm/layers/inplace_abn.py:5 unused import 'inplace_abn_sync'": (
        "dead",
        "optional import and its fallback stub; nothing calls either",
    ),
    "timm/layers/norm.py:104 unused function '_layer_norm_cf_sqm'": ("dead", "private, never called"),
    "timm/layers/norm.py:112 unused class 'LayerNormExp2d'": (
        "dead",
        "experimental nn.LayerNorm subclass, never built or exported",
    ),
    "timm/layers/pool2d_same.py:14 unused function 'avg_pool2d_same'": ("dead", "never called, not exported"),
    "timm/layers/pool2d_same.py:35 unused function 'max_pool2d_same'": ("dead", "never called, not exported"),
    "timm/layers/squeeze_excite.py:77 unused class 'SqueezeExciteCl'": ("dead", "nn.Module never built or exported"),
    "timm/models/_efficientnet_builder.py:43 unused function 'get_bn_args_tf'": ("dead", "never called"),
    "timm/models/_pretrained.py:91 unused property 'default_with_tag'": (
        "api",
        "property of the public pretrained-config set; nothing reads it",
    ),
    "timm/models/convit.py:150 unused method 'get_attention_map'": ("api", "visualisation method for users of ConViT"),
    "timm/models/convit.py:94 unused method 'get_attention_map'": ("api", "visualisation method for users of ConViT"),
    "timm/models/crossvit.py:202 unsatisfiable 'if' condition": ("dead", "`if ... and False:` disables the branch"),
    "timm/models/crossvit.py:241 unsatisfiable 'if' condition": ("dead", "`if ... and False:` disables the branch"),
    "timm/models/efficientformer.py:459 unused method 'set_distilled_training'": (
        "api",
        "for distillation training scripts outside the sdist",
    ),
    "timm/models/efficientformer_v2.py:624 unused method 'set_distilled_training'": (
        "api",
        "for distillation training scripts outside the sdist",
    ),
    "timm/models/levit.py:741 unused method 'set_distilled_training'": (
        "api",
        "for distillation training scripts outside the sdist",
    ),
    "timm/models/mobilenetv3.py:140 unused method 'as_sequential'": (
        "api",
        "public model method; nothing in timm calls it",
    ),
    "timm/models/mobilevit.py:555 unused function '_create_mobilevit2'": ("dead", "private factory, never called"),
    "timm/models/pit.py:235 unused method 'set_distilled_training'": (
        "api",
        "for distillation training scripts outside the sdist",
    ),
    "timm/models/repvit.py:332 unused method 'set_distilled_training'": (
        "api",
        "for distillation training scripts outside the sdist",
    ),
    "timm/models/sequencer.py:232 unused class 'Shuffle'": ("dead", "nn.Module never built"),
    "timm/models/tiny_vit.py:508 unused method 'no_weight_decay_keywords'": (
        "api",
        "Swin-style training hook; timm's own optimizer factory reads only no_weight_decay",
    ),
    "timm/models/vision_transformer.py:807 unused method 'get_intermediate_layers'": (
        "api",
        "DINO-compatible public method; nothing in timm calls it",
    ),
    "timm/models/volo.py:659 unused method 'forward_train'": (
        "api",
        "VOLO token-labelling training entry; nothing in timm calls it",
    ),
    "timm/optim/_types.py:3 unused import 'TypeVar'": ("dead", "imported in both branches of a try, never used"),
    "timm/optim/_types.py:5 unused import 'TypeVar'": ("dead", "imported in both branches of a try, never used"),
    "timm/optim/adahessian.py:70 unused property 'is_second_order'": (
        "api",
        "train.py (not in the sdist) reads it through hasattr",
    ),
    "timm/optim/lookahead.py:48 unused method 'sync_lookahead'": (
        "api",
        "train.py (not in the sdist) calls it at the end of an epoch",
    ),
    "timm/optim/madgrad.py:82 unused property 'supports_memory_efficient_fp16'": (
        "api",
        "fairseq optimizer interface; nothing in timm reads it",
    ),
    "timm/optim/optim_factory.py:4 unused import '_layer_map'": (
        "api",
        "re-exported by a deprecated compatibility module for old imports",
    ),
    "timm/optim/sgdw.py:7 unused import '_use_grad_for_differentiable'": (
        "dead",
        "imported in a feature probe, never used",
    ),
    "timm/scheduler/plateau_lr.py:94 unused method 'step_update'": (
        "api",
        "scheduler API; train.py (not in the sdist) calls it",
    ),
    "timm/scheduler/scheduler.py:84 unused method 'step_update'": (
        "api",
        "scheduler API; train.py (not in the sdist) calls it",
    ),
    "timm/utils/checkpoint_saver.py:120 unused method 'save_checkpoint'": (
        "api",
        "CheckpointSaver API; train.py (not in the sdist) calls it",
    ),
    "timm/utils/checkpoint_saver.py:159 unused method 'save_recovery'": (
        "api",
        "CheckpointSaver API; train.py (not in the sdist) calls it",
    ),
    "timm/utils/checkpoint_saver.py:177 unused method 'find_recovery'": (
        "api",
        "CheckpointSaver API; train.py (not in the sdist) calls it",
    ),
    "timm/utils/onnx.py:17 unused function 'onnx_export'": ("api", "onnx_export.py (not in the sdist) calls it"),
}


def build(work: Path, package: str) -> Path:
    """The sdist of ``package`` unpacked and committed into a git repository under ``work`` (once)."""
    name = package.replace("==", "-")
    repo = work / name
    if (repo / ".git").is_dir():
        return repo
    downloads = work / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", "-d", str(downloads)]
        + [package],
        check=True,
    )
    archive = next(p for p in downloads.glob("*.tar.gz") if p.name.lower().startswith(name.lower()))
    with tarfile.open(archive) as tar:
        tar.extractall(work / "unpacked", filter="data")
    (work / "unpacked" / archive.name.removesuffix(".tar.gz")).rename(repo)
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@example.com")
    env.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@example.com")
    for args in (["init", "-q", "-b", "main"], ["add", "-A", "-f"], ["commit", "-q", "-m", package]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    return repo


def reported(repo: Path) -> list[str]:
    """Every dead-code item, as "path:line message", computed as the repository collector computes it."""
    from mldebt.collectors.code.deadcode import unused
    from mldebt.collectors.code.references import named_in_files
    from mldebt.collectors.code.scan import summarise
    from mldebt.collectors.repo.testfiles import is_candidate

    out = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], capture_output=True, check=True).stdout
    files = sorted(p for p in out.decode().split("\0") if p)

    def text(rel: str) -> str | None:
        try:
            return (repo / rel).read_text(errors="replace")
        except OSError:
            return None

    states = []
    for rel in files:
        if rel.endswith(".py"):
            summary = summarise(rel, text(rel) or "", is_test=is_candidate(rel))
            if "dead" in summary:
                states.append((rel, summary["dead"]))
    found = unused(states, named=named_in_files(files, text))
    return sorted(f"{f['path']}:{f['line']} {f['message']}" for f in found)


def stored(repo: Path) -> int:
    """The count RepoCollector stores (code.smells.dead_code)."""
    from mldebt.collectors.interface import Snapshot
    from mldebt.collectors.repo.collector import RepoCollector

    facts = RepoCollector().collect(Snapshot(project="bench", root=repo))
    return int(next(f.value for f in facts if f.key == "code.smells.dead_code"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mldebt-bench-deadcode")
    parser.add_argument("--package", default=PACKAGE)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--all", action="store_true", help="print every reported item, not only the sample")
    parser.add_argument("--json", action="store_true", help="print the sample as JSON")
    args = parser.parse_args()
    repo = build(args.work, args.package)
    items = reported(repo)
    count = stored(repo)
    print(f"{args.package}: {len(items)} items reported; the collector stores {count}")
    if count != len(items):
        print("  (the collector does not pass named_in_files to the dead-code check: see the report of issue 21 e)")
    if args.all:
        print("\n".join(items))
    sample = random.Random(SEED).sample(items, min(args.sample, len(items)))
    if args.json:
        print(json.dumps(sample, indent=1))
        return
    tally: dict[str, int] = {}
    for item in sorted(sample):
        verdict, why = VERDICTS.get(item, ("?", "not judged"))
        tally[verdict] = tally.get(verdict, 0) + 1
        print(f"{verdict:8} {item}  -- {why}")
    judged = sum(n for v, n in tally.items() if v != "?")
    print(f"sample {len(sample)} (seed {SEED}): " + ", ".join(f"{v} {n}" for v, n in sorted(tally.items())))
    if judged:
        print(f"false positives: {tally.get('reached', 0)}/{judged} = {100 * tally.get('reached', 0) / judged:.0f}%")


if __name__ == "__main__":
    main()
