"""`tf.device`, copies between devices, and Dask's collection protocol on tensors.

Key decisions:
- Computation follows data: an op runs where its inputs live (NumPy on the host, CuPy on a GPU, Dask
  wherever its scheduler runs). `tf.device('/GPU:0')` places *new* values on that GPU: constants,
  variables, zeros/ones/fill/range/eye, random numbers, and Python or NumPy values passed to ops. It also
  makes that GPU CuPy's current device, so kernels and allocations go there. An op on existing host
  tensors inside a GPU scope still runs on the host (TensorFlow would copy them to the GPU first).
- Mixing devices in one op does what TensorFlow's default (`SILENT`) placement policy does: host inputs are
  copied to the GPU and the op runs there. The copy is an op (`DeviceCopy`), so the gradient of a host
  input comes back to the host. The check runs only after an op failed, so it costs nothing otherwise.
- Soft placement, as TensorFlow's eager default: a GPU scope on a machine without that GPU places on the
  CPU; `tf.config.set_soft_device_placement(False)` makes it an error instead.
- A tensor wrapping a Dask array is itself a Dask collection: `dask.compute(loss, *grads)` computes all of
  them in one pass over the shared graph and returns materialized tensors; `dask.persist` keeps them lazy
  but computed. This module installs that protocol on Tensor, so `_core` knows nothing of Dask.
"""

from __future__ import annotations

import re

import numpy as np

from . import _backend
from ._core.errors import InvalidArgumentError
from ._core.hooks import hooks
from ._core.primitive import apply, defjvp, defprimitive, defvjp, samples
from ._core.tensor import Tensor, _TensorLike, install_operator, wrap
from .ops import _samples as S
from .ops.jacobian_seeds import keeps_onehot

_SOFT = [True]
_TYPES = ("CPU", "GPU")
_PART = re.compile(r"^(?:device:)?([A-Za-z_]+)(?::(\d+))?$")


def parse_device(name: str) -> tuple[str, int]:
    """('CPU', 0) or ('GPU', i) for a TensorFlow device string ('/GPU:0', 'gpu:1', '/device:CPU:0', ...).

    Raises:
      ValueError: an unknown device type, a malformed string, or a job/replica/task other than this process.

    >>> parse_device("/job:localhost/replica:0/task:0/device:GPU:1")
    ('GPU', 1)
    """
    if not isinstance(name, str):
        raise TypeError(f"tf.device: expected a device string such as '/GPU:0' or '/CPU:0', got {name!r}.")
    found = None
    for part in name.strip().split("/"):
        if not part:
            continue
        key, _, val = part.partition(":")
        if key in ("job", "replica", "task"):
            if val not in (("localhost",) if key == "job" else ("0",)):
                raise ValueError(f"tf.device: {name!r} names {part!r}; tapegrad runs in one process "
                                 "(job:localhost, replica:0, task:0 only).")
            continue
        m = _PART.match(part)
        if m is None or found is not None:
            raise ValueError(_unknown(name))
        kind = m.group(1).upper()
        if kind not in _TYPES:
            raise ValueError(_unknown(name, kind))
        found = (kind, int(m.group(2) or 0))
    if found is None:
        raise ValueError(_unknown(name))
    return found


def _unknown(name: str, kind: str | None = None) -> str:
    what = f"unknown device type {kind!r} in {name!r}" if kind else f"cannot parse device string {name!r}"
    return (f"tf.device: {what}. tapegrad knows the device types CPU and GPU, written as '/CPU:0', '/GPU:0', "
            "'GPU:1', '/device:GPU:0' or '/job:localhost/replica:0/task:0/device:GPU:0'.")


def _gpu_missing(index: int) -> str:
    provider = _backend.gpu()
    n = provider.count()
    why = (f"this machine has {n} GPU(s) (/GPU:0../GPU:{n - 1})" if n else
           f"no GPU is available ({provider.name} is not installed, or finds no device or driver; "
           "`pip install tapegrad[gpu]` installs CuPy for CUDA 12)")
    return f"Could not satisfy device specification '/GPU:{index}': {why}. tf.config.list_physical_devices('GPU') " \
           "lists the GPUs; soft device placement is off (tf.config.set_soft_device_placement)."


class device:  # noqa: N801 - TensorFlow's name
    """`tf.device`: a context manager placing new tensors and variables on a device.

    Inside `with tf.device('/GPU:0'):` constants, variables, zeros/ones, random values and Python or NumPy
    values given to ops are created on GPU 0 as CuPy arrays, and GPU 0 is CuPy's current device. Ops run
    where their inputs live; an op given a host tensor and a GPU tensor copies the host one to the GPU
    (TensorFlow's default policy). `tf.device('/CPU:0')` works everywhere and creates NumPy values. Without
    the GPU asked for, placement falls back to the CPU (TensorFlow's soft placement), unless
    `tf.config.set_soft_device_placement(False)`. `tf.device(None)` clears the placement.

    Args:
      device_name: '/CPU:0', '/GPU:0', 'GPU:1', '/device:GPU:0', '/job:localhost/replica:0/task:0/device:CPU:0'
        (device types are case-insensitive), or None.
    Raises:
      ValueError: an unknown device type or a malformed string (at once, not on entering).
      InvalidArgumentError: on entering, a missing GPU when soft placement is off.

    >>> import tapegrad as tf
    >>> with tf.device('/CPU:0'):
    ...     x = tf.constant([1.0, 2.0])
    >>> x.device
    '/job:localhost/replica:0/task:0/device:CPU:0'
    """

    def __init__(self, device_name: str | None) -> None:
        if device_name is not None and hasattr(device_name, "to_string"):  # a tf.DeviceSpec-like object
            device_name = device_name.to_string()
        self.name = device_name
        self.spec = None if device_name is None else parse_device(device_name)
        self._ctx = None

    def __enter__(self) -> device:
        target = self.spec
        if target is not None and target[0] == "GPU" and target[1] >= _backend.gpu().count():
            if not _SOFT[0]:
                raise InvalidArgumentError(None, None, _gpu_missing(target[1]))
            target = _backend.CPU
        self.placed = target
        _backend.push_placement(None if target is None else _placer(target))
        if target is not None and target[0] == "GPU":
            self._ctx = _backend.gpu().context(target[1])
            self._ctx.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
            self._ctx = None
        _backend.pop_placement()

    def __repr__(self) -> str:
        return f"tf.device({self.name!r})"


def _placer(target: tuple[str, int]):
    def place(arr):
        if _backend.is_lazy(arr):  # a Dask array stays where its blocks are: the scheduler places work
            return arr
        return _backend.to_device(arr, target)

    return place


# --------------------------------------------------------------------------- copies between devices

def _copy_impl(xp, x, device):
    return _backend.to_device(x, device)


DeviceCopy = defprimitive("DeviceCopy", _copy_impl)
defvjp(DeviceCopy, lambda g, ans, x, device: copy_to_device(g, _backend.device_of(x._value)))
defjvp(DeviceCopy, lambda t, ans, x, device: copy_to_device(t, device))
samples(DeviceCopy, lambda: [((S.arr((2, 3)),), {"device": _backend.CPU}), ((S.arr(()),), {"device": _backend.CPU})])


def copy_to_device(x, device: tuple[str, int]) -> Tensor:
    """`x` copied to `device` (('CPU', 0), ('GPU', i), or ('DASK', 0): into a Dask graph) by a recorded op,
    so that its gradient returns to x's device."""
    return apply(DeviceCopy, (x,), {"device": device})


def _to_one_device(args):
    """For an op that failed: its tensor inputs copied to the first GPU among them, if they were on two
    devices (or into the Dask graph, NumPy beside Dask); None otherwise (the failure was not about devices)."""
    homes = [_backend.home_of(a._value) for a in args if isinstance(a, _TensorLike)]
    if len(set(homes)) < 2:
        return None
    target = next((d for d in homes if d[0] == "GPU"), _backend.DASK if _backend.DASK in homes else homes[0])
    return tuple(copy_to_device(a, target) if isinstance(a, _TensorLike) and
                 _backend.home_of(a._value) != target else a for a in args)


hooks.to_one_device = _to_one_device


# --------------------------------------------------------------------------- Dask's collection protocol

def _dask_value(t):
    v = t._value
    return v if _backend.kind_of(v) == "dask" else None


def _dask_graph(self):
    v = _dask_value(self)
    return None if v is None else v.__dask_graph__()


def _dask_keys(self):
    return self._value.__dask_keys__()


def _dask_layers(self):
    return self._value.__dask_layers__()


def _dask_tokenize(self):
    v = _dask_value(self)
    return ("tapegrad.Tensor", self._id) if v is None else ("tapegrad.Tensor", v.name)


def _finish(results, fn, args):
    out = fn(results, *args)
    return wrap(out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out)


def _dask_postcompute(self):
    fn, args = self._value.__dask_postcompute__()
    return _finish, (fn, args)


def _rebuild(dsk, fn, args, rename=None):
    return wrap(fn(dsk, *args, rename=rename))


def _dask_postpersist(self):
    fn, args = self._value.__dask_postpersist__()
    return _rebuild, (fn, args)


def _dask_optimize(dsk, keys, **kwargs):
    import dask.array as da

    return da.Array.__dask_optimize__(dsk, keys, **kwargs)


def _dask_scheduler(dsk, keys, **kwargs):
    import dask.threaded

    return dask.threaded.get(dsk, keys, **kwargs)


for _name, _fn in [("__dask_graph__", _dask_graph), ("__dask_keys__", _dask_keys), ("__dask_layers__", _dask_layers),
                   ("__dask_tokenize__", _dask_tokenize), ("__dask_postcompute__", _dask_postcompute),
                   ("__dask_postpersist__", _dask_postpersist),
                   ("__dask_optimize__", staticmethod(_dask_optimize)),
                   ("__dask_scheduler__", staticmethod(_dask_scheduler))]:
    install_operator(_name, _fn)

keeps_onehot(DeviceCopy)  # elementwise (see ops/jacobian_seeds.py)
