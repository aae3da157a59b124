"""`GradientTape.explain(target, sources)`: why each source gets a gradient, or None.

Key decision: every answer comes from what the engine knows for certain (the tape's record, what it watched,
the sources' dtypes and flags, the notes `_diagnose` takes while recording: conversions to NumPy and ops with
no gradient, with the user's line) and from a replay of the backward pass that never consumes the tape. Two
reasons also read the user's code: a tensor source is called *shadowed* when the caller's local variable
holding it is rebound from itself in the same function (`w = w - lr * g`, `w -= lr * g`, found with `ast`),
which turns a `tf.Variable` into a `tf.Tensor` no tape watches; and names come from the caller's locals.

The reasons, in the order they are tried for a source:
- ``not_a_tensor``: a Python number or NumPy array (tape.gradient raises TypeError for it);
- ``not_float``: an integer, bool or string dtype;
- for a source the tape does not watch: ``not_trainable`` (a `trainable=False` variable), ``to_numpy`` (a
  variable converted to NumPy and never used by an op), ``not_watched`` (a constant, a variable never read
  inside the block, or `watch_accessed_variables=False`), ``shadowed``;
- for a watched source whose recorded ops reach the target: ``flows``, or ``no_gradient_op`` when an op on
  the way gives it no gradient (or has no gradient rule at all);
- for one whose ops do not reach the target: ``no_gradient_op`` (an op with no gradient whose output the tape
  used again on the way to the target: certain), ``outside_tape`` (the target was made after the `with`
  block ended), ``to_numpy`` (a tensor computed from the source was converted to NumPy: the file and line),
  ``no_gradient_op`` (such an op ran on a tensor computed from the source), ``bad_target`` (not a float
  tensor), ``no_path``.
"""

from __future__ import annotations

import ast
import linecache
import textwrap
from dataclasses import dataclass

from ._core import nest
from ._core import tape as _tape
from ._core.tensor import Tensor, Variable, _TensorLike
from ._diagnose import Where, _in_tapegrad, local_names, notes, user_frame
from ._trace import replay, trace

__all__ = ["REASONS", "Explanation", "SourceExplanation", "explain"]

#: reason code -> what it means
REASONS = {
    "flows": "a gradient flows",
    "not_a_tensor": "not a tensor or variable",
    "not_float": "an integer, bool or other non-float dtype",
    "not_trainable": "a variable created with trainable=False",
    "not_watched": "never watched by the tape",
    "shadowed": "a variable's name rebound to a tensor",
    "to_numpy": "the path left the tape through NumPy",
    "no_gradient_op": "an op with no gradient on the path",
    "outside_tape": "the target was computed outside the tape's with block",
    "bad_target": "the target is not a float tensor",
    "no_path": "no recorded path to the target",
}


@dataclass(frozen=True)
class SourceExplanation:
    """The answer for one source: its `name`, a `reason` code (see `REASONS`), a `message` in words, and where
    known, `where` (a `Where`: file and line in the user's code) and `op` (the op that stopped the gradient)."""

    name: str
    reason: str
    message: str
    where: Where | None = None
    op: str | None = None

    @property
    def has_gradient(self) -> bool:
        """Whether `tape.gradient` gives this source a gradient."""
        return self.reason == "flows"

    def __str__(self) -> str:
        head = "gradient flows" if self.has_gradient else f"None ({self.reason})"
        return f"{self.name}: {head}: {self.message}"


class Explanation:
    """`tape.explain`'s report: `target` (its name) and `sources`, one `SourceExplanation` each, in order.

    Iterating gives the sources' explanations; indexing takes a position or a source's name; `str()` is the
    report in words.
    """

    def __init__(self, target: str, sources: list[SourceExplanation]):
        self.target = target
        self.sources = sources

    @property
    def reasons(self) -> list[str]:
        """The reason codes, one per source."""
        return [s.reason for s in self.sources]

    def __iter__(self):
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, key) -> SourceExplanation:
        if isinstance(key, str):
            for s in self.sources:
                if s.name == key:
                    return s
            raise KeyError(f"no source named {key!r}; the sources: {', '.join(s.name for s in self.sources)}")
        return self.sources[key]

    def __repr__(self) -> str:
        return f"<Explanation of d{self.target}: {', '.join(f'{s.name}={s.reason}' for s in self.sources)}>"

    def __str__(self) -> str:
        lines = [f"Why tape.gradient({self.target}, ...) gives what it gives, source by source:"]
        for s in self.sources:
            lines.append(textwrap.fill(str(s), width=110, initial_indent="  ", subsequent_indent="      "))
        return "\n".join(lines)


def _outs(out) -> tuple:
    return out if out.__class__ is tuple else (out,)


def explain(tape, target, sources) -> Explanation:
    """`GradientTape.explain`: see its docstring.

    >>> import tapegrad as tf
    >>> w = tf.Variable(0.6, name="w")
    >>> with tf.GradientTape() as tape:
    ...     loss = tf.round(w * 10.0) ** 2
    >>> why = tape.explain(loss, w)
    >>> why.reasons, why["w"].op
    (['no_gradient_op'], 'Round')
    """
    entries = tape._entries
    if entries is None:
        raise RuntimeError("This non-persistent GradientTape has already computed its gradient and dropped its "
                           "record; call tape.explain(target, sources) before tape.gradient(), or use "
                           "tf.GradientTape(persistent=True).")
    frame = user_frame()
    local = local_names(frame, depth=2)
    flat_targets = [t for t in nest.flatten(target)] if target is not None else [None]
    flat_sources = nest.flatten(sources)
    tr = trace(tape, _frame=frame)
    labels = {}
    for step in tr.steps:
        for o, label in zip(step.output_tensors, step.outputs):
            labels[o._id] = label
    for step in tr.steps:
        for a, label in zip(step.input_tensors, step.inputs):
            if isinstance(a, _TensorLike) and a._id in tape._watched:
                labels.setdefault(a._id, label)
    tname = next((local[t._id] for t in flat_targets if isinstance(t, _TensorLike) and t._id in local), "target")

    good = [t for t in flat_targets if isinstance(t, _TensorLike) and t._value.dtype.kind in "fc"]
    bad_target = None
    for t in flat_targets:
        if t is None:
            bad_target = "the target is None: pass the tensor computed inside the tape"
        elif not isinstance(t, _TensorLike):
            bad_target = (f"the target {tname} is a {type(t).__name__}, not a tensor: it was computed outside "
                          f"tapegrad (tape.gradient raises TypeError); keep it a tf.Tensor, computed with tapegrad ops")
        elif t._value.dtype.kind not in "fc":
            bad_target = (f"the target {tname} has dtype {t.dtype.name}: no gradient flows from an integer or bool "
                          "value, as in TensorFlow")
    target_ids = {t._id for t in good}
    produced = {o._id for _, _, _, out in entries for o in _outs(out)}
    ancestry = set(target_ids)  # every tensor the target was computed from through recorded ops
    for _, args, _, out in reversed(entries):
        if any(o._id in ancestry for o in _outs(out)):
            ancestry.update(a._id for a in args if isinstance(a, _TensorLike))
    watched = tape._watched
    source_ids = [s._id for s in flat_sources if isinstance(s, _TensorLike) and s._value.dtype.kind in "fc"
                  and s._id in watched]
    grads, blocked, missing = {}, {}, None
    if good:
        try:
            grads, _, blocked = replay(entries, _tape._seeds(good, None), source_ids)
        except LookupError as e:
            missing = str(e).splitlines()[0]
    n = notes(tape)
    context = _Context(tape, tr, labels, local, frame, tname, target_ids, ancestry, produced, bad_target, grads,
                       blocked, missing, n.escapes if n else [], n.cuts if n else [])
    return Explanation(tname, [context.one(j, s) for j, s in enumerate(flat_sources)])


@dataclass
class _Context:
    tape: object
    tr: object
    labels: dict
    local: dict
    frame: object
    tname: str
    target_ids: set
    ancestry: set
    produced: set
    bad_target: str | None
    grads: dict
    blocked: dict
    missing: str | None
    escapes: list
    cuts: list

    def name_of(self, j: int, s) -> str:
        if isinstance(s, _TensorLike):
            if s._id in self.labels:
                return self.labels[s._id]
            if isinstance(s, Variable) and self.local.get(s._id) is None and s._name != "Variable":
                return s._name
            if s._id in self.local:
                return self.local[s._id]
        return f"sources[{j}]"

    def one(self, j: int, s) -> SourceExplanation:
        name = self.name_of(j, s)
        f = self.tname
        if not isinstance(s, _TensorLike):
            what = "None" if s is None else type(s).__name__
            return SourceExplanation(name, "not_a_tensor", (
                f"{name} is {'None' if s is None else 'a ' + what}, not a tf.Tensor or tf.Variable: tape.gradient "
                "raises TypeError for it. Pass the tf.Variable (or the tensor the tape watched) itself, not its "
                "value."))
        if s._value.dtype.kind not in "fc":
            dt = s.dtype.name
            return SourceExplanation(name, "not_float", (
                f"{name} has dtype {dt}: gradients flow only to floating-point (and complex) tensors, as in "
                f"TensorFlow. Create it as a float (tf.constant(3.0), not tf.constant(3)), or cast it before the "
                f"tape uses it: {name} = tf.cast({name}, tf.float32)."))
        sid = s._id
        if sid not in self.tape._watched:
            return self.unwatched(name, s)
        if sid in self.target_ids:
            return SourceExplanation(name, "flows", f"{name} is the target itself (its gradient is ones)")
        reach, uses = {sid}, []
        for i, (_, args, _, out) in enumerate(self.tape._entries):
            if any(a.__class__ is Tensor and a._id in reach for a in args):
                uses.append(i)
                reach.update(o._id for o in _outs(out))
        if reach & self.target_ids:
            return self.reaching(name, sid, reach, uses)
        certain = [c for c in self.cuts if set(c.inputs) & reach and set(c.outputs) & self.ancestry]
        if certain:
            return self.cut(name, certain[0], certain=True)
        outside = self.outside()
        if outside is not None:
            return SourceExplanation(name, "outside_tape", outside)
        escapes = [e for e in self.escapes if e.tid in reach]
        if escapes:
            e = escapes[-1]
            label = self.labels.get(e.tid, "a tensor")
            what = name if e.tid == sid else (
                f"{self.local[e.tid]} ({label} on the tape, computed from {name})" if e.tid in self.local else
                f"{label} (computed from {name})")
            more = f" (the last of {len(escapes)} such conversions)" if len(escapes) > 1 else ""
            return SourceExplanation(name, "to_numpy", (
                f"the path from {name} leaves the tape where {what} is converted to NumPy by {e.how}, at "
                f"{_at(e.where)}{more}. The tape cannot follow NumPy: {f}, computed from that value, is a constant "
                "to it. Use tapegrad ops instead (tf.math.exp(t), not np.exp(t.numpy())); convert only to print."),
                e.where)
        cuts = [c for c in self.cuts if set(c.inputs) & reach]
        if cuts:
            return self.cut(name, cuts[-1], certain=False)
        if self.bad_target is not None:
            return SourceExplanation(name, "bad_target", self.bad_target)
        return self.no_path(name, s, uses)

    def unwatched(self, name: str, s) -> SourceExplanation:
        escapes = [e for e in self.escapes if e.tid == s._id]
        if isinstance(s, Variable):
            if not s._trainable:
                return SourceExplanation(name, "not_trainable", (
                    f"{name} is a tf.Variable created with trainable=False: a tape watches only trainable "
                    f"variables on its own. Call tape.watch({name}) inside the `with` block, or create it with "
                    "trainable=True."))
            if escapes:
                e = escapes[-1]
                return SourceExplanation(name, "to_numpy", (
                    f"{name} never reached the tape as a tensor: it was converted to NumPy by {e.how}, at "
                    f"{_at(e.where)}, and no tapegrad op used it. What is computed from that array is a constant "
                    f"to the tape: use tapegrad ops on {name} (tf.math.exp({name}), not np.exp({name}.numpy()))."),
                    e.where)
            if not self.tape._watch_accessed:
                return SourceExplanation(name, "not_watched", (
                    f"the tape was created with watch_accessed_variables=False and {name} was never passed to "
                    f"tape.watch: call tape.watch({name}) inside the `with` block."))
            return SourceExplanation(name, "not_watched", (
                f"{name} was never read while the tape was recording: no op inside the `with tf.GradientTape()` "
                f"block used it. A value computed from {name} before the block is a constant to the tape: compute "
                "it inside the block (and check that this is the variable the target was computed from)."))
        shadow = _shadowed(s, self.frame)
        if shadow is not None:
            code, at, fix = shadow
            return SourceExplanation(name, "shadowed", (
                f"{name} is a tf.Tensor, not the tf.Variable it was: `{code}` at {at} rebinds the name {name} to a "
                f"new tensor computed from it, which no tape watches. Update the variable in place instead: "
                f"{fix}."), at)
        return SourceExplanation(name, "not_watched", (
            f"{name} is a tf.Tensor the tape never watched (a constant to it). Call tape.watch({name}) inside the "
            f"`with` block before computing with it, or make it a tf.Variable."))

    def reaching(self, name: str, sid: int, reach: set, uses: list) -> SourceExplanation:
        f = self.tname
        if self.missing is not None:
            op = self.missing.split("'")[1] if "'" in self.missing else None
            return SourceExplanation(name, "no_gradient_op", (
                f"the path from {name} to {f} goes through {op or 'an op'}, which has no gradient rule: "
                f"tape.gradient raises LookupError ({self.missing})"), None, op)
        if self.grads.get(sid) is not None:
            on_path = [i for i in uses if any(o._id in self.ancestry for o in _outs(self.tape._entries[i][3]))]
            return SourceExplanation(name, "flows", (
                f"{len(on_path)} recorded op{'s' * (len(on_path) != 1)} lead{'s' * (len(on_path) == 1)} from "
                f"{name} to {f}"))
        for i, ks in sorted(self.blocked.items(), reverse=True):
            step = self.tr.steps[i]
            which = ", ".join(f"input #{k} ({step.inputs[k]})" for k in ks)
            return SourceExplanation(name, "no_gradient_op", (
                f"every path from {name} to {f} is stopped: {step.call} gives no gradient for its {which}"),
                None, step.op)
        return SourceExplanation(name, "no_path", f"no gradient reaches {name} from {f}")  # pragma: no cover

    def cut(self, name: str, c, certain: bool) -> SourceExplanation:
        args = ", ".join(self.labels.get(a, "?") if isinstance(a, int) else a for a in c.args)
        link = (f"and {self.tname} was computed from its output" if certain else
                f"and nothing the tape recorded leads from {name} to {self.tname} otherwise")
        fix = ("tf.stop_gradient stops it on purpose" if c.op == "StopGradient" else
               "a cast to an integer type drops the gradient: keep float values" if c.op == "Cast" else
               "use a differentiable op instead, or give it a gradient with tf.custom_gradient")
        return SourceExplanation(name, "no_gradient_op", (
            f"the path from {name} goes through {c.op}({args}) at {_at(c.where)}, which {c.why}, {link}; {fix}."),
            c.where, c.op)

    def outside(self) -> str | None:
        exit_id = getattr(self.tape, "_exit_id", None)
        if exit_id is None or self.tape._recording or not self.target_ids:
            return None
        late = [t for t in self.target_ids if t not in self.produced and t > exit_id]
        if not late:
            return None
        return (f"{self.tname} was computed after the `with tf.GradientTape()` block ended, where the tape records "
                f"nothing: compute {self.tname} inside the block.")

    def no_path(self, name: str, s, uses: list) -> SourceExplanation:
        f = self.tname
        if not uses:
            if isinstance(s, Variable) or s._id in self.tape._variables:
                why = (f"the tape watches {name}, but no recorded op used it: {f} was computed without it "
                       f"(check that this is the variable {f} was computed from)")
            else:
                why = (f"{name} is watched, but no recorded op used it: ops run on {name} before "
                       f"tape.watch({name}) are not recorded, so call tape.watch first")
            return SourceExplanation(name, "no_path", why + ".")
        direct = [i for i in uses if any(a.__class__ is Tensor and a._id == s._id
                                         for a in self.tape._entries[i][1])]
        last_use = self.tr.steps[direct[-1]].call if direct else None
        last = self.tr.steps[uses[-1]].call
        made = ("was not recorded at all: it was computed only from tensors the tape did not watch"
                if not self.target_ids & self.produced else "was computed from other tensors")
        return SourceExplanation(name, "no_path", (
            f"nothing the tape recorded connects {name} to {f}: the ops computed from {name} end at {last}"
            + (f" (its last direct use: {last_use})" if last_use and last_use != last else "")
            + f", and {f} {made}. Check that you pass the variables {f} was computed from."),
            None, self.tr.steps[uses[-1]].op)


def _at(where) -> str:
    return where.describe() if where is not None else "a line outside your code"


# --------------------------------------------------------------------------- `w = w - lr * g`


def _shadowed(t, frame, depth: int = 4):
    """(code, Where, suggested fix) when a local variable holding `t` is rebound from itself in its function."""
    while frame is not None and depth > 0:
        if not _in_tapegrad(frame):
            for name, value in list(frame.f_locals.items()):
                if value is t:
                    found = _rebinding(frame, name)
                    if found is not None:
                        return found
        frame = frame.f_back
        depth -= 1
    return None


def _rebinding(frame, name: str):
    filename = frame.f_code.co_filename
    text = "".join(linecache.getlines(filename, frame.f_globals))
    if not text:
        return None
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    scope: ast.AST = tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == frame.f_code.co_name and \
                node.lineno <= frame.f_lineno <= (node.end_lineno or node.lineno):
            if scope is tree or node.lineno > scope.lineno:
                scope = node
    for node in ast.walk(scope):
        fix = None
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            method = {ast.Sub: "assign_sub", ast.Add: "assign_add"}.get(type(node.op))
            rhs = ast.unparse(node.value)
            fix = (f"{name}.{method}({rhs})" if method else
                   f"{name}.assign({name} {_OPS.get(type(node.op), '?')} {rhs})")
        elif isinstance(node, ast.Assign) and any(isinstance(g, ast.Name) and g.id == name for g in node.targets) \
                and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value)):
            v = node.value
            if isinstance(v, ast.BinOp) and isinstance(v.left, ast.Name) and v.left.id == name and \
                    isinstance(v.op, (ast.Sub, ast.Add)):
                fix = f"{name}.{'assign_sub' if isinstance(v.op, ast.Sub) else 'assign_add'}({ast.unparse(v.right)})"
            else:
                fix = f"{name}.assign({ast.unparse(v)})"
        if fix is not None:
            return ast.unparse(node), Where(filename, node.lineno, frame.f_code.co_name), fix
    return None


_OPS = {ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}
