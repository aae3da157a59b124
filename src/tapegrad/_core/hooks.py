"""Ops the engine needs (add, unbroadcast, ones_like, ...), installed by the op library at import.

Key decision: the engine never imports the op library; the op library fills this object in, so the
imports point one way only (ops -> _core).
"""

from __future__ import annotations


class _Hooks:
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"tapegrad engine hook {name!r} is not installed; import tapegrad, not tapegrad._core.")


hooks = _Hooks()
