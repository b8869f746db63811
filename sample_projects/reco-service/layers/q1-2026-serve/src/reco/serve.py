"""HTTP endpoint serving recommendations from the saved model.

    PYTHONPATH=src flask --app reco.serve run --port 8080
"""
import joblib
from flask import Flask, abort, jsonify

from reco.config import load_config
from reco.model import recommend

cfg = load_config()
app = Flask(__name__)
_model = None


def get_model():
    """Load the artifact on first use so the app starts without it."""
    global _model
    if _model is None:
        _model = joblib.load(cfg["model"]["artifact"])
    return _model


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/recommendations/<user_id>")
def recommendations(user_id):
    items = recommend(get_model(), user_id, cfg["serving"]["top_n"])
    if not items:
        abort(404, description=f"no recommendations for {user_id}")
    return jsonify({"user_id": user_id, "items": items})


if __name__ == "__main__":
    app.run(host=cfg["serving"]["host"], port=cfg["serving"]["port"])
