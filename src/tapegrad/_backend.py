"""Which array library a value belongs to, where it lives, and the operations that differ between libraries.

Key decisions:
- NumPy is looked up by type in a dict and returned as the real `numpy` module (the fast path, no wrapper);
  every other array type goes through array-api-compat once per type and is cached. Operations that differ
  between libraries (scatter-add, conversion to host memory, matrix routines and special functions on Dask,
  moving arrays between devices) live here, never in rules.
- Nothing here imports CuPy or Dask at module level: a library is imported only once one of its arrays has
  been seen (or a GPU is asked for), so `import tapegrad` stays light.
- Dask arrays stay lazy. Where Dask has no routine (matrix factorizations, `take_along_axis`, special
  functions, scans written with NumPy ufuncs), the NumPy routine runs per block: `batched` and
  `map_blocks_elementwise` build those graphs. The few things that must see values now (data-dependent
  shapes) call `to_numpy`, which computes.
- Devices: the 'GPU' device type is served by a provider (`gpu()`): CuPy by default. Tests without a GPU
  install a stand-in (array-api-strict's second device), so the placement logic runs everywhere. A
  `tf.device` scope registers a placement function here (`push_placement`); `tensor.to_array` calls `place`
  on every new array while one is active (`PLACING[0]` counts them, so the common case costs one read).
"""

from __future__ import annotations

import threading

import numpy as np

_NAMESPACES: dict[type, object] = {np.ndarray: np}
_KINDS: dict[type, str] = {np.ndarray: "numpy"}


def namespace_of(value):
    """The array namespace of `value` (NumPy for NumPy arrays and scalars)."""
    t = type(value)
    xp = _NAMESPACES.get(t)
    if xp is None:
        if isinstance(value, (np.ndarray, np.generic)):
            xp = np
        else:
            import array_api_compat  # imported lazily: NumPy users never pay for it

            xp = array_api_compat.array_namespace(value)
            _numpy_dtype_protocol(value.dtype)
        _NAMESPACES[t] = xp
    return xp


def kind_of(value) -> str:
    """'numpy', 'cupy', 'dask' or 'other' (array-api-strict, JAX, ...): the library `value` belongs to."""
    t = type(value)
    k = _KINDS.get(t)
    if k is None:
        root = (t.__module__ or "").split(".")[0]
        k = "numpy" if issubclass(t, (np.ndarray, np.generic)) else root if root in ("cupy", "dask") else "other"
        _KINDS[t] = k
    return k


def is_lazy(value) -> bool:
    """True for arrays whose values are not computed yet (Dask)."""
    return kind_of(value) == "dask"


def _numpy_dtype_protocol(dtype) -> None:
    """Gives a library's dtype class NumPy's `kind` and `itemsize` when it lacks them (array-api-strict).

    The engine asks `value.dtype.kind in "fc"` on its hot paths (one attribute read for NumPy, CuPy, Dask and
    JAX, whose dtypes are NumPy's); this keeps that true for array-api-strict at no cost to the others. Both
    are read from the dtype's NumPy equivalent, found by name.
    """
    cls = type(dtype)
    if isinstance(dtype, np.dtype) or hasattr(cls, "kind"):
        return
    try:
        cls.kind = property(lambda d: np.dtype(str(d).rsplit(".", 1)[-1]).kind)
        cls.itemsize = property(lambda d: np.dtype(str(d).rsplit(".", 1)[-1]).itemsize)
    except (TypeError, AttributeError):  # a built-in type (torch.dtype): not supported as a backend
        pass


def is_array(value) -> bool:
    """True for arrays of any supported library (NumPy, CuPy, Dask, array-api-strict, ...)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return True
    if type(value) in _NAMESPACES:
        return True
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        return False
    try:
        namespace_of(value)
    except TypeError:
        return False
    return True


def to_numpy(value) -> np.ndarray:
    """A NumPy copy (or view) of any backend's array, on the host. A Dask array is computed."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    kind = kind_of(value)
    if kind == "cupy":
        return value.get()
    if kind == "dask":
        return to_numpy(value.compute())
    try:
        return np.asarray(value)
    except (RuntimeError, TypeError, ValueError, BufferError):  # on another device (array-api-strict's device1)
        xp = namespace_of(value)
        return np.asarray(value.to_device(xp.__array_namespace_info__().default_device()))


def numpy_dtype_of(value) -> np.dtype:
    """The NumPy dtype matching `value.dtype` for any backend."""
    d = value.dtype
    if isinstance(d, np.dtype):
        return d
    return np.dtype(str(d).rsplit(".", 1)[-1])


def materialize(value):
    """`value` with its values computed (a Dask array becomes its NumPy or CuPy result; others unchanged).

    Variables hold materialized values: `tf.Variable(dask_array)` and `assign*` with a Dask value call this.
    """
    if kind_of(value) != "dask":
        return value
    out = value.compute()
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


def like(value, ref):
    """`value` (any backend) converted to `ref`'s backend and device: a Variable keeps its device on assign."""
    value = materialize(value)
    kv, kr = kind_of(value), kind_of(ref)
    if kv == kr == "numpy":
        return value
    if kr == "numpy":
        out = to_numpy(value)
        return out[()] if out.ndim == 0 else out
    if kr == "dask":
        return value
    device = device_of(ref)
    if device[0] == "GPU":
        return to_device(value, device)
    xp = namespace_of(ref)
    if kv == kr and device_of(value) == device:
        return value
    return xp.asarray(to_numpy(value))


# --------------------------------------------------------------------------- devices

CPU = ("CPU", 0)
DASK = ("DASK", 0)


def device_of(value) -> tuple[str, int]:
    """('CPU', 0) or ('GPU', index): the device holding `value` (a Dask array: where its blocks live)."""
    kind = kind_of(value)
    if kind == "numpy":
        return CPU
    if kind == "dask":  # where its blocks live: the meta block's library tells
        meta = getattr(value, "_meta", None)
        return CPU if meta is None or kind_of(meta) == "numpy" else device_of(meta)
    if kind == "cupy":
        return ("GPU", int(value.device.id))
    provider = _GPU[0]
    if provider is not None and provider.owns(value):
        return ("GPU", provider.index_of(value))
    return CPU


def device_name(value) -> str:
    """TensorFlow's full device name for `value`'s device, e.g. '/job:localhost/replica:0/task:0/device:GPU:0'."""
    kind, index = device_of(value)
    return f"/job:localhost/replica:0/task:0/device:{kind}:{index}"


def home_of(value) -> tuple[str, int]:
    """Where an op on `value` runs: its device, or ('DASK', 0) for a Dask array (a graph, run by a scheduler)."""
    return DASK if kind_of(value) == "dask" else device_of(value)


def to_device(value, device: tuple[str, int]):
    """`value` copied to `device` (('CPU', 0), ('GPU', i), or ('DASK', 0): into a Dask graph, as one block);
    returned as is when it is already there."""
    if device == DASK:
        if kind_of(value) == "dask":
            return value
        import dask.array as da

        return da.asarray(value)
    if device_of(value) == device:
        return value
    if device[0] == "GPU":
        out = gpu().to_device(value, device[1])
        namespace_of(out)  # registers the array type (and its dtype's `kind`) the first time
        return out
    if kind_of(value) == "dask":  # blocks on a GPU: bring each block to the host, lazily
        return value.map_blocks(to_numpy, dtype=value.dtype, meta=np.empty((0,) * value.ndim, value.dtype))
    out = to_numpy(value)
    return out[()] if out.ndim == 0 else out


class CupyDevices:
    """The 'GPU' device type served by CuPy (imported on first use; no GPU means `count() == 0`)."""

    name = "CuPy"

    def __init__(self) -> None:
        self._count: int | None = None

    def count(self) -> int:
        """The number of CUDA devices CuPy can use (0 when CuPy is missing or finds no device or driver)."""
        if self._count is None:
            try:
                import cupy

                self._count = int(cupy.cuda.runtime.getDeviceCount())
            except Exception:  # ImportError, CUDARuntimeError (no driver), ...: no GPU
                self._count = 0
        return self._count

    def names(self) -> list[str]:
        """Each device's name as CUDA reports it (e.g. 'NVIDIA H100 80GB HBM3')."""
        import cupy

        out = []
        for i in range(self.count()):
            name = cupy.cuda.runtime.getDeviceProperties(i)["name"]
            out.append(name.decode() if isinstance(name, bytes) else str(name))
        return out

    def owns(self, value) -> bool:
        return kind_of(value) == "cupy"

    def index_of(self, value) -> int:
        return int(value.device.id)

    def to_device(self, value, index: int):
        """A CuPy array on GPU `index` holding `value` (NumPy, CuPy on another GPU, a Dask array computed)."""
        import cupy

        value = materialize(value)
        if kind_of(value) == "cupy":
            if int(value.device.id) == index:
                return value
            value = value.get()  # another GPU: through the host (correct everywhere; peer copies need P2P)
        elif kind_of(value) != "numpy":
            value = to_numpy(value)
        with cupy.cuda.Device(index):
            return cupy.asarray(value)

    def context(self, index: int):
        """A context manager making GPU `index` CuPy's current device (kernels and allocations go there)."""
        import cupy

        return cupy.cuda.Device(index)


_GPU: list = [None]


def gpu():
    """The provider serving '/GPU:i' devices: CuPy, unless `set_gpu_provider` installed another."""
    if _GPU[0] is None:
        _GPU[0] = CupyDevices()
    return _GPU[0]


def set_gpu_provider(provider):
    """Installs `provider` for the 'GPU' device type (None: back to CuPy); returns the previous one."""
    prev = _GPU[0]
    _GPU[0] = provider
    return prev


# tf.device scopes: a per-thread stack of placement functions, and a global count of active scopes so that
# `to_array` pays one list read when there is none.
PLACING = [0]
_placement = threading.local()


def push_placement(fn) -> None:
    """Enters a placement scope: `fn(array) -> array` is applied to every new array on this thread."""
    stack = getattr(_placement, "stack", None)
    if stack is None:
        stack = _placement.stack = []
    stack.append(fn)
    PLACING[0] += 1


def pop_placement() -> None:
    """Leaves the innermost placement scope of this thread."""
    _placement.stack.pop()
    PLACING[0] -= 1


def current_placement():
    """This thread's innermost placement function, or None."""
    stack = getattr(_placement, "stack", None)
    return stack[-1] if stack else None


def place(arr):
    """`arr` moved where the innermost `tf.device` scope of this thread puts new values (unchanged if none)."""
    if not PLACING[0]:
        return arr
    fn = current_placement()
    return arr if fn is None else fn(arr)


# --------------------------------------------------------------------------- operations that differ

def scatter_add(target, key, values, unique: bool = False):
    """`target` with `values` added at `target[key]` (duplicates in `key` accumulate). May reuse `target`."""
    if isinstance(target, np.ndarray):
        if unique:
            target[key] += values
        else:
            np.add.at(target, key, values)
        return target
    kind = kind_of(target)
    if kind == "cupy":
        import cupy
        import cupyx

        key = tuple(cupy.asarray(k) if isinstance(k, np.ndarray) else k for k in
                    (key if isinstance(key, tuple) else (key,)))
        if unique:
            target[key] += values
            return target
        try:  # atomicAdd: float32, int32, uint32, uint64 with integer-array keys (CuPy's documentation)
            if hasattr(cupy.add, "at"):  # CuPy >= 13 (cupyx.scatter_add is deprecated there)
                cupy.add.at(target, key, values)
            else:
                cupyx.scatter_add(target, key, values)
            return target
        except (TypeError, ValueError, NotImplementedError):
            host = target.get()
            np.add.at(host, tuple(k.get() if kind_of(k) == "cupy" else k for k in key), to_numpy(values))
            return cupy.asarray(host)
    if kind == "dask":
        if unique:  # Dask's item assignment (lazy, blockwise) handles slices and single integer arrays
            try:
                target[key] = target[key] + values
                return target
            except (TypeError, ValueError, IndexError, NotImplementedError):
                pass
        return _dask_scatter_add(target, key, values)
    xp = namespace_of(target)
    if hasattr(target, "at") and hasattr(target.at[key], "add"):  # JAX-style immutable arrays
        return target.at[key].add(values)
    if unique:
        try:
            target[key] = target[key] + values
            return target
        except (TypeError, ValueError, NotImplementedError):
            pass
    # Generic fallback: host round trip (correct everywhere; slow for large device arrays).
    host = to_numpy(target).copy()
    np.add.at(host, key, to_numpy(values))
    return xp.asarray(host)


# --------------------------------------------------------------------------- fused CuPy kernels
# On a GPU a small op costs its launch (tens of microseconds of host time), whatever its size: where a rule
# would chain several CuPy calls on the hot path of a training step, one elementwise kernel does the work.
# Each is compiled on first use (and cached by CuPy on disk), float32 and float64 only.

_CUPY_KERNELS: dict = {}


def _cupy_kernel(name: str, inputs: str, outputs: str, body: str):
    k = _CUPY_KERNELS.get(name)
    if k is None:
        import cupy

        k = _CUPY_KERNELS[name] = cupy.ElementwiseKernel(inputs, outputs, body, "tapegrad_" + name)
    return k


def fused_relu_grad(g, y):
    """TensorFlow's ReluGrad, `g * (y > 0)` (a NaN gradient stays NaN), as one kernel for CuPy float32/64
    arrays of one dtype; None for anything else (the caller's generic code runs)."""
    if kind_of(g) != "cupy" or kind_of(y) != "cupy" or g.dtype != y.dtype or g.dtype.char not in "fd":
        return None
    return _cupy_kernel("relu_grad", "T g, T y", "T out", "out = g * (T)(y > 0)")(g, y)


def fused_sparse_xent(logits, labels, with_backprop: bool):
    """Sparse softmax cross-entropy of CuPy float32/64 `logits` (..., c) and integer `labels` (...) in five
    kernels (max, exp, sum, loss, backprop): the loss and, if `with_backprop`, softmax - one_hot. A label
    outside [0, c) gives a NaN loss and backprop row, as TensorFlow's GPU kernel does. None where it does not
    apply (the caller's generic code runs)."""
    if kind_of(logits) != "cupy" or kind_of(labels) != "cupy" or logits.dtype.char not in "fd" or \
            labels.dtype.kind not in "iu" or logits.ndim == 0 or logits.shape[-1] == 0:
        return None
    import cupy

    c = logits.shape[-1]
    x = cupy.ascontiguousarray(logits).reshape(-1, c)
    ids = cupy.ascontiguousarray(labels).reshape(-1)
    m = x.max(axis=1, keepdims=True)
    e = _cupy_kernel("xent_exp", "T x, T m", "T e", "e = exp(x - m)")(x, m)
    s = e.sum(axis=1)
    nan = "(T)__int_as_float(0x7fc00000)"  # a label outside [0, c): NaN
    loss = _cupy_kernel("xent_loss", "T s, T m, L l, raw T x, int64 c", "T loss",
                        f"loss = (l < 0 || l >= c) ? {nan} : (T)(log(s) - (x[i * c + l] - m))")(s, m[:, 0], ids, x, c)
    loss = loss.reshape(labels.shape)
    if not with_backprop:
        return loss
    bp = _cupy_kernel("xent_backprop", "T e, T s, raw L l, int64 c", "T bp",
                      f"const long long k = l[i / c]; bp = (k < 0 || k >= c) ? {nan} : e / s - (T)(i % c == k)")
    bp = bp(e, s[:, None], ids, c)
    return loss, bp.reshape(logits.shape)


def _scatter_block(target, values, key):
    return scatter_add(target.copy(), key, values)


def _dask_scatter_add(target, key, values):
    """Dask arrays are immutable and Dask has no scatter-add: it runs lazily as one task on the whole target
    (correct for any key, duplicates included; not split across blocks), then takes the target's chunks."""
    import dask
    import dask.array as da

    d = dask.delayed(_scatter_block, pure=True)(target, values, key)
    out = da.from_delayed(d, shape=target.shape, dtype=target.dtype, meta=target._meta)
    return out.rechunk(target.chunks)


def reshape(xp, x, shape):
    """`x` reshaped; a Dask array that cannot split its dimensions evenly goes through one flat dimension."""
    try:
        return xp.reshape(x, shape)
    except NotImplementedError:  # Dask reshapes only by merging, or evenly splitting, existing dimensions
        return xp.reshape(xp.reshape(x, (-1,)), shape)


def take_along_axis(xp, x, indices, axis: int):
    """`take_along_axis` on any backend: the library's own, or (Dask, which has none) NumPy's per block."""
    if xp is np:
        return np.take_along_axis(x, indices, axis=axis)
    if kind_of(x) != "dask":
        if hasattr(xp, "take_along_axis"):
            return xp.take_along_axis(x, xp.asarray(indices) if isinstance(indices, np.ndarray) else indices,
                                      axis=axis)
        return xp.asarray(np.take_along_axis(to_numpy(x), to_numpy(indices), axis=axis))  # on the host
    import dask.array as da

    nd = x.ndim
    axis %= nd
    xm = da.moveaxis(da.asarray(x), axis, -1)
    im = da.moveaxis(da.asarray(indices), axis, -1)
    out = da.apply_gufunc(_take_last, "(i),(j)->(j)", xm, im, output_dtypes=[x.dtype], allow_rechunk=True,
                          vectorize=False)
    return da.moveaxis(out, -1, axis)


def _take_last(x, idx):
    xp = namespace_of(x)
    if xp is np:
        return np.take_along_axis(x, np.broadcast_to(idx, x.shape[:-1] + idx.shape[-1:]), axis=-1)
    return xp.take_along_axis(x, xp.broadcast_to(idx, tuple(x.shape[:-1]) + tuple(idx.shape[-1:])), axis=-1)


def batched(impl, signature):
    """`impl(xp, *arrays, **params)` made to run on Dask arrays as a generalized ufunc: block by block over the
    batch dimensions, each block's core dimensions (`signature`, NumPy's gufunc notation) whole, with the
    block's own library. Matrix routines (inverse, solve, factorizations) use it: Dask has few of them, and
    those it has need particular chunks. `signature` may be a callable `(arrays, params) -> (signature,
    output_sizes)` for outputs with new core sizes (qr, svd). Other backends call `impl` directly.

    A LinAlgError on Dask (a singular matrix) surfaces when the result is computed, not when the op runs.
    """
    def run(xp, *arrays, **params):
        if xp is np or not any(kind_of(a) == "dask" for a in arrays):
            return impl(xp, *arrays, **params)
        import dask.array as da

        sig, sizes = signature(arrays, params) if callable(signature) else (signature, None)
        probe = impl(np, *[np.ones((1,) * a.ndim, dtype=numpy_dtype_of(a)) for a in arrays], **params)
        multi = isinstance(probe, tuple)
        dtypes = [np.asarray(p).dtype for p in (probe if multi else (probe,))]
        out = da.apply_gufunc(_BlockImpl(impl, params), sig, *[da.asarray(a) for a in arrays],
                              output_dtypes=dtypes if multi else dtypes[0], output_sizes=sizes,
                              allow_rechunk=True, vectorize=False)
        return tuple(out) if multi else out

    run.__name__ = getattr(impl, "__name__", "impl")
    run.__wrapped__ = impl
    return run


class _BlockImpl:
    """A picklable `impl` bound to its params, run on one block with the block's own namespace."""

    def __init__(self, impl, params):
        self.impl, self.params = impl, params

    def __call__(self, *blocks):
        return self.impl(namespace_of(blocks[0]), *blocks, **self.params)


def map_blocks_elementwise(fn, arrays, dtype):
    """`fn(*numpy_arrays)` (elementwise, broadcasting) on Dask arrays, lazily, block by block.

    For functions that exist only as NumPy code (special functions without SciPy): Dask runs them per block
    instead of computing the whole array on the host.
    """
    import dask.array as da

    args = da.broadcast_arrays(*[da.asarray(a) for a in arrays])
    return da.map_blocks(fn, *args, dtype=dtype)


def map_along_axis(fn, x, axis: int, dtype):
    """`fn(numpy_block)` on a Dask array whose `axis` is rechunked whole (scans along an axis), lazily."""
    axis %= x.ndim
    return x.rechunk({axis: -1}).map_blocks(fn, dtype=dtype)


def map_leading(fn, x, k: int, lead: tuple, dtype):
    """`fn(numpy_block)` on a Dask array whose first `k` dims are rechunked whole and replaced, in each output
    block, by dims of sizes `lead` (segment reductions: ids over the leading dims, segments out), lazily."""
    x = x.rechunk({i: -1 for i in range(k)})
    chunks = tuple((n,) for n in lead) + x.chunks[k:]
    m = len(lead)
    if m == k:
        return x.map_blocks(fn, chunks=chunks, dtype=dtype)
    if m < k:
        return x.map_blocks(fn, chunks=chunks, dtype=dtype, drop_axis=list(range(m, k)))
    return x.map_blocks(fn, chunks=chunks, dtype=dtype, new_axis=list(range(k, m)))


def filled(xp, shape, value, dtype, like):
    """Zeros (`value` 0) or ones of `shape` and `dtype` in namespace `xp`, on the device holding `like`."""
    if xp is np:
        return np.zeros(shape, dtype) if value == 0 else np.ones(shape, dtype)
    if kind_of(like) == "dask" and tuple(shape) == tuple(like.shape):  # the same chunks: no rechunk to combine
        import dask.array as da

        return (da.zeros_like if value == 0 else da.ones_like)(like, dtype=dtype)
    import array_api_compat

    return (xp.zeros if value == 0 else xp.ones)(shape, dtype=dtype, device=array_api_compat.device(like))
