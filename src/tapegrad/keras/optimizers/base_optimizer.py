"""The Keras 3 optimizer base class, on tapegrad Variables.

Key decisions:
- Updates work on the variables' arrays directly, never through recorded ops: an optimizer step is not
  differentiated, and this keeps it a handful of NumPy calls per variable. Each optimizer follows Keras 3's
  update equations operation by operation, in the variable's dtype (Keras casts every hyperparameter to it), so
  its results match Keras's to float32 rounding.
- TensorFlow's copy-on-write for variable updates: an update writes into the variable's NumPy buffer when
  nothing else holds that buffer (`sys.getrefcount`, as TensorFlow checks a buffer's reference count before an
  in-place update), and replaces the buffer otherwise, so a tensor read from the variable before the update
  keeps the value it had, and a training step allocates no more than the same step written in NumPy.
- `tf.IndexedSlices` gradients (from `tf.gather`, embeddings) have their repeated indices summed first, so a
  sparse gradient moves the variables exactly as its dense equivalent would. Optimizers whose update is zero
  where the gradient is zero (SGD without momentum, Adagrad, RMSprop without momentum) then touch only those
  rows; the others (momentum, Adam's moments) decay every row, as in Keras, and use the dense gradient.
  Keras 3's TensorFlow backend does not merge repeated indices and gives different numbers for Adam, Adagrad
  and RMSprop when an index repeats; tapegrad keeps the dense numbers.
- Slot variables (momentums, velocities, ...) are made lazily, on the first `apply`, one per variable and slot
  name, and registered against their variable, so a checkpoint saves them keyed to the variable they belong
  to and restores them into a fresh optimizer (`_slot_variables`, `_restore_slot`).
"""

from __future__ import annotations

import contextlib
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ... import _backend, _device
from ..._core.tensor import Tensor, Variable, _TensorLike, to_array, wrap
from ...ops.indexing import IndexedSlices
from .. import backend as _kbackend
from ..variables import Variable as _KerasVariable
from . import schedules as _schedules

__all__ = ["Optimizer"]

_FREE = 3  # sys.getrefcount of a buffer held by one Variable only: the variable, a local name, the call's argument


def _owned(var: Variable):
    """The variable's NumPy buffer if an update may write into it (nothing else holds it), else None."""
    a = var._value
    if a.__class__ is np.ndarray and a.flags.owndata and a.flags.writeable and sys.getrefcount(a) <= _FREE:
        return a
    return None


def _key(var) -> int:
    return var._id


def _is_float(x) -> bool:
    return isinstance(x, (float, np.floating))


class _Rows:
    """An IndexedSlices gradient with its repeated indices summed: `values[i]` belongs to row `indices[i]`."""

    __slots__ = ("values", "indices")

    def __init__(self, values, indices):
        self.values = values
        self.indices = indices

    def dense(self, shape, dtype):
        out = np.zeros(shape, dtype)
        out[self.indices] = self.values
        return out


class Optimizer:
    """Abstract optimizer base class (`tf.keras.optimizers.Optimizer`).

    To write an optimizer, subclass it and override `build` (make slot variables with
    `add_variable_from_reference`), `update_step(gradient, variable, learning_rate)` (update with
    `self.assign`, `self.assign_add`, `self.assign_sub` and tf ops) and `get_config`.

    >>> import tapegrad as tf
    >>> w = tf.Variable([1.0, 2.0])
    >>> opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    >>> with tf.GradientTape() as tape:
    ...     loss = tf.reduce_sum(w * w)
    >>> opt.apply_gradients(zip(tape.gradient(loss, [w]), [w])).numpy()
    np.int64(1)
    >>> w.numpy()
    array([0.8, 1.6], dtype=float32)
    """

    _sparse_rows = False  # True where an IndexedSlices gradient updates only its rows (see update_step)

    def __init__(self, learning_rate, weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None, gradient_accumulation_steps: int | None = None,
                 name: str | None = None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self.name = _kbackend.auto_name(type(self).__name__) if name is None else str(name)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                                 f"ema_overwrite_frequency={ema_overwrite_frequency}")
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._trainable_variables_indices: dict[int, int] = {}
        self._slots: dict[tuple[int, str], Variable] = {}  # (variable key, slot name) -> slot variable
        self._deferred_slots: dict[int, dict[str, np.ndarray]] = {}  # values a checkpoint restored before build
        self._iterations = self._new_variable(np.int64(0), "iteration", host=True)
        self._learning_rate = self._make_learning_rate(learning_rate)

    # ------------------------------------------------------------------ variables

    def _new_variable(self, value, name: str, host: bool = False) -> Variable:
        """A Keras variable 'optimizer_name/name' (its path), tracked in `variables`. `host`: on the host even
        inside a `tf.device('/GPU:0')` scope (the step counter and learning rate, read as numbers each step)."""
        with _device.device(None) if host else contextlib.nullcontext():  # tf.device(None): no placement scope
            with _kbackend.name_scope(self.name, caller=self):
                var = _KerasVariable(value, trainable=False, name=name)
        self._variables.append(var)
        return var

    def _make_learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule):
            return learning_rate
        if isinstance(learning_rate, Variable):  # used as it is: assigning to it changes the learning rate
            self._variables.append(learning_rate)
            return learning_rate
        if callable(learning_rate):
            return learning_rate
        if isinstance(learning_rate, Tensor) and learning_rate.shape.rank == 0 and learning_rate.dtype.is_floating:
            learning_rate = float(learning_rate)
        if not _is_float(learning_rate):
            raise ValueError("Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a "
                             "callable (that takes in the current iteration value and returns the corresponding "
                             f"learning rate value). Received instead: learning_rate={learning_rate}")
        return self._new_variable(np.float32(learning_rate), "learning_rate", host=True)

    @property
    def variables(self) -> list[Variable]:
        """The optimizer's variables: `iteration`, `learning_rate` (for a float learning rate), then the slots."""
        return self._variables[:]

    @property
    def iterations(self) -> Variable:
        """The number of update steps applied (an int64 Variable); counted in updates, not calls, when
        gradients are accumulated."""
        if self.gradient_accumulation_steps:
            return wrap(np.int64(self._iterations._value // self.gradient_accumulation_steps))
        return self._iterations

    @property
    def learning_rate(self):
        """The current learning rate: the Variable, or the schedule's value at `iterations`."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        return lr()

    @learning_rate.setter
    def learning_rate(self, learning_rate) -> None:
        old = self._learning_rate
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or callable(learning_rate) and not \
                isinstance(learning_rate, _TensorLike):
            self._learning_rate = learning_rate
        elif isinstance(old, _schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                            "constructor argument, hence its learning rate is not settable. If you need the learning "
                            "rate to be settable, you should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        elif isinstance(old, Variable):
            old.assign(float(learning_rate))
        else:
            self._learning_rate = self._make_learning_rate(float(learning_rate))
        if isinstance(old, Variable) and self._learning_rate is not old:
            self._variables = [v for v in self._variables if v is not old]

    def _lr_value(self) -> float:
        lr = self._learning_rate
        if isinstance(lr, Variable):  # a user's variable may live on a GPU: the updates want a host number
            return _host(lr._value)
        value = lr(self._iterations) if isinstance(lr, _schedules.LearningRateSchedule) else lr()
        return _host(value._value) if isinstance(value, _TensorLike) else value

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation: str = "none", layout=None,
                     name: str | None = None) -> Variable:
        """Adds a non-trainable variable to the optimizer ('zeros', 'ones' or a number as initializer)."""
        dtype = np.dtype("float32" if dtype is None else getattr(dtype, "as_numpy_dtype", dtype))
        shape = tuple(int(d) for d in shape)
        if callable(initializer):
            value = initializer(shape, dtype=dtype)
        elif initializer == "zeros":
            value = np.zeros(shape, dtype)
        elif initializer == "ones":
            value = np.ones(shape, dtype)
        else:
            value = np.full(shape, initializer, dtype)
        return self._new_variable(np.asarray(to_array(value)).astype(dtype, copy=False), name or "variable")

    def add_variable_from_reference(self, reference_variable: Variable, name: str | None = None,
                                    initializer="zeros") -> Variable:
        """A slot variable shaped like `reference_variable`, named '<variable>_<name>' as Keras names it."""
        name = name or "var"
        path = getattr(reference_variable, "path", None)
        if path is not None:
            full = f"{path.replace('/', '_')}_{name}"
        else:
            full = f"{reference_variable.name.replace('/', '_').replace(':', '_')}_{name}"
        ref = reference_variable._value
        dtype = _backend.numpy_dtype_of(ref)
        restored = self._deferred_slots.get(_key(reference_variable), {}).pop(name, None)
        if restored is not None:
            value = restored.astype(dtype, copy=False)
        elif initializer == "zeros":
            value = np.zeros(np.shape(ref), dtype)
        elif isinstance(initializer, (int, float)):
            value = np.full(np.shape(ref), initializer, dtype)
        else:
            return self.add_variable(np.shape(ref), initializer, dtype, name=full)
        if not isinstance(ref, (np.ndarray, np.generic)):  # a slot lives on its variable's backend and device
            xp = _backend.namespace_of(ref)
            value = xp.asarray(value, device=getattr(ref, "device", None)) if hasattr(ref, "device") else \
                xp.asarray(value)
        elif value.ndim == 0:
            value = value[()]
        var = self._new_variable(value, full)
        self._slots[(_key(reference_variable), name)] = var
        return var

    def add_optimizer_variables(self, trainable_variables: Sequence[Variable], name: str | Sequence[str],
                                initializer="zeros"):
        """One slot per variable for each name (a list, or a tuple of lists for several names), interleaved
        per variable as Keras creates them."""
        names = [name] if isinstance(name, str) else list(name)
        inits = [initializer] * len(names)
        out = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (n, init) in enumerate(zip(names, inits)):
                # a variable set to its gradient (`overwrite_with_gradient`) needs no slot
                slot = None if getattr(variable, "overwrite_with_gradient", False) else \
                    self.add_variable_from_reference(variable, n, init)
                out[i].append(slot)
        return out[0] if isinstance(name, str) else out

    def build(self, variables: Sequence[Variable]) -> None:
        """Creates the slot variables for `variables` (done by the first `apply`)."""
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(variables, "gradient_accumulator")
        for i, variable in enumerate(variables):
            self._trainable_variables_indices[_key(variable)] = i
        self._trainable_variables = list(variables)
        self.built = True

    def _get_variable_index(self, variable: Variable) -> int:
        return self._trainable_variables_indices[_key(variable)]

    # ------------------------------------------------------------------ checkpoints

    def _checkpoint_dependencies(self) -> list[tuple[str, Any]]:
        """The objects a checkpoint saves under this optimizer (named as in TensorFlow's object graph)."""
        deps: list[tuple[str, Any]] = [("_iterations", self._iterations)]
        if isinstance(self._learning_rate, Variable):
            deps.append(("_learning_rate", self._learning_rate))
        deps.append(("_trainable_variables", list(self._trainable_variables)))
        return deps

    def _slot_variables(self) -> list[tuple[Variable, str, Variable]]:
        """(variable, slot name, slot variable) for every slot, in creation order."""
        by_key = {_key(v): v for v in self._trainable_variables}
        return [(by_key[k], name, slot) for (k, name), slot in self._slots.items() if k in by_key]

    def _restore_slot(self, variable: Variable, name: str, value: np.ndarray) -> None:
        """Sets a slot from a checkpoint, now if it exists, else when the first `apply` creates it."""
        slot = self._slots.get((_key(variable), name))
        if slot is not None:
            slot.assign(value)
        else:
            self._deferred_slots.setdefault(_key(variable), {})[name] = np.array(_backend.to_numpy(value))

    # ------------------------------------------------------------------ applying gradients

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]], name: str | None = None,
                        skip_gradients_aggregation: bool = False, **kwargs) -> Variable:
        """Applies gradients to variables: `optimizer.apply_gradients(zip(grads, model.trainable_variables))`.

        A `None` gradient is skipped with a warning naming its variable. Returns `iterations`.
        """
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(grads, variables)
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None) -> None:
        """Applies `grads` to `trainable_variables` (default: the variables the optimizer was built with)."""
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built on a "
                                 "list of variables. Call `optimizer.build(trainable_variables)` first. ")
            if len(grads) != len(self._trainable_variables_indices):
                raise ValueError("When passing `grads` as a list of gradient tensors, the gradients must match "
                                 f"`optimizer.variables` one-to-on. Received a list of {len(grads)} gradients, but the "
                                 f"optimizer is tracking {len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if len(trainable_variables) != len(grads):
                raise ValueError(f"{len(grads)} gradients were given for {len(trainable_variables)} variables.")
            if not self.built:
                self._check_are_variables(trainable_variables)
                self.build(trainable_variables)
                self.built = True
        # one pass: known variables, None gradients dropped (with a warning), gradients as arrays
        indices = self._trainable_variables_indices
        kept_g, kept_v, missing, overwrite = [], [], None, False
        for g, v in zip(grads, trainable_variables):
            if getattr(v, "_id", None) not in indices:
                self._check_are_variables([v])
                raise ValueError(f"Unknown variable: {v}. This optimizer can only be called for the variables it was "
                                 "originally built with. When working with a new set of variables, you should "
                                 "recreate a new optimizer instance.")
            if g is None:
                missing = (missing or []) + [v]
                continue
            kept_g.append(self._prepare(g, v))
            kept_v.append(v)
            overwrite = overwrite or getattr(v, "overwrite_with_gradient", False)
        if missing:
            self._warn_missing(missing, kept_v)
        grads, trainable_variables = kept_g, kept_v
        if overwrite:
            grads, trainable_variables = self._overwrite_with_gradients(grads, trainable_variables)
        scale = self.loss_scale_factor
        if scale is not None:
            grads = [self._scaled(g, 1.0 / scale) for g in grads]
        if self.gradient_accumulation_steps:
            self._accumulate_and_update(grads, trainable_variables)
        else:
            self._update(grads, trainable_variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency and (self.iterations._value + 1) % self.ema_overwrite_frequency == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)
        it = self._iterations
        it._value = it._value + np.int64(1)

    def _overwrite_with_gradients(self, grads: list, variables: list) -> tuple[list, list]:
        """Variables marked `overwrite_with_gradient` are set to their gradient and left out of the update."""
        kept_g, kept_v = [], []
        for g, v in zip(grads, variables):
            if getattr(v, "overwrite_with_gradient", False):
                v.assign(g)
            else:
                kept_g.append(g)
                kept_v.append(v)
        return kept_g, kept_v

    def _check_are_variables(self, variables: Sequence[Any]) -> None:
        for v in variables:
            if not isinstance(v, Variable):
                raise TypeError(f"{type(self).__name__}.apply_gradients: gradients can only be applied to a "
                                f"tf.Variable, but got a {type(v).__name__}: {v!r:.200}. A Tensor is a value and "
                                "cannot be updated: create the parameter with tf.Variable(...) (or a layer's weights).")

    def _update(self, grads: list, variables: list) -> None:
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables)
        lr = self._lr_value()
        update_step = self.update_step
        for g, v in zip(grads, variables):
            update_step(g, v, lr)
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                v.assign(constraint(v))

    def _accumulate_and_update(self, grads: list, variables: list) -> None:
        steps = self.gradient_accumulation_steps
        accs = [self._accumulated_gradients[self._get_variable_index(v)] for v in variables]
        dense = [g.dense(v.shape, v._value.dtype) if g.__class__ is _Rows else g for g, v in zip(grads, variables)]
        if (int(self._iterations._value) + 1) % steps == 0:
            grads = [(g + acc._value) / float(steps) for g, acc in zip(dense, accs)]
            self._update(grads, variables)
            for acc in self._accumulated_gradients:
                acc._value = acc._value * 0.0
        else:
            for g, acc in zip(dense, accs):
                acc._value = acc._value + g

    def _warn_missing(self, missing: list, kept: list) -> None:
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        names = [getattr(v, "path", None) or v.name for v in missing]
        warnings.warn(f"Gradients do not exist for variables {names} when minimizing the loss. If using "
                      "`model.compile()`, did you forget to provide a `loss` argument?", UserWarning, stacklevel=4)

    def _prepare(self, g, var: Variable):
        """The gradient as an array of the variable's dtype and shape, or as `_Rows` for an IndexedSlices."""
        want = var._value.dtype
        if g.__class__ is IndexedSlices:
            return self._rows(g, var)
        a = g._value if isinstance(g, _TensorLike) else to_array(g)
        v = var._value
        if a.__class__ is not v.__class__ and not (isinstance(a, np.generic) and isinstance(v, np.generic)):
            a = _backend.like(a, v)  # onto the variable's backend and device (a Dask gradient computes)
        if tuple(a.shape) != tuple(var._value.shape):
            raise ValueError(f"{type(self).__name__}: the gradient for variable '{var.name}' has shape "
                             f"{tuple(a.shape)}, but the variable has shape {tuple(var.shape)}. Gradients must have "
                             "their variable's shape (tape.gradient(loss, variables) gives them so).")
        if a.dtype != want:
            a = _astype(a, want)
        return a

    def _rows(self, g: IndexedSlices, var: Variable):
        shape = tuple(var._value.shape)
        if g._shape is not None and tuple(g._shape) != shape:
            raise ValueError(f"{type(self).__name__}: the IndexedSlices gradient for variable '{var.name}' has "
                             f"dense_shape {list(g._shape)}, but the variable has shape {list(shape)}.")
        values = g._values._value
        idx = _backend.to_numpy(g._indices._value)
        if not isinstance(var._value, np.ndarray) or values.__class__ is not np.ndarray:
            dense = g._value  # other backends: the dense gradient, on the variable's backend
            return dense if dense.dtype == var._value.dtype else _astype(dense, var._value.dtype)
        if idx.ndim != 1 or values.shape != (idx.shape[0],) + shape[1:]:
            raise ValueError(f"{type(self).__name__}: IndexedSlices gradient for '{var.name}' has values of shape "
                             f"{values.shape} and indices of shape {idx.shape}: not rows of shape {shape[1:]}.")
        if idx.size and (idx.min() < 0 or idx.max() >= shape[0]):
            raise ValueError(f"{type(self).__name__}: IndexedSlices gradient for '{var.name}' has an index outside "
                             f"[0, {shape[0]}).")
        values = values.astype(var._value.dtype, copy=False)
        uniq, inverse = np.unique(idx, return_inverse=True)
        if uniq.shape[0] != idx.shape[0]:
            summed = np.zeros((uniq.shape[0],) + shape[1:], values.dtype)
            np.add.at(summed, inverse, values)
            return _Rows(summed, uniq)
        return _Rows(values, idx)

    def _scaled(self, g, factor: float):
        if g.__class__ is _Rows:
            return _Rows(g.values * factor, g.indices)
        return g * factor

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return self._clip_by_global_norm(grads)
        if self.clipvalue and self.clipvalue > 0:
            c = self.clipvalue
            return [_Rows(_clip(g.values, c), g.indices) if g.__class__ is _Rows else _clip(g, c) for g in grads]
        return grads

    def _clip_by_norm(self, g):
        """tf.clip_by_norm: g * clipnorm / max(||g||, clipnorm), in g's dtype."""
        a = g.values if g.__class__ is _Rows else g
        dt = _backend.numpy_dtype_of(a).type
        l2sum = dt(_host(_xp(a).sum(a * a)))
        l2norm = np.sqrt(l2sum) if l2sum > 0 else l2sum
        c = dt(self.clipnorm)
        out = a * float(c)
        out = out / float(np.maximum(l2norm, c))
        return _Rows(out, g.indices) if g.__class__ is _Rows else out

    def _clip_by_global_norm(self, grads: list) -> list:
        arrays = [g.values if g.__class__ is _Rows else g for g in grads]
        dt = _backend.numpy_dtype_of(arrays[0]).type
        squared = np.asarray([_host(_xp(a).sum(a * a)) for a in arrays], dt)
        use_norm = np.sqrt(np.sum(squared))
        c = dt(self.global_clipnorm)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = c * np.minimum(dt(1.0) / use_norm, dt(1.0) / c)
            scale = float(scale + (use_norm - use_norm))
        return [_Rows(a * scale, g.indices) if g.__class__ is _Rows else a * scale for g, a in zip(grads, arrays)]

    def exclude_from_weight_decay(self, var_list: Sequence[Variable] | None = None,
                                  var_names: Sequence[str] | None = None) -> None:
        """Excludes variables (or those whose name contains one of `var_names`) from weight decay; call it
        before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_from_weight_decay = {_key(v) for v in var_list} if var_list else set()
        self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable: Variable) -> bool:
        if _key(variable) in getattr(self, "_exclude_from_weight_decay", ()):
            return False
        pattern = getattr(self, "_exclude_from_weight_decay_pattern", None)
        return pattern is None or re.search(pattern, variable.name) is None

    def _apply_weight_decay(self, variables: list) -> None:
        """variable -= variable * weight_decay * learning_rate (decoupled weight decay, before the update)."""
        if self.weight_decay is None:
            return
        lr = self._lr_value()
        for v in variables:
            if self._use_weight_decay(v):
                dt = _dtype(v)
                _assign_sub(v, v._value * float(dt(self.weight_decay)) * float(dt(lr)))

    # ------------------------------------------------------------------ the update step

    def update_step(self, gradient, variable: Variable, learning_rate) -> None:
        """Updates `variable` (and its slots) from one gradient; overridden by each optimizer."""
        raise NotImplementedError

    def _grad_for(self, gradient, variable: Variable):
        """The gradient as an array (or `_Rows`) when `update_step` is called directly with a tensor."""
        if gradient.__class__ is np.ndarray or gradient.__class__ is _Rows or isinstance(gradient, np.generic):
            return gradient
        return self._prepare(gradient, variable)

    def assign(self, variable: Variable, value) -> None:
        """variable = value (an IndexedSlices value sets only its rows), for optimizers written with tf ops."""
        if value.__class__ is IndexedSlices:
            rows = self._rows(value, variable)
            new = np.array(variable._value)
            new[rows.indices] = rows.values
            variable._value = new
        else:
            variable.assign(value)

    def assign_add(self, variable: Variable, value) -> None:
        """variable += value (an IndexedSlices value adds to its rows only)."""
        if value.__class__ is IndexedSlices:
            rows = self._rows(value, variable)
            _scatter(variable, rows, np.add)
        else:
            variable.assign_add(value)

    def assign_sub(self, variable: Variable, value) -> None:
        """variable -= value (an IndexedSlices value subtracts from its rows only)."""
        if value.__class__ is IndexedSlices:
            rows = self._rows(value, variable)
            _scatter(variable, rows, np.subtract)
        else:
            variable.assign_sub(value)

    # ------------------------------------------------------------------ minimize

    def compute_gradients(self, loss, var_list, tape=None) -> list[tuple[Any, Variable]]:
        """(gradient, variable) pairs of `loss` (a callable, or a tensor computed under `tape`)."""
        from ..._core import GradientTape

        if not callable(loss) and tape is None:
            raise ValueError(f"`tape` is required when a `Tensor` loss is passed. Received: loss={loss}, tape={tape}.")
        if tape is None:
            tape = GradientTape()
        if callable(loss):
            with tape:
                if not callable(var_list):
                    tape.watch(var_list)
                loss = loss()
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        grads = tape.gradient(loss, var_list)
        return list(zip(grads, var_list))

    def minimize(self, loss: Callable[[], Any] | Any, var_list, tape=None) -> Variable:
        """Minimizes `loss` by one step on `var_list`: gradients by a tape, then `apply_gradients`.

        `loss` is a callable taking no argument (computed under a new tape), or a tensor computed under `tape`.

        >>> import tapegrad as tf
        >>> w = tf.Variable(3.0)
        >>> _ = tf.keras.optimizers.SGD(0.25).minimize(lambda: w * w, [w])
        >>> float(w)
        1.5
        """
        return self.apply_gradients(self.compute_gradients(loss, var_list, tape))

    # ------------------------------------------------------------------ moving averages

    def _update_model_variables_moving_average(self, trainable_variables: list) -> None:
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            dt = _dtype(var)
            momentum = dt(self.ema_momentum) if int(self.iterations._value) != 0 else dt(0.0)
            average._value = float(momentum) * average._value + float(dt(1) - momentum) * var._value

    def _overwrite_model_variables_with_average_value(self, trainable_variables: list) -> None:
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            var.assign(average._value)

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """With `use_ema`, sets the variables to their moving averages (the end of training)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        """The optimizer's configuration (a dict `from_config` takes back)."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            learning_rate = _schedules.serialize(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.numpy())
        else:
            learning_rate = lr
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """An optimizer made from `get_config()`'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the optimizer's variables (in `variables` order) from arrays."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
                             "`optimizer.build(trainable_variables)` to create the optimizer weights before calling "
                             "`set_weights()`.")
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(f"Optimizer variable {variable.name} has shape {tuple(variable.shape)} not "
                                 f"compatible with provided weight shape {tuple(np.shape(weight))}.")
            variable.assign(weight)


# --------------------------------------------------------------------------- array helpers for the optimizers

def _xp(a):
    """The array namespace of `a` (NumPy itself for NumPy arrays and scalars)."""
    return np if isinstance(a, (np.ndarray, np.generic)) else _backend.namespace_of(a)


def _dtype(var: Variable):
    """The NumPy scalar type of a variable's dtype: hyperparameters are rounded to it, as Keras casts them."""
    return _backend.numpy_dtype_of(var._value).type


def _host(x):
    """A 0-d array of any backend as a NumPy scalar."""
    return x if isinstance(x, (np.ndarray, np.generic)) else _backend.to_numpy(x)[()]


def _astype(a, dtype):
    return a.astype(dtype) if isinstance(a, (np.ndarray, np.generic)) else _xp(a).astype(a, dtype)


def _clip(a, c):
    xp = _xp(a)
    c = float(_backend.numpy_dtype_of(a).type(c))
    return np.clip(a, -c, c) if xp is np else xp.clip(a, -c, c)


def _assign_sub(var: Variable, delta) -> None:
    """var -= delta, in place when the buffer is the variable's alone."""
    a = _owned(var)
    if a is not None:
        np.subtract(a, delta, out=a)
    else:
        var._value = var._value - delta


def _assign_add(var: Variable, delta) -> None:
    """var += delta, in place when the buffer is the variable's alone."""
    a = _owned(var)
    if a is not None:
        np.add(a, delta, out=a)
    else:
        var._value = var._value + delta


def _assign(var: Variable, value) -> None:
    var._value = value


def _scatter(var: Variable, rows: _Rows, op) -> None:
    """var[rows] op= values (rows unique), writing into the buffer when it is the variable's alone."""
    a = _owned(var)
    if a is None:
        a = np.array(var._value)
        var._value = a
    a[rows.indices] = op(a[rows.indices], rows.values)
