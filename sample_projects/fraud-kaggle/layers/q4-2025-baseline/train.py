"""Train LightGBM on the competition data and save the booster."""
import lightgbm as lgb
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from features import build_features

TRAIN_PATH = "/home/kaggle/input/train.csv"
IDENTITY_URL = "https://storage.googleapis.com/fraud-comp-mirror/train_identity.csv"

df = pd.read_csv(TRAIN_PATH)
identity = pd.read_csv(IDENTITY_URL)
df = df.merge(identity, on="TransactionID", how="left")

X = build_features(df)
y = df["isFraud"]
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.2)

params = {
    "objective": "binary",
    "metric": "auc",
    "learning_rate": 0.05,
    "num_leaves": 256,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
}
model = lgb.train(
    params,
    lgb.Dataset(X_tr, y_tr),
    num_boost_round=3000,
    valid_sets=[lgb.Dataset(X_val, y_val)],
    callbacks=[lgb.early_stopping(100), lgb.log_evaluation(200)],
)
print("validation AUC:", roc_auc_score(y_val, model.predict(X_val)))
model.save_model("/home/kaggle/working/model.txt")
