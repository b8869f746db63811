"""Which ML monitoring concern an alert, a recording rule, a panel or a config watches.

The concerns are the ML Test Score's monitoring tests (Breck et al. 2017,
section V) plus two from Sculley et al. 2015 (prediction bias, action limits).
Each one is recognised by patterns over an item's words: its name, its query,
its annotations or title. The text is normalised first (camelCase and
snake_case split, lower-cased), so ``CreditPredictionDrift`` and
``credit_prediction_drift`` read the same. Classification is keyword-based by
design: it says what an item is *about*, to be shown with the item, never
what it proves.

``ML_CONTEXT`` says whether an item concerns a model at all; generic host or
cluster alerts (node memory, disk) match "computing performance" words but do
not count as watching the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import TypedDict


class Concern(TypedDict):
    title: str
    patterns: list[str]  # regular expressions over the normalised words


CONCERNS: dict[str, Concern] = {
    "dependency_changes": {
        "title": "Dependency changes result in notification (Monitor 1)",
        "patterns": [
            r"\bdependenc",
            r"\bupstream\b",
            r"\bschema (change|version|mismatch)",
            r"\bversion change",
            r"\bbuild info\b",
            r"\bchanges\(",
            r"\bfeed (change|delay|missing|stale)",
        ],
    },
    "data_invariants": {
        "title": "Data invariants hold in training and serving inputs (Monitor 2)",
        "patterns": [
            r"\binvalid\b",
            r"\bvalidation (fail|error)",
            r"\binput validation",
            r"\bschema\b",
            r"\bmissing values?\b",
            r"\bnull",
            r"\bout of (range|bounds)",
            r"\bexpectations?\b",
            r"\bdata quality",
            r"\bconstraint",
            r"\bmissing (share|rate|ratio)",
            r"\bunexpected (value|categor)",
            r"\bdata integrity",
            r"\bmalformed",
        ],
    },
    "training_serving_skew": {
        "title": "Training and serving features compute the same values (Monitor 3)",
        "patterns": [
            r"\bskew",
            r"\b(data|feature|features|input|inputs|covariate|column|columns|dataset|concept|"
            r"overall|embedding) drift",
            r"\bdrifted (columns|features)",
            r"\bdrift (share|detected|"
            r"analysis|score|metric|status|report)",
            r"^drift$",
            r"\bcovariate",
            r"\bpopulation stability",
            r"\bpsi\b",
            r"\bdistribution (shift|change)",
            r"\bfeature (distribution|stat)",
            r"\bkolmogorov|\bks test|\bwasserstein|\bjensen",
        ],
    },
    "model_staleness": {
        "title": "Models are not too stale (Monitor 4)",
        "patterns": [
            r"\bstale",
            r"\bmodel age\b",
            r"\bage of the model",
            r"\blast (trained|training|retrain)",
            r"\btrain(ed|ing) (at|time|timestamp|date)",
            r"\bmodel (version|info|timestamp|updated|loaded)",
            r"\bloaded model",
            r"\bdays since",
            r"\btime since (last )?(train|retrain|update)",
            r"\bfreshness",
            r"\bretrain",
        ],
    },
    "numerical_stability": {
        "title": "The model is numerically stable (Monitor 5)",
        "patterns": [
            r"\bnan\b",
            r"\bnans\b",
            r"\binf\b",
            r"\binfinit",
            r"\bis ?nan\b",
            r"\boverflow",
            r"\bunderflow",
            r"\bnumeric(al)? (instabilit|stabilit|error)",
            r"\bnon ?finite",
            r"\bexploding",
            r"\bvanishing",
        ],
    },
    "computing_performance": {
        "title": "Training speed, serving latency, throughput and memory have not regressed (Monitor 6)",
        "patterns": [
            r"\blatency",
            r"\bduration",
            r"\bresponse time",
            r"\bseconds bucket",
            r"\bthroughput",
            r"\bqps\b",
            r"\brps\b",
            r"\bper second\b",
            r"\brequest rate",
            r"\bmemory",
            r"\bmem\b",
            r"\bram\b",
            r"\bswap",
            r"\boom\b",
            r"\bcpu\b",
            r"\bgpu\b",
            r"\butili[sz]ation",
            r"\bsaturation",
            r"\bqueue (size|length|time|depth)",
            r"\btokens? per second",
            r"\btime to first token",
            r"\binference (count|time|duration)",
        ],
    },
    "prediction_quality": {
        "title": "Prediction quality has not regressed on served data (Monitor 7)",
        "patterns": [
            r"\baccuracy",
            r"\bprecision\b",
            r"\brecall\b",
            r"\bf1\b",
            r"\bauc\b",
            r"\broc\b",
            r"\brmse\b",
            r"\bmae\b",
            r"\bmse\b",
            r"\blog ?loss",
            r"\b(model|prediction|regression|"
            r"classification) (quality|performance)",
            r"\bground truth",
            r"\bperformance estimat",
            r"\bconfusion matrix",
            r"\berror rate of (the )?model",
        ],
    },
    "prediction_bias": {
        "title": "Predicted labels are distributed like observed labels (Sculley et al.: prediction bias)",
        "patterns": [
            r"\bprediction (bias|drift|shift|mean|distribution)",
            r"\bpredicted .{0,30}(mean|rate|share|"
            r"distribution)",
            r"\bmean predict",
            r"\bscore (drift|mean|distribution|shift)",
            r"\btarget drift",
            r"\blabel (drift|distribution|shift)",
            r"\bcalibration",
            r"\bbias\b",
        ],
    },
    "action_limits": {
        "title": "Actions the model takes stay within limits (Sculley et al.: action limits)",
        "patterns": [
            r"\baction limit",
            r"\b(decline|approval|rejection|block|refund|payout|denial) (rate|ratio|"
            r"share|shift|spike|count)",
            r"\bdecisions? (limit|cap|budget)",
            r"\bactions? (per|rate|limit|"
            r"taken)",
            r"\bkill switch",
        ],
    },
}
ML_CONTEXT = (  # searched through re's own cache, like normalise's patterns: compiled on first use
    r"\b(model|models|prediction|predictions|predictor|predictors|inference|infer|serving|scor(e|es|ing)|feature|features|drift\w*|train\w*|"
    r"ml|mlops|seldon|kserve|triton|nv inference|vllm|mlflow|bentoml|torchserve|tf ?serving|llm|embedding\w*|"
    r"classifier|regressor|evidently|whylogs|nannyml|great expectations|expectation|ground truth|dataset|"
    r"decisions?|recommend\w*|ranking|ranker)\b"
)


@cache
def _compiled() -> dict[str, list[re.Pattern[str]]]:
    """Each concern's patterns, compiled on first use: a scan with no monitoring item never needs them."""
    return {name: [re.compile(p) for p in spec["patterns"]] for name, spec in CONCERNS.items()}


def normalise(*parts: object) -> str:
    """Lower-cased words of ``parts``: camelCase and snake_case split, punctuation to spaces."""
    text = re.sub(r"\{\{.*?\}\}", " ", " ".join(str(p) for p in parts if p))  # template placeholders
    text = re.sub(r"NaN|NAN", " nan ", text)  # one word, not camelCase "Na" + "N"
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    text = re.sub(r"[_:.\-/{}\[\]=\"',]+", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


def concerns_of(*parts: object) -> list[str]:
    """The concerns whose patterns match the words of ``parts``, in CONCERNS order."""
    text = normalise(*parts)
    return [name for name, patterns in _compiled().items() if any(p.search(text) for p in patterns)]


def is_ml(*parts: object) -> bool:
    """Whether the item speaks of a model, its inputs or its outputs at all."""
    return bool(re.search(ML_CONTEXT, normalise(*parts)))


def titles(names: Iterable[str]) -> dict[str, str]:
    return {name: CONCERNS[name]["title"] for name in names}
