"""`tf.dtypes`: the DType class, the dtype objects, `as_dtype` and `cast` (aliases only)."""

from ._core.dtypes import (  # noqa: A004
                           DType,
                           as_dtype,
                           bool,
                           complex64,
                           complex128,
                           double,
                           float16,
                           float32,
                           float64,
                           half,
                           int8,
                           int16,
                           int32,
                           int64,
                           uint8,
                           uint16,
                           uint32,
                           uint64,
)
from .ops.elementwise import cast

__all__ = ["DType", "as_dtype", "bool", "cast", "complex64", "complex128", "double", "float16", "float32", "float64",
           "half", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
