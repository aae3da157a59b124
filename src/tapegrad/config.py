"""`tf.config`: the devices this process can use, and the soft-placement switch.

Key decision: the truth comes from the backends, asked lazily: the CPU is always there; GPUs are the CUDA
devices CuPy can use (none when CuPy is not installed, or finds no driver or device). Asking imports CuPy
if it is installed; `import tapegrad` never does.
"""

from __future__ import annotations

from typing import NamedTuple

from . import _backend
from ._device import _SOFT


class PhysicalDevice(NamedTuple):
    """A physical device, as `tf.config.list_physical_devices` describes it (TensorFlow's namedtuple)."""

    name: str
    device_type: str


class LogicalDevice(NamedTuple):
    """A logical device (the name `tf.device` accepts), as `tf.config.list_logical_devices` describes it."""

    name: str
    device_type: str


def _counts() -> list[tuple[str, int]]:
    return [("CPU", 1), ("GPU", _backend.gpu().count())]


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The physical devices of `device_type` ('CPU', 'GPU'; all when None), as TensorFlow lists them.

    A GPU is listed when CuPy is importable and finds a CUDA device. The type is matched exactly, as in
    TensorFlow ('gpu' lists nothing).

    >>> import tapegrad as tf
    >>> tf.config.list_physical_devices('CPU')
    [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    """
    return [PhysicalDevice(f"/physical_device:{kind}:{i}", kind) for kind, n in _counts() for i in range(n)
            if device_type is None or device_type == kind]


def list_logical_devices(device_type: str | None = None) -> list[LogicalDevice]:
    """The logical devices of `device_type` (one per physical device here), named as `tf.device` takes them.

    >>> import tapegrad as tf
    >>> tf.config.list_logical_devices('CPU')
    [LogicalDevice(name='/device:CPU:0', device_type='CPU')]
    """
    return [LogicalDevice(f"/device:{kind}:{i}", kind) for kind, n in _counts() for i in range(n)
            if device_type is None or device_type == kind]


def set_soft_device_placement(enabled: bool) -> None:
    """Whether a `tf.device` scope naming a missing GPU falls back to the CPU (True, the default, as in
    TensorFlow's eager mode) or raises InvalidArgumentError on entering (False).

    >>> import tapegrad as tf
    >>> tf.config.set_soft_device_placement(True)
    """
    _SOFT[0] = bool(enabled)


def get_soft_device_placement() -> bool:
    """Whether soft device placement is on (see `set_soft_device_placement`).

    >>> import tapegrad as tf
    >>> tf.config.get_soft_device_placement()
    True
    """
    return _SOFT[0]
