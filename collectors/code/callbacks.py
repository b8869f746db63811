"""What a framework calls without the project naming it: decorated functions, hook names, class members.

Functions under a framework's decorator (routes, commands, fixtures,
registries) and functions a framework finds by their name (``pytest_*``) are
not dead. For classes, a class's bases are resolved through its file's
imports (``nn.Module`` with ``from torch import nn`` is ``torch.nn.Module``)
and through the project's own classes, so that a LightningModule reached
through a project base class is still a LightningModule. Each framework base
lends its hooks (the methods the framework calls by name) to the classes that
derive from it, and to the project classes mixed into them. A base from
outside the project that is not in the table (``logging.Handler``,
``gym.Env``, a Box2D listener, ``ModelCheckpoint``) may call any of its
subclass's methods, so none of them is reported; some frameworks find the
class itself by subclassing (a locust ``HttpUser``, a Django model), so
neither is the class. A class with plain bases only (``object``, builtins,
typing, abc, enum) keeps vulture's judgement: a plain class's unused
``forward`` is dead.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

# Functions a framework calls through a decorator (web routes, CLI commands, fixtures, hooks, registries) are not dead.
FRAMEWORK_DECORATORS = [
    "@*.route",
    "@*.get",
    "@*.post",
    "@*.put",
    "@*.patch",
    "@*.delete",
    "@*.websocket",
    "@*.command",
    "@*.group",
    "@*.callback",
    "@*.task",
    "@*.fixture",
    "@fixture",
    "@*.main",
    "@*.hookimpl",
    "@hookimpl",
    "@*.hookspec",
    "@hookspec",
    "@*.hook_impl",
    "@hook_impl",
    "@*register*",
    "@*.validator",
    "@field_validator",
    "@model_validator",
    "@validator",
    "@*.on_event",
    "@*.middleware",
    "@*.errorhandler",
    "@*.exception_handler",
    "@*.before_request",
    "@*.before_first_request",
    "@*.after_request",
    "@*.teardown_request",
    "@*.teardown_appcontext",
    "@*.context_processor",
    "@*.template_filter",
    "@*.template_global",
    "@*.listens_for",
    "@listens_for",
    "@receiver",
    "@*.on",
    "@*.event",
    "@*.api",
    "@*.endpoint",
    "@*.step",
    "@*.op",
    "@*.asset",
    "@*.job",
    "@*.flow",
    "@task",
    "@shared_task",
    "@flow",
    "@op",
    "@asset",
    "@job",
    "@sensor",
    "@schedule",
    "@*.tool",
    "@tool",
]
# Functions a framework finds by their name: pytest hooks, TFX module-file functions, Kedro's pipeline factories.
FRAMEWORK_NAMES = [
    "pytest_*",
    "run_fn",
    "trainer_fn",
    "tuner_fn",
    "preprocessing_fn",
    "stats_options_updater_fn",
    "create_pipeline",
    "register_pipelines",
]
SPHINX_CONF_HOOKS = {"setup", "linkcode_resolve"}  # functions of a Sphinx conf.py that Sphinx calls
# Calls that turn a class's public methods into commands (``fire.Fire(Trainer)``), by the called name.
COMMAND_BUILDERS = {
    "Fire": {"fire.Fire", "fire.core.Fire"},
    "CLI": {"jsonargparse.CLI"},
    "auto_cli": {"jsonargparse.auto_cli"},
}
ANY = "*"  # a base outside the project and the table: any member may be a hook
FOUND = "<found>"  # the framework finds the class itself by subclassing: it is not dead when no file names it
Key = tuple[str, int]  # a class: its file and line
UNRESOLVED = "?"  # marks a base whose first name the file does not import: a variable, a star import, a builtin
_TORCH_MODULE = (
    "forward",
    "extra_repr",
    "reset_parameters",
    "state_dict",
    "load_state_dict",
    "_load_from_state_dict",
    "_save_to_state_dict",
    "get_extra_state",
    "set_extra_state",
    "train",
    "eval",
    "_apply",
    "to",
    "cuda",
    "cpu",
    "half",
    "float",
    "double",
    "bfloat16",
    "apply",
    "zero_grad",
    "parameters",
    "named_parameters",
    "buffers",
    "named_buffers",
    "children",
    "named_children",
    "modules",
    "named_modules",
    "requires_grad_",
    "register_*",
    "_conv_forward",
    "_check_input_dim",
    "_get_name",
)
_LIGHTNING = (
    *_TORCH_MODULE,
    "*_step",
    "*_step_end",
    "*_epoch_end",
    "*_epoch_start",
    "*_dataloader",
    "configure_*",
    "on_*",
    "before_*",
    "after_*",
    "setup",
    "teardown",
    "prepare_data",
    "transfer_batch_to_device",
    "optimizer_step",
    "optimizer_zero_grad",
    "lr_scheduler_step",
    "backward",
    "state_key",
    "freeze",
    "unfreeze",
    "tbptt_split_batch",
    "example_input_array",
    "automatic_optimization",
    "add_arguments_to_parser",
    "instantiate_classes",
    "log_metrics",
    "log_hyperparams",
    "log_graph",
    "experiment",
    "name",
    "version",
    "root_dir",
    "log_dir",
    "save_dir",
    "save",
    "finalize",
)
_KERAS = (
    "call",
    "build",
    "get_config",
    "from_config",
    "compute_output_shape",
    "compute_output_signature",
    "compute_output_spec",
    "compute_mask",
    "train_step",
    "test_step",
    "predict_step",
    "compute_loss",
    "compute_metrics",
    "get_metrics_result",
    "metrics",
    "reset_metrics",
    "update_state",
    "result",
    "reset_state",
    "reset_states",
    "get_build_config",
    "build_from_config",
    "get_compile_config",
    "compile_from_config",
    "get_weights",
    "set_weights",
    "on_*",
    "set_model",
    "set_params",
    "update_step",
    "_resource_apply_dense",
    "_resource_apply_sparse",
    "_create_slots",
)
_SKLEARN = (
    "fit",
    "transform",
    "fit_transform",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
    "score_samples",
    "inverse_transform",
    "partial_fit",
    "fit_predict",
    "fit_resample",
    "get_params",
    "set_params",
    "get_feature_names_out",
    "set_output",
    "get_metadata_routing",
    "set_*_request",
    "_more_tags",
    "_get_tags",
    "_sklearn_*",
    "*[!_]_",  # fitted attributes as properties: classes_, feature_importances_
)
_LIGHTNING_PACKAGES = ("lightning.*", "pytorch_lightning.*", "lightning_fabric.*", "pl.*", "L.*")
_KERAS_PACKAGES = ("keras.*", "tf_keras.*", "tensorflow.keras.*", "tf.keras.*", "tensorflow.*", "tf.*")
_OPTIMIZER = ("step", "zero_grad", "state_dict", "load_state_dict", "add_param_group", "_init_group")
_SCHEDULER = ("step", "get_lr", "_get_closed_form_lr", "get_last_lr", "print_lr", "state_dict", "load_state_dict")
# (the packages a base comes from, its name, the member names the framework calls). These are the classes
# meant to be subclassed; a subclass of another class of these packages (nn.Conv2d, ModelCheckpoint,
# keras.layers.Dense, LogisticRegression) overrides whatever it likes, as of an unknown base.
FRAMEWORKS: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    (_LIGHTNING_PACKAGES, ("LightningModule", "LightningDataModule", "Callback", "Logger"), _LIGHTNING),
    (("torchmetrics.*",), ("Metric",), (*_TORCH_MODULE, "update", "compute", "reset", "plot")),
    (("torch.autograd.*",), ("Function",), ("forward", "backward", "setup_context", "jvp", "vjp", "vmap", "symbolic")),
    (("torch.optim.*",), ("Optimizer",), _OPTIMIZER),
    (("torch.optim.*",), ("LRScheduler", "_LRScheduler"), _SCHEDULER),
    (("torch.utils.data.*",), ("Dataset", "IterableDataset", "Sampler"), ()),  # their hooks are dunder methods
    (("torch.*", "nn.*"), ("Module", "Sequential", "ModuleList", "ModuleDict"), _TORCH_MODULE),
    (
        _KERAS_PACKAGES,
        ("Layer", "Model", "Module", "Callback", "Sequence", "PyDataset", "Metric", "Loss", "Optimizer"),
        _KERAS,
    ),
    (_KERAS_PACKAGES, ("LearningRateSchedule", "Constraint", "Regularizer", "Initializer"), _KERAS),
    (("sklearn.*",), ("BaseEstimator", "*Mixin"), _SKLEARN),
    (("pydantic.*", "pydantic_settings.*"), ("BaseModel", "BaseSettings"), ("model_*", "Config")),
)
# Frameworks that find their subclasses themselves (load-test users, models, tasks, spiders, test cases).
FINDERS = (
    "locust.*",
    "django.*",
    "luigi.*",
    "scrapy.*",
    "airflow.*",
    "sqlalchemy.*",
    "flask_sqlalchemy.*",
    "peewee.*",
    "mongoengine.*",
    "unittest.*",
)
# Bases that call no member by name (their hooks, if any, are dunder or _sunder_ names).
PLAIN = ("typing.*", "typing_extensions.*", "abc.*", "enum.*", "object")
_BUILTIN_CLASSES = {name for name, value in vars(builtins).items() if isinstance(value, type)}


def hooks_of(origin: str) -> tuple[str, ...] | None:
    """The member patterns the framework of a base from outside the project calls; None for a plain base.

    A base the file neither imports nor defines (a ``Base = declarative_base()``,
    a star import, a call) cannot be known: any member may be a hook and the
    class may be found by subclassing.
    """
    unresolved = origin.startswith(UNRESOLVED)
    origin = origin.lstrip(UNRESOLVED)
    if origin in _BUILTIN_CLASSES or any(fnmatchcase(origin, p) for p in PLAIN):
        return None
    name = origin.rsplit(".", 1)[-1]
    for packages, names, hooks in FRAMEWORKS:
        if any(fnmatchcase(name, n) for n in names) and any(fnmatchcase(origin, p) for p in packages):
            return hooks
    if unresolved or any(fnmatchcase(origin, p) for p in FINDERS):
        return (ANY, FOUND)
    return (ANY,)


@dataclass
class Classes:
    """Every class of the project: its bases (dotted origins) and members (name, first line)."""

    by_name: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    bases: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    owner: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)  # (path, member line) -> class
    roots: set[str] = field(default_factory=set)  # every folder and module name: where a project import starts

    def add(self, path: str, row: list[object]) -> None:
        name, line, bases, members = row
        assert isinstance(name, str) and isinstance(line, int) and isinstance(bases, list)
        assert isinstance(members, list)
        key = (path, line)
        self.by_name.setdefault(name, []).append(key)
        self.bases[key] = bases
        for _, member_line in members:
            self.owner[(path, member_line)] = key

    def hooks(self) -> tuple[dict[tuple[str, int], set[str]], set[tuple[str, int]]]:
        """For each class, the member patterns some framework calls on it (ANY: every member); the classes found.

        A class's project bases are the classes its base's name resolves to, and
        many classes share one such list (every codec's ``codecs.StreamWriter``
        is each of the project's ``StreamWriter`` classes): the list is one node
        between its classes and its members, so that hooks cross it once
        instead of once for each pair. A class reaches itself through a list
        that holds it, which adds nothing to what it holds, so the class need
        not be left out of its own list.
        """
        keys = list(self.bases)
        index = {key: i for i, key in enumerate(keys)}
        own: list[set[str]] = []
        above: list[list[int]] = []  # each class's lists of project bases, by their node
        lists: list[list[Key]] = []  # the lists met, each once; held so that no two share an id
        node_of: dict[int, int] = {}  # a list's id -> its node
        resolved: dict[tuple[str, str], list[Key]] = {}  # (path, origin) -> the project classes it names
        framework: dict[str, tuple[str, ...]] = {}  # origin -> hooks_of(origin) or ()
        for key, bases in self.bases.items():
            found: set[str] = set()
            nodes: list[int] = []
            for origin in bases:
                where = (key[0], origin)
                project = resolved.get(where)
                if project is None:
                    project = resolved[where] = self._project(key[0], origin)
                if project:
                    node = node_of.get(id(project))
                    if node is None:
                        node = node_of[id(project)] = len(keys) + len(lists)
                        lists.append(project)
                    nodes.append(node)
                else:
                    patterns = framework.get(origin)
                    if patterns is None:
                        patterns = framework[origin] = hooks_of(origin) or ()
                    found.update(patterns)
            own.append(found)
            above.append(nodes)
        below: list[list[int]] = [[] for _ in keys]  # towards the subclasses: a class to the lists that hold it
        below.extend([] for _ in lists)  # a list to the classes whose base it is
        for i, nodes in enumerate(above):
            for node in nodes:
                below[node].append(i)
        above.extend([index[member] for member in project] for project in lists)  # a list to its members
        for node, project in enumerate(lists, len(keys)):
            for member in project:
                below[index[member]].append(node)
        empty: list[set[str]] = [set() for _ in lists]
        inherited = _spread([*own, *empty], below)  # each class's own hooks and every project ancestor's
        # a framework calls these on the class, its project bases and mixins: each ancestor gets its descendants'
        effective = _spread([*inherited[: len(keys)], *empty], above)
        return dict(zip(keys, effective)), {key for key, found in zip(keys, inherited) if FOUND in found}

    def _project(self, path: str, origin: str) -> list[tuple[str, int]]:
        """The project classes a base names: a class of the same file, or one reached through a project import."""
        unresolved = origin.startswith(UNRESOLVED)
        origin = origin.lstrip(UNRESOLVED)
        name = origin.rsplit(".", 1)[-1]
        candidates = self.by_name.get(name, [])
        if not candidates:
            return []
        if unresolved and "." not in origin:  # a class of this file, or one a star import brings
            local = [k for k in candidates if k[0] == path]
            return local or candidates
        return candidates if origin.split(".", 1)[0] in self.roots else []


def _spread(start: list[set[str]], towards: list[list[int]]) -> list[set[str]]:
    """Each node's set of ``start`` with, added, the sets of every node that reaches it through ``towards``.

    ``towards[node]`` are the nodes that receive what ``node`` holds (a class's
    hooks go to its subclasses; a subclass's hooks to its ancestors). A fixed
    point from a work list: a node whose set grows passes it on again. Sets only
    grow, so it ends, and loops (inheritance may loop) need no special case; the
    cost is the edges times the few patterns, not the classes times their ancestors.
    """
    reached = [set(found) for found in start]
    todo = [node for node, found in enumerate(reached) if found]
    while todo:
        node = todo.pop()
        found = reached[node]
        for target in towards[node]:
            theirs = reached[target]
            if not found <= theirs:
                theirs |= found
                todo.append(target)
    return reached


def is_hook(name: str, patterns: set[str]) -> bool:
    return ANY in patterns or any(fnmatchcase(name, p) for p in patterns)
