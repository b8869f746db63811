"""Online scoring service (FastAPI) with Prometheus metrics on ``/metrics``.

    CREDIT_MODEL_PATH=models/model.joblib PYTHONPATH=src uvicorn credit.serve:app --port 8000

Alert rules for these metrics live in ``monitoring/alerts.yml``.
"""
import os
import time

import joblib
import pandas as pd
from fastapi import FastAPI, HTTPException
from prometheus_client import Counter, Gauge, Histogram, make_asgi_app
from pydantic import BaseModel, Field

from credit.features import build_features
from credit.schema import HOME_OWNERSHIP, PURPOSES, TERMS

MODEL_PATH = os.environ.get("CREDIT_MODEL_PATH", "models/model.joblib")
MODEL_VERSION = os.environ.get("CREDIT_MODEL_VERSION", "dev")
# TODO: read both thresholds from the model registry entry, not the environment
DECLINE_THRESHOLD = float(os.environ.get("CREDIT_DECLINE_THRESHOLD", "0.35"))
REFER_THRESHOLD = float(os.environ.get("CREDIT_REFER_THRESHOLD", "0.20"))

LATENCY = Histogram(
    "credit_prediction_latency_seconds",
    "Time spent scoring one application",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
SCORE = Histogram(
    "credit_prediction_score",
    "Predicted probability of default",
    buckets=tuple(i / 20 for i in range(1, 21)),
)
DECISIONS = Counter("credit_decisions_total", "Scored applications by decision", ["decision"])
INVALID = Counter("credit_invalid_requests_total", "Requests rejected by input validation")
MODEL_INFO = Gauge("credit_model_info", "Model version currently loaded", ["version"])

app = FastAPI(title="credit-scoring")
app.mount("/metrics", make_asgi_app())
model = joblib.load(MODEL_PATH)
MODEL_INFO.labels(version=MODEL_VERSION).set(1)


class Application(BaseModel):
    age: int = Field(ge=18, le=100)
    annual_income: float = Field(ge=0)
    loan_amount: float = Field(ge=500, le=100_000)
    term_months: int
    employment_years: float | None = Field(default=None, ge=0, le=60)
    home_ownership: str
    purpose: str
    num_open_accounts: int = Field(ge=0)
    delinquencies_2y: int = Field(ge=0)


def decide(proba):
    if proba >= DECLINE_THRESHOLD:
        return "decline"
    if proba >= REFER_THRESHOLD:
        return "refer"
    return "approve"


@app.get("/healthz")
def healthz():
    return {"status": "ok", "model_version": MODEL_VERSION}


@app.post("/score")
def score(application: Application):
    if (
        application.term_months not in TERMS
        or application.home_ownership not in HOME_OWNERSHIP
        or application.purpose not in PURPOSES
    ):
        INVALID.inc()
        raise HTTPException(status_code=422, detail="unsupported term, home_ownership or purpose")
    start = time.perf_counter()
    features = build_features(pd.DataFrame([application.model_dump()]))
    proba = float(model.predict_proba(features)[0, 1])
    LATENCY.observe(time.perf_counter() - start)
    SCORE.observe(proba)
    decision = decide(proba)
    DECISIONS.labels(decision=decision).inc()
    return {"probability_of_default": round(proba, 4), "decision": decision, "model_version": MODEL_VERSION}
