"""Score the competition test set and write submission.csv."""
import lightgbm as lgb
import pandas as pd

from features import build_features

TEST_PATH = "/home/kaggle/input/test.csv"
IDENTITY_URL = "https://storage.googleapis.com/fraud-comp-mirror/test_identity.csv"

test = pd.read_csv(TEST_PATH)
test = test.merge(pd.read_csv(IDENTITY_URL), on="TransactionID", how="left")

model = lgb.Booster(model_file="/home/kaggle/working/model.txt")
proba = model.predict(build_features(test))

submission = pd.DataFrame({"TransactionID": test["TransactionID"], "isFraud": proba})
submission.to_csv("submission.csv", index=False)
print(submission.describe())
