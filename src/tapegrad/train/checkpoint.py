"""`tf.train.Checkpoint`, `tf.train.CheckpointManager`, `tf.train.latest_checkpoint`: object-based checkpoints.

Key decisions:
- TensorFlow's object graph, kept: a checkpoint saves every variable reachable from its root through
  attributes (of `tf.Module`s and layers), lists, tuples, dicts and `_checkpoint_dependencies()` (the optimizer's
  hook), as nodes with named edges. Restoring walks the saved graph and the program's objects side by side
  from the root and matches them by edge names, so a variable reachable by two paths (a layer's kernel and an
  optimizer's `_trainable_variables`) is one node, found through either. Optimizer slots are saved keyed to
  their variable's node (`<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot>`), and restoring into an
  optimizer that has not made its slots yet builds it on the saved variables, in the saved order, so a resumed
  run continues bit for bit.
- One file per checkpoint, `<prefix>.npz`: a plain NumPy archive of the variables, keyed by their paths (as
  `tf.train.list_variables` names them), plus the object graph as JSON under `_CHECKPOINTABLE_OBJECT_GRAPH`.
  (TensorFlow writes `<prefix>.index` and `<prefix>.data-00000-of-00001`: one file makes its appearance the
  commit point of a save.) It is written to a temporary file in the same directory, fsynced, then renamed
  over the target with `os.replace`, and the directory is fsynced: a crash at any point leaves either the
  previous file or the complete new one. The `checkpoint` state file (TensorFlow's text format, which
  `latest_checkpoint` reads) is written the same way, after the checkpoint itself.
- Restoring checks everything first (the archive's CRCs, shapes and dtypes against the program's variables)
  and assigns only when all of it passed: a corrupt or mismatched checkpoint raises and changes nothing.
  Values in the checkpoint that match no object, and variables that no value matched, are what
  `status.assert_consumed()` reports, as in TensorFlow (a partial restore is allowed).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _backend
from .._core.errors import DataLossError, InvalidArgumentError, NotFoundError
from .._core.tensor import Variable

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "CheckpointOptions", "latest_checkpoint",
           "list_variables", "load_variable"]

_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_ATTR = "/.ATTRIBUTES/VARIABLE_VALUE"
_FORMAT = "tapegrad-checkpoint"
_VERSION = 1
_SUFFIX = ".npz"
_STATE_FILE = "checkpoint"


# =========================================================================== the object graph

def _module_class():
    from .._module import Module

    return Module


def _trackable(x) -> bool:
    return (isinstance(x, (Variable, list, tuple, dict)) or hasattr(x, "_checkpoint_dependencies")
            or isinstance(x, _module_class()))


def _children(obj) -> list[tuple[str, Any]]:
    """The named objects a checkpoint saves under `obj`, as TensorFlow's object graph has them."""
    if isinstance(obj, Variable):
        return []
    deps = getattr(obj, "_checkpoint_dependencies", None)
    if deps is not None and not isinstance(obj, (list, tuple, dict)):
        items = list(deps())
    elif isinstance(obj, dict):
        items = [(str(k), v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(obj)]
    elif isinstance(obj, _module_class()):
        ignored = getattr(obj, "_TF_MODULE_IGNORED_PROPERTIES", ())
        items = [(k, v) for k, v in sorted(vars(obj).items()) if k not in ignored]
    else:
        items = []
    return [(name, child) for name, child in items if _trackable(child)]


def _escape(name: str) -> str:
    """TensorFlow's escaping of a name inside a checkpoint key: '.' -> '..', '/' -> '.S'."""
    return name.replace(".", "..").replace("/", ".S")


class _Graph:
    """The objects reachable from a root, breadth first: node ids, edges, paths, variables and slots."""

    def __init__(self, root) -> None:
        self.objects: list[Any] = [root]
        self.paths: list[str] = [""]
        self.children: list[list[tuple[str, int]]] = [[]]
        self.slots: dict[int, list[tuple[int, str, int]]] = {}  # optimizer node -> (variable node, name, slot node)
        ids = {id(root): 0}
        queue = collections.deque([0])
        while queue:
            nid = queue.popleft()
            for name, child in _children(self.objects[nid]):
                cid = ids.get(id(child))
                if cid is None:
                    cid = ids[id(child)] = len(self.objects)
                    self.objects.append(child)
                    path = self.paths[nid]
                    self.paths.append(f"{path}/{_escape(name)}" if path else _escape(name))
                    self.children.append([])
                    queue.append(cid)
                self.children[nid].append((name, cid))
        for nid, obj in enumerate(list(self.objects)):
            slot_variables = getattr(obj, "_slot_variables", None)
            if slot_variables is None or isinstance(obj, Variable):
                continue
            for variable, slot_name, slot in slot_variables():
                vid = ids.get(id(variable))
                if vid is None or id(slot) in ids:
                    continue
                sid = ids[id(slot)] = len(self.objects)
                self.objects.append(slot)
                self.paths.append(f"{self.paths[vid]}/.OPTIMIZER_SLOT/{self.paths[nid]}/{_escape(slot_name)}")
                self.children.append([])
                self.slots.setdefault(nid, []).append((vid, slot_name, sid))

    def variables(self) -> list[int]:
        return [i for i, o in enumerate(self.objects) if isinstance(o, Variable)]


def _serialize(root) -> tuple[dict, dict[str, np.ndarray]]:
    """The object graph (JSON-ready) and the arrays of a checkpoint of `root`."""
    graph = _Graph(root)
    arrays: dict[str, np.ndarray] = {}
    nodes = []
    for nid, obj in enumerate(graph.objects):
        node: dict[str, Any] = {"children": [[name, cid] for name, cid in graph.children[nid]]}
        if isinstance(obj, Variable):
            key = graph.paths[nid] + _ATTR
            value = np.array(_backend.to_numpy(obj._value))  # a copy: later updates never reach the file
            arrays[key] = value
            node["variable"] = {"key": key, "dtype": value.dtype.str, "shape": list(value.shape)}
        if nid in graph.slots:
            node["slots"] = [[vid, name, sid] for vid, name, sid in graph.slots[nid]]
        nodes.append(node)
    return {"format": _FORMAT, "version": _VERSION, "nodes": nodes}, arrays


# =========================================================================== files

def _file(prefix: str) -> str:
    return prefix if prefix.endswith(_SUFFIX) else prefix + _SUFFIX


def _prefix(path: str) -> str:
    path = os.fspath(path)
    return path[: -len(_SUFFIX)] if path.endswith(_SUFFIX) else path


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory file descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_npz(f, arrays: dict[str, np.ndarray]) -> None:
    """Writes `arrays` to the open binary file `f` as an uncompressed .npz archive."""
    import zipfile

    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, value in arrays.items():
            with archive.open(key + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def _atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """Writes `path` so that a crash at any point leaves the old file or the complete new one: a temporary
    file in the same directory, fsynced, renamed over `path`, then the directory fsynced."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def _write_checkpoint(prefix: str, root) -> str:
    graph, arrays = _serialize(root)
    arrays = {_GRAPH_KEY: np.array(json.dumps(graph)), **arrays}
    _atomic_write(_file(prefix), lambda f: _write_npz(f, arrays))
    return prefix


def _corrupt(path: str, why: str) -> DataLossError:
    return DataLossError(None, None, f"Unable to read the checkpoint at {path}: {why}. The file is corrupt or "
                                     "truncated (or not a tapegrad checkpoint); restore an earlier checkpoint.")


def _read_checkpoint(prefix: str) -> tuple[dict, dict[str, np.ndarray]]:
    """The object graph and every array of a checkpoint, all checked (CRCs, shapes, dtypes, entries)."""
    import zipfile
    import zlib

    path = _file(prefix)
    if not os.path.exists(path):
        raise NotFoundError(None, None, f"Error when restoring from checkpoint at {prefix}: Failed to find any "
                                        f"matching files for {prefix} ({path} does not exist).\nPlease double-check "
                                        "that the path is correct. You may be missing the checkpoint suffix (e.g. "
                                        "the '-1' in 'path/to/ckpt-1').")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            if _GRAPH_KEY not in names:
                raise _corrupt(path, "it has no object graph")
            arrays = {name: archive[name] for name in names}
    except DataLossError:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError) as e:
        raise _corrupt(path, f"{type(e).__name__}: {e}") from None
    try:
        graph = json.loads(str(arrays.pop(_GRAPH_KEY)[()]))
        nodes = graph["nodes"]
        if graph.get("format") != _FORMAT:
            raise ValueError("unknown format")
        if graph.get("version", 0) > _VERSION:
            raise _corrupt(path, f"it was written by a newer tapegrad (format version {graph['version']})")
        for node in nodes:
            spec = node.get("variable")
            if spec is None:
                continue
            value = arrays[spec["key"]]
            if value.dtype.str != spec["dtype"] or list(value.shape) != spec["shape"]:
                raise ValueError(f"entry {spec['key']} does not match the index")
    except DataLossError:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise _corrupt(path, f"its object graph is invalid ({e})") from None
    return graph, arrays


# =========================================================================== the checkpoint state file

def _parse_state(text: str) -> dict[str, list[str]]:
    state: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = re.match(r'\s*(\w+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*$', line)
        if m:
            value = m.group(2) if m.group(2) is not None else m.group(3)
            state.setdefault(m.group(1), []).append(value.replace('\\"', '"').replace("\\\\", "\\"))
    return state


def _state_path(directory: str, latest_filename: str | None) -> str:
    return os.path.join(directory, latest_filename or _STATE_FILE)


def _read_state(directory: str, latest_filename: str | None = None) -> dict[str, list[str]]:
    try:
        with open(_state_path(directory, latest_filename), encoding="utf-8") as f:
            return _parse_state(f.read())
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return {}


def _absolute(directory: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(directory, path)


def _update_state(directory: str, latest: str, all_paths: Sequence[str], timestamps: Sequence[float] | None = None,
                  last_preserved: float | None = None, latest_filename: str | None = None) -> None:
    """Writes TensorFlow's `checkpoint` file (paths relative to `directory` when inside it), atomically."""
    def rel(p: str) -> str:
        p = os.fspath(p)
        r = os.path.relpath(os.path.abspath(p), os.path.abspath(directory))
        return p if r.startswith("..") else r

    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"model_checkpoint_path: {q(rel(latest))}"]
    lines += [f"all_model_checkpoint_paths: {q(rel(p))}" for p in all_paths]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in timestamps or ()]
    if last_preserved is not None:
        lines.append(f"last_preserved_timestamp: {last_preserved!r}")
    text = "\n".join(lines) + "\n"
    _atomic_write(_state_path(directory, latest_filename), lambda f: f.write(text.encode("utf-8")))


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The prefix of the newest checkpoint in `checkpoint_dir` (from its `checkpoint` file), or None.

    >>> import tempfile, tapegrad as tf
    >>> d = tempfile.mkdtemp()
    >>> tf.train.latest_checkpoint(d) is None
    True
    >>> path = tf.train.Checkpoint(w=tf.Variable(1.0)).save(d + "/ckpt")
    >>> tf.train.latest_checkpoint(d) == path
    True
    """
    checkpoint_dir = os.fspath(checkpoint_dir)
    paths = _read_state(checkpoint_dir, latest_filename).get("model_checkpoint_path")
    if not paths:
        return None
    prefix = _absolute(checkpoint_dir, paths[-1])
    return prefix if os.path.exists(_file(prefix)) else None


def _resolve(ckpt_dir_or_file: str) -> str:
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory {path}")
        return latest
    return _prefix(path)


def list_variables(ckpt_dir_or_file: str) -> list[tuple[str, list[int]]]:
    """(key, shape) of every value in a checkpoint (a prefix, or a directory for its latest), sorted by key."""
    graph, arrays = _read_checkpoint(_resolve(ckpt_dir_or_file))
    return sorted([(_GRAPH_KEY, [])] + [(k, list(v.shape)) for k, v in arrays.items()])


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    """One value of a checkpoint as a NumPy array, by key ('model/w/.ATTRIBUTES/VARIABLE_VALUE' or 'model/w')."""
    graph, arrays = _read_checkpoint(_resolve(ckpt_dir_or_file))
    for key in (name, name + _ATTR):
        if key in arrays:
            return arrays[key]
    raise NotFoundError(None, None, f"Key {name} not found in checkpoint")


# =========================================================================== restoring

class CheckpointLoadStatus:
    """What a restore matched: `assert_consumed()` and friends check it (as TensorFlow's status object does).

    Returned by `Checkpoint.restore`/`read`; every method returns the status, so calls chain:
    `checkpoint.restore(path).assert_consumed()`.
    """

    def __init__(self, path: str, unresolved: list[str], unmatched: list[Variable], matched: int) -> None:
        self.save_path = path
        self._unresolved = unresolved
        self._unmatched = unmatched
        self._matched = matched

    def assert_consumed(self) -> CheckpointLoadStatus:
        """Raises AssertionError unless every value in the checkpoint was restored into an object and every
        variable of the program got a value."""
        if self._unresolved:
            shown = ", ".join(self._unresolved[:10])
            raise AssertionError(f"Unresolved object in checkpoint {self.save_path}: {len(self._unresolved)} saved "
                                 f"value(s) matched no object of the program: {shown}. The program's objects differ "
                                 "from those saved; use expect_partial() to restore a part on purpose.")
        return self.assert_existing_objects_matched()

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        """Raises AssertionError if a variable of the program got no value from the checkpoint."""
        if self._unmatched:
            n = len(self._unmatched)
            shown = ", ".join(repr(v) for v in self._unmatched[:10])
            raise AssertionError(f"Found {n} Python objects that were not bound to checkpointed values, likely due to "
                                 f"changes in the Python program. Showing {min(n, 10)} of {n} unmatched objects: "
                                 f"[{shown}]")
        return self

    def assert_nontrivial_match(self) -> CheckpointLoadStatus:
        """Raises AssertionError if nothing at all was restored."""
        if not self._matched:
            raise AssertionError(f"Nothing in the checkpoint {self.save_path} matched the objects being restored.")
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        """Says a partial restore is intended (TensorFlow then stays quiet about unused values)."""
        return self

    def run_restore_ops(self, session=None) -> None:
        """Nothing to run: values are assigned when `restore` returns (eager execution)."""

    def initialize_or_restore(self, session=None) -> None:
        """Nothing to run: values are assigned when `restore` returns (eager execution)."""


class InitializationOnlyStatus(CheckpointLoadStatus):
    """The status of `restore(None)`: nothing restored, variables keep their initial values."""

    def __init__(self) -> None:
        super().__init__(None, [], [], 0)

    def assert_consumed(self) -> CheckpointLoadStatus:
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    def assert_nontrivial_match(self) -> CheckpointLoadStatus:
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")


def _restore(root, prefix: str) -> CheckpointLoadStatus:
    graph, arrays = _read_checkpoint(prefix)
    nodes = graph["nodes"]
    # match saved nodes to the program's objects, walking both graphs from the root by edge names
    mapping: dict[int, Any] = {0: root}
    queue = collections.deque([0])
    while queue:
        nid = queue.popleft()
        obj = mapping[nid]
        if isinstance(obj, Variable):
            continue
        current = dict(_children(obj))
        for name, cid in nodes[nid]["children"]:
            child = current.get(name)
            if child is None or cid in mapping:
                continue
            mapping[cid] = child
            queue.append(cid)
    # plan every assignment, checking it, before making any
    plan: list[tuple[Variable, np.ndarray]] = []
    slot_plan: list[tuple[Any, int, list[tuple[Variable, str, np.ndarray]]]] = []
    unresolved: list[str] = []
    restored: set[int] = set()
    slot_nodes: dict[int, tuple[int, int, str]] = {}
    for nid, node in enumerate(nodes):
        for vid, name, sid in node.get("slots", ()):
            slot_nodes[sid] = (nid, vid, name)
    for nid, node in enumerate(nodes):
        spec = node.get("variable")
        if spec is None or nid in slot_nodes:
            continue
        value = arrays[spec["key"]]
        obj = mapping.get(nid)
        if obj is None:
            unresolved.append(spec["key"][: -len(_ATTR)] if spec["key"].endswith(_ATTR) else spec["key"])
            continue
        _check_value(obj, value, spec["key"], prefix)
        plan.append((obj, value))
        restored.add(id(obj))
    for nid, node in enumerate(nodes):
        if not node.get("slots"):
            continue
        optimizer = mapping.get(nid)
        entries = []
        for vid, name, sid in node["slots"]:
            spec = nodes[sid]["variable"]
            variable = mapping.get(vid)
            if optimizer is None or not isinstance(variable, Variable) or not hasattr(optimizer, "_restore_slot"):
                unresolved.append(spec["key"][: -len(_ATTR)])
                continue
            value = arrays[spec["key"]]
            _check_value(variable, value, spec["key"], prefix, what="slot")
            entries.append((variable, name, value))
        if entries:
            slot_plan.append((optimizer, nid, entries))
    # all checked: assign
    for variable, value in plan:
        variable.assign(_like(value, variable._value))
    for optimizer, nid, entries in slot_plan:
        if not getattr(optimizer, "built", True):
            order = _saved_variable_order(nodes, nid, mapping)
            if order is not None:
                optimizer.build(order)
                optimizer.built = True
        for variable, name, value in entries:
            optimizer._restore_slot(variable, name, _like(value, variable._value))
    # what the program has that the checkpoint did not give
    current = _Graph(root)
    restored_slots = {(id(opt), id(v), name) for opt, _, entries in slot_plan for v, name, _ in entries}
    slot_nodes_done = {sid for opt_node, slots in current.slots.items() for vid, name, sid in slots
                       if (id(current.objects[opt_node]), id(current.objects[vid]), name) in restored_slots}
    unmatched = [current.objects[i] for i in current.variables()
                 if id(current.objects[i]) not in restored and i not in slot_nodes_done]
    return CheckpointLoadStatus(prefix, unresolved, unmatched, len(plan) + len(restored_slots))


def _like(value: np.ndarray, like):
    """`value` on the backend (and device) of the array `like` (NumPy values stay as they are)."""
    if isinstance(like, (np.ndarray, np.generic)):
        return value
    xp = _backend.namespace_of(like)
    device = getattr(like, "device", None)
    return xp.asarray(value, device=device) if device is not None else xp.asarray(value)


def _saved_variable_order(nodes: list, optimizer_node: int, mapping: dict) -> list[Variable] | None:
    """The program's variables in the order the saved optimizer was built with, if all of them are matched."""
    for name, cid in nodes[optimizer_node]["children"]:
        if name == "_trainable_variables":
            order = [mapping.get(vid) for _, vid in nodes[cid]["children"]]
            if order and all(isinstance(v, Variable) for v in order):
                return order
    return None


def _check_value(variable, value: np.ndarray, key: str, prefix: str, what: str = "variable") -> None:
    if not isinstance(variable, Variable):
        raise ValueError(f"Checkpoint {prefix}: the value {key} was saved from a variable, but the program has a "
                         f"{type(variable).__name__} at that path.")
    want = tuple(variable._value.shape)
    if tuple(value.shape) != want:
        raise ValueError(f"Received incompatible tensor with shape {tuple(value.shape)} when attempting to restore "
                         f"{what} with shape {want} and name {key} from checkpoint {prefix}. Nothing was restored.")
    dtype = _backend.numpy_dtype_of(variable._value)
    if value.dtype != dtype:
        raise InvalidArgumentError(None, "RestoreV2", f"tensor_name = {key}; expected dtype {dtype.name} does not "
                                   f"equal original dtype {value.dtype.name} (checkpoint {prefix}). Nothing was "
                                   "restored.")


# =========================================================================== Checkpoint

class CheckpointOptions:
    """Options for saving and restoring (accepted for compatibility; tapegrad has none to set)."""

    def __init__(self, experimental_io_device=None, experimental_enable_async_checkpoint: bool = False,
                 experimental_write_callbacks=None, enable_async: bool = False,
                 experimental_skip_slot_variables: bool = False, experimental_sharding_callback=None) -> None:
        self.experimental_io_device = experimental_io_device
        self.enable_async = enable_async or experimental_enable_async_checkpoint


class Checkpoint:
    """Saves and restores the variables reachable from the objects given as keyword arguments.

    >>> import tempfile, tapegrad as tf
    >>> w = tf.Variable([1.0, 2.0])
    >>> ckpt = tf.train.Checkpoint(weights=w)
    >>> path = ckpt.save(tempfile.mkdtemp() + "/ckpt")
    >>> path.endswith("ckpt-1")
    True
    >>> _ = w.assign([0.0, 0.0])
    >>> ckpt.restore(path).assert_consumed()  # doctest: +ELLIPSIS
    <tapegrad.train.checkpoint.CheckpointLoadStatus object at ...>
    >>> w.numpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, root=None, **kwargs) -> None:
        object.__setattr__(self, "_deps", {})
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_save_counter", None)
        if root is not None and not _trackable(root):
            raise ValueError(f"`Checkpoint` was expecting root to be a trackable object (an object derived from "
                             f"`tf.Module`, a variable, a list or a dict), got {root!r:.100}.")
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value) -> None:
        if not name.startswith("_"):
            if not _trackable(value):
                raise ValueError(f"`Checkpoint` was expecting {name} to be a trackable object (a tf.Variable, a "
                                 f"tf.Module or layer, an optimizer, or a list or dict of them), got {value!r:.100}. "
                                 "If you believe this object should be trackable (i.e. it is part of the TensorFlow "
                                 "Python API and manages state), please open an issue.")
            if name == "save_counter":
                raise ValueError("`save_counter` is reserved for the checkpoint's own counter.")
            self._deps[name] = value
        object.__setattr__(self, name, value)

    def _checkpoint_dependencies(self) -> list[tuple[str, Any]]:
        deps = _children(self._root) if self._root is not None else []
        deps = deps + list(self._deps.items())
        if self._save_counter is not None:
            deps.append(("save_counter", self._save_counter))
        return deps

    @property
    def save_counter(self) -> Variable:
        """How many times `save` was called (an int64 Variable, saved with the checkpoint and restored)."""
        if self._save_counter is None:
            object.__setattr__(self, "_save_counter", Variable(np.int64(0), trainable=False, name="save_counter"))
        return self._save_counter

    def save(self, file_prefix: str, options: CheckpointOptions | None = None) -> str:
        """Saves a numbered checkpoint, `<file_prefix>-<save_counter>`, and records it as the directory's
        latest (its `checkpoint` file). Returns the checkpoint's path (its prefix)."""
        file_prefix = os.fspath(file_prefix)
        counter = self.save_counter
        number = int(counter.numpy()) + 1
        counter.assign(np.int64(number))
        try:
            path = self.write(f"{file_prefix}-{number}", options)
        except BaseException:
            counter.assign(np.int64(number - 1))
            raise
        _update_state(os.path.dirname(os.path.abspath(path)), path, [path])
        return path

    def write(self, file_prefix: str, options: CheckpointOptions | None = None) -> str:
        """Writes a checkpoint to exactly `file_prefix` (the file `<file_prefix>.npz`), atomically; no counter,
        no `checkpoint` file. Returns `file_prefix`."""
        return _write_checkpoint(_prefix(file_prefix), self)

    def read(self, save_path: str, options: CheckpointOptions | None = None) -> CheckpointLoadStatus:
        """Restores from `save_path` (see `restore`)."""
        return self.restore(save_path, options)

    def restore(self, save_path: str | None, options: CheckpointOptions | None = None) -> CheckpointLoadStatus:
        """Restores the variables (and optimizer slots) from the checkpoint at `save_path` (a prefix such as
        `tf.train.latest_checkpoint(dir)` returns). Everything is checked before anything is assigned: a corrupt
        checkpoint raises `tf.errors.DataLossError`, a missing one `tf.errors.NotFoundError`, a shape mismatch
        `ValueError`, a dtype mismatch `tf.errors.InvalidArgumentError`, and then nothing has changed.
        `restore(None)` restores nothing."""
        if save_path is None:
            return InitializationOnlyStatus()
        prefix = _prefix(save_path)
        graph, _ = _read_checkpoint(prefix)
        if any(name == "save_counter" for name, _ in graph["nodes"][0]["children"]):
            self.save_counter  # noqa: B018 - made now, so that it is restored with the rest
        return _restore(self, prefix)


# =========================================================================== CheckpointManager

class CheckpointManager:
    """Numbered checkpoints in a directory, keeping the newest `max_to_keep` of them.

    >>> import tempfile, tapegrad as tf
    >>> step = tf.Variable(0)
    >>> manager = tf.train.CheckpointManager(tf.train.Checkpoint(step=step), tempfile.mkdtemp(), max_to_keep=2)
    >>> for _ in range(3):
    ...     _ = step.assign_add(1)
    ...     _ = manager.save()
    >>> [p.rsplit("/", 1)[-1] for p in manager.checkpoints]
    ['ckpt-2', 'ckpt-3']
    """

    def __init__(self, checkpoint: Checkpoint, directory: str, max_to_keep: int | None,
                 keep_checkpoint_every_n_hours: float | None = None, checkpoint_name: str = "ckpt",
                 step_counter: Variable | None = None, checkpoint_interval: int | None = None,
                 init_fn: Callable[[], Any] | None = None) -> None:
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got {max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not None.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_every_s = None if keep_checkpoint_every_n_hours is None else keep_checkpoint_every_n_hours * 3600
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_checkpoint_step = None
        state = _read_state(self._directory)
        paths = [_absolute(self._directory, p) for p in state.get("all_model_checkpoint_paths", [])]
        stamps = [float(t) for t in state.get("all_model_checkpoint_timestamps", [])]
        if len(stamps) != len(paths):
            stamps = [time.time()] * len(paths)
        self._kept: dict[str, float] = {p: t for p, t in zip(paths, stamps) if os.path.exists(_file(p))}
        preserved = state.get("last_preserved_timestamp")
        self._last_preserved = float(preserved[-1]) if preserved else time.time()
        latest = state.get("model_checkpoint_path")
        self._latest = None
        if latest:
            prefix = _absolute(self._directory, latest[-1])
            if os.path.exists(_file(prefix)):
                self._latest = prefix
                self._kept.setdefault(prefix, time.time())

    @property
    def directory(self) -> str:
        """The directory the checkpoints are written to."""
        return self._directory

    @property
    def checkpoint(self) -> Checkpoint:
        return self._checkpoint

    @property
    def checkpoints(self) -> list[str]:
        """The prefixes of the checkpoints kept, oldest first."""
        return list(self._kept)

    @property
    def latest_checkpoint(self) -> str | None:
        """The prefix of the newest checkpoint, or None."""
        return self._latest

    @property
    def checkpoint_interval(self) -> int | None:
        return self._checkpoint_interval

    def save(self, checkpoint_number: int | None = None, check_interval: bool = True,
             options: CheckpointOptions | None = None) -> str | None:
        """Saves `<directory>/<checkpoint_name>-<n>` (n: `checkpoint_number`, else the checkpoint's save
        counter), records it, and deletes the oldest checkpoints beyond `max_to_keep`. Returns its path (None
        when `checkpoint_interval` says it is not time yet)."""
        if self._checkpoint_interval is not None:
            step = int(self._step_counter.numpy())
            if check_interval and self._last_checkpoint_step is not None and \
                    step < self._last_checkpoint_step + self._checkpoint_interval:
                return None
            self._last_checkpoint_step = step
        counter = self._checkpoint.save_counter
        previous = int(counter.numpy())
        counter.assign(np.int64(previous + 1))
        number = previous + 1 if checkpoint_number is None else int(checkpoint_number)
        try:
            path = self._checkpoint.write(f"{self._prefix}-{number}", options)
        except BaseException:
            counter.assign(np.int64(previous))
            raise
        now = time.time()
        self._kept.pop(path, None)
        self._kept[path] = now
        self._latest = path
        self._sweep()
        _update_state(self._directory, path, list(self._kept), list(self._kept.values()), self._last_preserved)
        return path

    def _sweep(self) -> None:
        if self._max_to_keep is None:
            return
        while len(self._kept) > self._max_to_keep:
            oldest, stamp = next(iter(self._kept.items()))
            del self._kept[oldest]
            if self._keep_every_s is not None and stamp - self._last_preserved >= self._keep_every_s:
                self._last_preserved = stamp
                continue
            with contextlib.suppress(FileNotFoundError):
                os.remove(_file(oldest))

    def restore_or_initialize(self) -> str | None:
        """Restores the latest checkpoint and returns its path; with none, calls `init_fn` and returns None."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None
