"""Write the monthly list of at-risk customers for the CRM retention team.

Run from the repository root after notebooks/02_churn_model.ipynb has saved
the model::

    python export_targets.py 2026-08
"""
import pickle
import sys

from churn_helpers import CATEGORICAL, NUMERIC, load_customers, top_risk

# HACK: the notebook pickles the fitted pipeline, so this only loads with the
# scikit-learn version that happened to be installed when it was last run.
MODEL_PATH = "models/churn_hgb.pkl"
OUTPUT_DIR = "/mnt/shared/crm/churn-campaign"


def main(extract):
    with open(MODEL_PATH, "rb") as fh:
        model = pickle.load(fh)
    customers = load_customers(extract, data_dir="data")
    proba = model.predict_proba(customers[CATEGORICAL + NUMERIC])[:, 1]
    targets = top_risk(customers, proba)
    path = f"{OUTPUT_DIR}/churn_targets_{extract}.xlsx"
    targets.to_excel(path, index=False)
    print(f"wrote {len(targets)} customers to {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "2026-08")
