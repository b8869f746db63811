"""Train the two extra models that predict.py blends with LightGBM.

XGBoost on the same features, and a logistic regression on a handful of
scaled columns that mostly helps on small-amount transactions.
"""
import joblib
import pandas as pd
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from features import build_features

TRAIN_PATH = "/home/kaggle/input/train.csv"
IDENTITY_URL = "https://storage.googleapis.com/fraud-comp-mirror/train_identity.csv"
LOGREG_COLUMNS = ["log_amt", "amt_cents", "hour", "card1_freq", "uid_count", "amt_to_uid_mean"]

df = pd.read_csv(TRAIN_PATH).merge(pd.read_csv(IDENTITY_URL), on="TransactionID", how="left")
X = build_features(df)
y = df["isFraud"]
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.2)

booster = xgb.train(
    {"objective": "binary:logistic", "eval_metric": "auc", "eta": 0.04, "max_depth": 12,
     "subsample": 0.8, "colsample_bytree": 0.4, "tree_method": "hist"},
    xgb.DMatrix(X_tr, label=y_tr),
    num_boost_round=2000,
    evals=[(xgb.DMatrix(X_val, label=y_val), "val")],
    early_stopping_rounds=100,
    verbose_eval=200,
)
booster.save_model("/home/kaggle/working/xgb.json")

logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, C=0.1))
logreg.fit(X_tr[LOGREG_COLUMNS].fillna(-999), y_tr)
print("logreg AUC:", roc_auc_score(y_val, logreg.predict_proba(X_val[LOGREG_COLUMNS].fillna(-999))[:, 1]))
joblib.dump(logreg, "/home/kaggle/working/logreg.joblib")
