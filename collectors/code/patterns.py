"""What the code analysis looks for: library calls, names and literals, as data.

Calls are matched on their resolved dotted name (``np.random.seed`` read
through ``import numpy as np`` is ``numpy.random.seed``). Names are matched
on their tokens (``train_model_v2`` is ``train``, ``model``, ``v2``).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Debt markers a developer leaves for later (self-admitted technical debt).
DEBT_WORDS = ("TODO", "FIXME", "HACK", "XXX", "KLUDGE")
DEBT_MARKER = re.compile(r"\b(" + "|".join(DEBT_WORDS) + r")\b")

# Seeds: calls that fix a library's random state, by library.
SEED_CALLS = {
    "random.seed": "random",
    "numpy.random.seed": "numpy",
    "numpy.random.default_rng": "numpy",
    "numpy.random.RandomState": "numpy",
    "torch.manual_seed": "torch",
    "torch.cuda.manual_seed": "torch",
    "torch.cuda.manual_seed_all": "torch",
    "torch.random.manual_seed": "torch",
    "tensorflow.random.set_seed": "tensorflow",
    "tensorflow.set_random_seed": "tensorflow",
    "tensorflow.keras.utils.set_random_seed": "tensorflow",
    "keras.utils.set_random_seed": "tensorflow",
    "pytorch_lightning.seed_everything": "torch",
    "lightning.seed_everything": "torch",
    "lightning.pytorch.seed_everything": "torch",
    "transformers.set_seed": "torch",
    "jax.random.PRNGKey": "jax",
    "jax.random.key": "jax",
}
# Keyword arguments through which estimators take a seed.
SEED_KEYWORDS = {"random_state", "seed", "random_seed", "rng"}
# Libraries whose use calls for a seed: the import name and the name facts use.
RANDOM_LIBRARIES = {
    "random": "random",
    "numpy": "numpy",
    "torch": "torch",
    "tensorflow": "tensorflow",
    "keras": "tensorflow",
    "sklearn": "sklearn",
    "jax": "jax",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "catboost": "catboost",
    "pytorch_lightning": "torch",
    "lightning": "torch",
}
# numpy is "in use" for randomness only when numpy.random is called.
NEEDS_RANDOM_CALL = {"numpy"}

ML_LIBRARIES = {
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
    "jax",
    "flax",
    "xgboost",
    "lightgbm",
    "catboost",
    "transformers",
    "pytorch_lightning",
    "lightning",
    "statsmodels",
    "prophet",
    "spacy",
    "gensim",
    "mxnet",
    "paddle",
    "onnx",
    "onnxruntime",
    "fastai",
    "optuna",
    "pandas",
    "numpy",
    "scipy",
    "polars",
    "pyspark",
    "datasets",
}

TRACKING_LIBRARIES = {
    "mlflow": "mlflow",
    "wandb": "wandb",
    "neptune": "neptune",
    "comet_ml": "comet",
    "clearml": "clearml",
    "aim": "aim",
    "dvclive": "dvclive",
    "tensorboardX": "tensorboard",
    "sacred": "sacred",
    "torch.utils.tensorboard": "tensorboard",
    "tensorflow.summary": "tensorboard",
    "guild": "guild",
}
# Calls that record a run: logging, starting and ending runs, run objects.
TRACKING_VERBS = (
    "log",
    "init",
    "start_run",
    "end_run",
    "set_",
    "autolog",
    "watch",
    "finish",
    "track",
    "define_metric",
    "add_",
    "Run",
    "Experiment",
    "Live",
    "SummaryWriter",
    "Task",
)
LOGGER_CLASSES = {
    "MLFlowLogger": "mlflow",
    "WandbLogger": "wandb",
    "NeptuneLogger": "neptune",
    "CometLogger": "comet",
    "TensorBoardLogger": "tensorboard",
    "AimLogger": "aim",
}

# Model registry: methods that exist only for registries, and registry URIs.
REGISTRY_METHODS = {
    "register_model",
    "create_registered_model",
    "create_model_version",
    "transition_model_version_stage",
    "set_registered_model_alias",
    "get_latest_versions",
    "get_model_version_by_alias",
    "link_model",
    "use_model",
    "init_model",
    "init_model_version",
    "push_to_hub",
}
REGISTRY_KEYWORDS = {"registered_model_name", "model_package_group_name"}
REGISTRY_URI = re.compile(r"^(models|runs):/")

# Centralised configuration: how code reads a config, by mechanism.
CONFIG_CALLS = {
    "hydra.main": "hydra",
    "hydra.compose": "hydra",
    "hydra.initialize": "hydra",
    "hydra.initialize_config_dir": "hydra",
    "hydra.utils.instantiate": "hydra",
    "omegaconf.OmegaConf.load": "omegaconf",
    "omegaconf.OmegaConf.create": "omegaconf",
    "omegaconf.OmegaConf.structured": "omegaconf",
    "yaml.safe_load": "yaml",
    "yaml.load": "yaml",
    "yaml.full_load": "yaml",
    "tomllib.load": "toml",
    "tomllib.loads": "toml",
    "toml.load": "toml",
    "tomli.load": "toml",
    "configparser.ConfigParser": "configparser",
    "dynaconf.Dynaconf": "dynaconf",
    "gin.parse_config_file": "gin",
    "gin.parse_config_files_and_bindings": "gin",
    "dvc.api.params_show": "dvc-params",
    "ml_collections.config_flags.DEFINE_config_file": "ml_collections",
    "dotenv.load_dotenv": "dotenv",
}
SETTINGS_BASES = {"BaseSettings"}  # pydantic(-settings) classes filled from the environment

HYPERPARAMETERS = {
    "learning_rate",
    "lr",
    "eta",
    "n_estimators",
    "num_boost_round",
    "max_depth",
    "max_leaf_nodes",
    "num_leaves",
    "min_child_weight",
    "min_samples_leaf",
    "min_samples_split",
    "subsample",
    "colsample_bytree",
    "epochs",
    "num_epochs",
    "n_epochs",
    "batch_size",
    "dropout",
    "hidden_size",
    "hidden_dim",
    "num_layers",
    "n_layers",
    "weight_decay",
    "momentum",
    "alpha",
    "l1_ratio",
    "C",
    "gamma",
    "max_iter",
    "l2_regularization",
    "reg_alpha",
    "reg_lambda",
    "lambda_l1",
    "lambda_l2",
    "n_neighbors",
    "warmup_steps",
    "max_features",
    "embedding_dim",
    "num_heads",
    "patience",
    "tol",
    "beta1",
    "beta2",
    "k",
}

FLAG_LIBRARIES = {
    "ldclient": "launchdarkly",
    "UnleashClient": "unleash",
    "flagsmith": "flagsmith",
    "growthbook": "growthbook",
    "splitio": "split",
    "optimizely": "optimizely",
    "featureflags": "featureflags",
    "flipper": "flipper",
}
FLAG_NAME = re.compile(r"^(ENABLE|USE|DISABLE|FEATURE|FF|FLAG|EXPERIMENTAL)_|_(ENABLED|DISABLED|FLAG)$", re.I)

# Experimental code: tokens that mark a copy or a trial path.
COPY_TOKENS = {
    "old",
    "new",
    "copy",
    "backup",
    "bak",
    "orig",
    "tmp",
    "temp",
    "final",
    "draft",
    "unused",
    "deprecated",
    "legacy",
    "experimental",
    "exp",
    "wip",
}
EXPERIMENT_TOKENS = {
    "experimental",
    "experiment",
    "legacy",
    "old",
    "new",
    "beta",
    "hack",
    "tmp",
    "temp",
    "alt",
    "trial",
    "wip",
}
VERSION_TOKEN = re.compile(r"^v\d+$")

# Model outputs, as their names usually read.
OUTPUT_TOKENS = {
    "predict",
    "prediction",
    "predictions",
    "pred",
    "preds",
    "proba",
    "probability",
    "probabilities",
    "prob",
    "probs",
    "score",
    "scores",
    "logit",
    "logits",
    "output",
    "outputs",
    "confidence",
    "yhat",
    "likelihood",
    "risk",
}

DATA_EXTENSIONS = (
    ".csv",
    ".tsv",
    ".parquet",
    ".pq",
    ".feather",
    ".arrow",
    ".json",
    ".jsonl",
    ".xlsx",
    ".xls",
    ".pkl",
    ".pickle",
    ".joblib",
    ".h5",
    ".hdf5",
    ".npy",
    ".npz",
    ".avro",
    ".orc",
    ".tfrecord",
    ".tfrecords",
    ".db",
    ".sqlite",
    ".zip",
    ".gz",
    ".bz2",
    ".pt",
    ".pth",
    ".onnx",
    ".ckpt",
    ".txt",
)
URI = re.compile(r"^(s3a?|gs|gcs|abfss?|wasbs?|hdfs|az|adl|dbfs|file):/")
WEB_URL = re.compile(r"^https?://[^\s]+$")
ABSOLUTE_PATH = re.compile(r"^(~|[A-Za-z]:)?[/\\][^\s]+[/\\][^\s]*$")
SYSTEM_PATHS = ("/dev/", "/proc/", "/sys/", "/usr/", "/bin/", "/sbin/", "/lib/")
QUIET_CALLS = {"print", "warn", "warning", "info", "debug", "error", "exception", "critical", "log", "format"}

RAW_READERS = {
    "read_csv",
    "read_parquet",
    "read_json",
    "read_excel",
    "read_sql",
    "read_sql_query",
    "read_table",
    "read_feather",
    "read_pickle",
    "read_hdf",
    "read_orc",
    "loadtxt",
    "genfromtxt",
    "load_dataset",
    "read_csv_auto",
    "scan_csv",
    "scan_parquet",
}

VALIDATION_LIBRARIES = {
    "great_expectations": "great_expectations",
    "pandera": "pandera",
    "tensorflow_data_validation": "tfdv",
    "deepchecks": "deepchecks",
    "pydantic": "pydantic",
    "pandas_schema": "pandas_schema",
    "cerberus": "cerberus",
    "jsonschema": "jsonschema",
    "whylogs": "whylogs",
    "soda": "soda",
    "evidently": "evidently",
}
TEST_FRAMEWORKS = {
    "pytest": "pytest",
    "unittest": "unittest",
    "hypothesis": "hypothesis",
    "nose": "nose",
    "nose2": "nose",
    "doctest": "doctest",
}
TRAIN_CALLS = {"fit", "partial_fit", "fit_transform", "train", "fit_generator"}
EVAL_CALLS = {
    "evaluate",
    "score",
    "roc_auc_score",
    "accuracy_score",
    "f1_score",
    "precision_score",
    "recall_score",
    "mean_squared_error",
    "mean_absolute_error",
    "log_loss",
    "r2_score",
    "auc",
}
PREDICT_CALLS = {"predict", "predict_proba", "predict_log_proba", "decision_function", "forward", "generate"}

NOTEBOOK_IMPORTERS = {"import_ipynb", "importnb", "nbimporter", "ipynb"}
NOTEBOOK_RUNNER = re.compile(r"(papermill|nbconvert|nbclient|runipy|ploomber|jupyter\s+execute)[^\n]*?\.ipynb")

SERVE_TOKENS = {
    "serve",
    "serving",
    "server",
    "predict",
    "prediction",
    "inference",
    "infer",
    "api",
    "app",
    "handler",
    "endpoint",
    "service",
    "score",
    "scoring",
    "online",
    "realtime",
}
TRAIN_TOKENS = {
    "train",
    "training",
    "fit",
    "pipeline",
    "prepare",
    "preprocess",
    "preprocessing",
    "offline",
    "notebook",
    "notebooks",
    "experiment",
    "experiments",
    "model",
}

_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def tokens(name: str) -> list[str]:
    """``trainModel_v2.py`` -> ['train', 'model', 'v2', 'py']"""
    return list(token_tuple(name))


@lru_cache(maxsize=8192)
def token_tuple(name: str) -> tuple[str, ...]:
    """``tokens`` as a tuple, remembered: the same identifiers recur all through a code base."""
    return tuple(t.lower() for t in _SPLIT.split(name) if t)


def is_copy_name(stem: str) -> bool:
    """A file or function named as a copy or a variant (``_old``, ``_v2``, ``experimental``)."""
    parts = tokens(stem)
    if len(parts) < 2:
        return parts == ["experimental"]
    last = parts[-1]
    return last in COPY_TOKENS or bool(VERSION_TOKEN.match(last)) or "experimental" in parts or "copy" in parts


def is_flag_name(name: str) -> bool:
    parts = tokens(name)
    if not parts:
        return False
    return (
        bool(EXPERIMENT_TOKENS & set(parts))
        or parts[0] in {"use", "enable", "disable"}
        or any(VERSION_TOKEN.match(p) for p in parts)
    )


def path_role(rel: str) -> str | None:
    """'serve' or 'train' from a file's path tokens; None for neither (or both)."""
    parts = set(tokens(rel.rsplit(".", 1)[0]))
    serve, train = bool(parts & SERVE_TOKENS), bool(parts & TRAIN_TOKENS) or rel.endswith(".ipynb")
    if serve == train:
        return None
    return "serve" if serve else "train"
