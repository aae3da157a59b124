"""tf.train.Checkpoint, CheckpointManager and latest_checkpoint: the object graph, bit-exact restores (optimizer
slots and step counts included), resuming, atomic writes under a simulated crash, and clear errors that change
nothing for corrupt or mismatched checkpoints."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tf
from tapegrad.train import checkpoint as checkpoint_module

ROOT = Path(__file__).resolve().parent.parent


class Net(tf.Module):
    """A module with variables in attributes, a list, a dict and a submodule."""

    def __init__(self, seed: int = 0, width: int = 3):
        super().__init__()
        r = np.random.default_rng(seed)
        self.w = tf.Variable(r.standard_normal((4, width)).astype(np.float32), name="w")
        self.blocks = [tf.Variable(r.standard_normal(width).astype(np.float32), name="b0")]
        self.extra = {"scale": tf.Variable(np.float32(1.5), name="scale")}
        self.head = tf.Module()
        self.head.v = tf.Variable(r.standard_normal((width, 2)).astype(np.float32), name="v")
        self.frozen = tf.Variable(np.int64(7), trainable=False, name="frozen")

    def __call__(self, x):
        h = tf.nn.relu(tf.matmul(x, self.w) + self.blocks[0]) * self.extra["scale"]
        return tf.matmul(h, self.head.v)


X = tf.constant(np.random.default_rng(1).standard_normal((8, 4)).astype(np.float32))


def train_steps(net, opt, n):
    for _ in range(n):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(net(X) ** 2)
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))


def values(net):
    return [v.numpy() for v in net.variables]


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(a, b))


# ----------------------------------------------------------------------------- save / restore

def test_save_writes_a_numbered_file_and_the_checkpoint_state(tmp_path):
    net = Net()
    ckpt = tf.train.Checkpoint(model=net)
    path = ckpt.save(tmp_path / "ckpt")
    assert path == str(tmp_path / "ckpt-1")
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-1.npz"]
    assert (tmp_path / "checkpoint").read_text() == 'model_checkpoint_path: "ckpt-1"\n' \
                                                    'all_model_checkpoint_paths: "ckpt-1"\n'
    assert ckpt.save(tmp_path / "ckpt").endswith("ckpt-2")
    assert tf.train.latest_checkpoint(tmp_path) == str(tmp_path / "ckpt-2")
    assert int(ckpt.save_counter) == 2
    keys = dict(tf.train.list_variables(path))
    assert keys == {"_CHECKPOINTABLE_OBJECT_GRAPH": [], "model/blocks/0/.ATTRIBUTES/VARIABLE_VALUE": [3],
                    "model/extra/scale/.ATTRIBUTES/VARIABLE_VALUE": [], "model/frozen/.ATTRIBUTES/VARIABLE_VALUE": [],
                    "model/head/v/.ATTRIBUTES/VARIABLE_VALUE": [3, 2], "model/w/.ATTRIBUTES/VARIABLE_VALUE": [4, 3],
                    "save_counter/.ATTRIBUTES/VARIABLE_VALUE": []}
    np.testing.assert_array_equal(tf.train.load_variable(tmp_path, "model/w"), net.w.numpy())
    with np.load(str(path) + ".npz") as archive:  # a plain .npz
        np.testing.assert_array_equal(archive["model/head/v/.ATTRIBUTES/VARIABLE_VALUE"], net.head.v.numpy())


def test_restore_is_bit_exact_into_fresh_objects(tmp_path):
    net = Net(seed=0)
    path = tf.train.Checkpoint(model=net).save(tmp_path / "c")
    fresh = Net(seed=5)
    status = tf.train.Checkpoint(model=fresh).restore(path)
    status.assert_consumed().assert_existing_objects_matched().assert_nontrivial_match()
    assert same(values(fresh), values(net))
    assert fresh.frozen.dtype == tf.int64 and int(fresh.frozen) == 7


def test_optimizer_slots_and_iterations_are_restored_and_training_resumes_bit_exactly(tmp_path):
    for make in (lambda: tf.keras.optimizers.Adam(0.01), lambda: tf.keras.optimizers.RMSprop(0.01, momentum=0.5),
                 lambda: tf.keras.optimizers.SGD(0.05, momentum=0.9)):
        net, opt = Net(), make()
        train_steps(net, opt, 3)
        path = tf.train.Checkpoint(model=net, optimizer=opt).write(tmp_path / type(opt).__name__)
        train_steps(net, opt, 4)  # the uninterrupted run
        net2, opt2 = Net(seed=9), make()  # a new process would start like this
        tf.train.Checkpoint(model=net2, optimizer=opt2).restore(path).assert_consumed()
        assert int(opt2.iterations) == 3 and opt2.built
        train_steps(net2, opt2, 4)
        assert same(values(net2), values(net))
        assert same([v.numpy() for v in opt2.variables], [v.numpy() for v in opt.variables])


def test_slot_keys_name_their_variable(tmp_path):
    net, opt = Net(), tf.keras.optimizers.Adam(0.01)
    train_steps(net, opt, 1)
    path = tf.train.Checkpoint(model=net, optimizer=opt).save(tmp_path / "c")
    keys = [k for k, _ in tf.train.list_variables(path)]
    assert "model/w/.OPTIMIZER_SLOT/optimizer/momentum/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "model/head/v/.OPTIMIZER_SLOT/optimizer/velocity/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE" in keys


def test_restore_into_a_built_optimizer_assigns_its_slots(tmp_path):
    net, opt = Net(), tf.keras.optimizers.Adam(0.01)
    train_steps(net, opt, 2)
    path = tf.train.Checkpoint(model=net, optimizer=opt).write(tmp_path / "c")
    net2, opt2 = Net(), tf.keras.optimizers.Adam(0.01)
    train_steps(net2, opt2, 5)
    tf.train.Checkpoint(model=net2, optimizer=opt2).restore(path).assert_consumed()
    assert same([v.numpy() for v in opt2.variables], [v.numpy() for v in opt.variables])


def test_keras_model_and_optimizer_resume(tmp_path):
    def build():
        tf.keras.utils.set_random_seed(3)
        model = tf.keras.Sequential([tf.keras.layers.Dense(8, activation="relu"), tf.keras.layers.Dense(2)])
        model.build((None, 4))
        return model, tf.keras.optimizers.AdamW(0.01)

    def steps(model, opt, n):
        for _ in range(n):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(model(X) ** 2)
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))

    model, opt = build()
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model, optimizer=opt), tmp_path, max_to_keep=2)
    steps(model, opt, 2)
    manager.save()
    steps(model, opt, 3)
    model2, opt2 = build()
    manager2 = tf.train.CheckpointManager(tf.train.Checkpoint(model=model2, optimizer=opt2), tmp_path, max_to_keep=2)
    assert manager2.restore_or_initialize() == str(tmp_path / "ckpt-1")
    steps(model2, opt2, 3)
    assert same([v.numpy() for v in model2.variables], [v.numpy() for v in model.variables])


def test_nested_lists_dicts_and_extra_variables(tmp_path):
    step = tf.Variable(3, dtype=tf.int64)
    things = [tf.Variable([1.0]), {"a": tf.Variable([[2.0]]), "b": [tf.Variable(3.0)]}]
    ckpt = tf.train.Checkpoint(step=step, things=things)
    path = ckpt.save(tmp_path / "c")
    for v in (step, things[0], things[1]["a"], things[1]["b"][0]):
        v.assign(tf.zeros_like(v))
    ckpt.restore(path).assert_consumed()
    assert int(step) == 3 and float(things[1]["b"][0]) == 3.0 and things[1]["a"].numpy()[0, 0] == 2.0
    ckpt.extra = tf.Variable(1.0)  # attributes set later are saved too
    assert "extra/.ATTRIBUTES/VARIABLE_VALUE" in dict(tf.train.list_variables(ckpt.save(tmp_path / "c")))


def test_a_variable_reachable_twice_is_saved_once(tmp_path):
    v = tf.Variable([1.0, 2.0])
    ckpt = tf.train.Checkpoint(a=v, b=[v])
    path = ckpt.write(tmp_path / "c")
    assert [k for k, _ in tf.train.list_variables(path) if "VARIABLE_VALUE" in k] == ["a/.ATTRIBUTES/VARIABLE_VALUE"]
    v.assign([0.0, 0.0])
    tf.train.Checkpoint(b=[v]).restore(path).assert_consumed()
    assert v.numpy().tolist() == [1.0, 2.0]  # found through b/0, the other path to the same saved node


def test_write_read_and_restore_none(tmp_path):
    v = tf.Variable([1.0])
    ckpt = tf.train.Checkpoint(v=v)
    assert ckpt.write(tmp_path / "exact") == str(tmp_path / "exact")
    assert sorted(os.listdir(tmp_path)) == ["exact.npz"]  # no counter, no checkpoint file
    v.assign([2.0])
    ckpt.read(str(tmp_path / "exact") + ".npz").assert_consumed()  # the file name works as well as the prefix
    assert v.numpy()[0] == 1.0
    status = ckpt.restore(None)
    with pytest.raises(AssertionError, match="No checkpoint specified"):
        status.assert_consumed()


def test_non_trackable_values_are_refused():
    with pytest.raises(ValueError, match="`Checkpoint` was expecting x to be a trackable object"):
        tf.train.Checkpoint(x=5)
    with pytest.raises(ValueError, match="`Checkpoint` was expecting y to be a trackable object"):
        tf.train.Checkpoint(y=tf.constant(1.0))


# ----------------------------------------------------------------------------- partial restores

def test_missing_values_are_reported_by_assert_consumed(tmp_path):
    path = tf.train.Checkpoint(a=tf.Variable(1.0)).write(tmp_path / "c")
    a, b = tf.Variable(0.0), tf.Variable(0.0, name="not_saved")
    status = tf.train.Checkpoint(a=a, b=b).restore(path)
    assert float(a) == 1.0  # what matched is restored, as in TensorFlow
    with pytest.raises(AssertionError, match=r"Found 1 Python objects that were not bound.*not_saved"):
        status.assert_consumed()
    status.expect_partial().assert_nontrivial_match()


def test_unused_values_are_reported_by_assert_consumed(tmp_path):
    path = tf.train.Checkpoint(a=tf.Variable(1.0), gone=tf.Variable(2.0)).write(tmp_path / "c")
    status = tf.train.Checkpoint(a=tf.Variable(0.0)).restore(path)
    with pytest.raises(AssertionError, match="Unresolved object in checkpoint.*gone"):
        status.assert_consumed()
    status.assert_existing_objects_matched()
    nothing = tf.train.Checkpoint(other=tf.Variable(0.0)).restore(path)
    with pytest.raises(AssertionError, match="Nothing in the checkpoint"):
        nothing.assert_nontrivial_match()


# ----------------------------------------------------------------------------- errors change nothing

def test_shape_mismatch_raises_and_restores_nothing(tmp_path):
    net, opt = Net(width=3), tf.keras.optimizers.Adam(0.01)
    train_steps(net, opt, 1)
    path = tf.train.Checkpoint(model=net, optimizer=opt).write(tmp_path / "c")
    other, other_opt = Net(seed=4, width=5), tf.keras.optimizers.Adam(0.01)
    before = values(other)
    with pytest.raises(ValueError, match=r"incompatible tensor with shape \(4, 3\) .* shape \(4, 5\) and name model/w"):
        tf.train.Checkpoint(model=other, optimizer=other_opt).restore(path)
    assert same(values(other), before)  # not even the variables whose shapes agree (extra/scale, frozen)
    assert int(other_opt.iterations) == 0 and not other_opt.built


def test_dtype_mismatch_raises_invalid_argument(tmp_path):
    path = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0])).write(tmp_path / "c")
    v64 = tf.Variable([0.0, 0.0], dtype=tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected dtype float64 does not equal original dtype"):
        tf.train.Checkpoint(v=v64).restore(path)
    assert v64.numpy().tolist() == [0.0, 0.0]


def test_missing_checkpoint_is_not_found(tmp_path):
    with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files"):
        tf.train.Checkpoint(v=tf.Variable(1.0)).restore(tmp_path / "nope-3")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "empty"])
def test_corrupt_checkpoints_raise_data_loss_and_change_nothing(tmp_path, damage):
    net = Net()
    path = tf.train.Checkpoint(model=net).write(tmp_path / "c")
    file = Path(path + ".npz")
    data = bytearray(file.read_bytes())
    if damage == "truncate":
        data = data[: len(data) * 2 // 3]
    elif damage == "garbage":
        data = bytearray(b"not a checkpoint at all" * 10)
    elif damage == "flip":  # one byte of the weights: the archive's CRC catches it
        at = data.find(net.w.numpy().tobytes()[:8])
        data[at + 3] ^= 0xFF
    else:
        data = bytearray()
    file.write_bytes(bytes(data))
    fresh = Net(seed=3)
    before = values(fresh)
    with pytest.raises(tf.errors.DataLossError, match="corrupt or truncated"):
        tf.train.Checkpoint(model=fresh).restore(path)
    assert same(values(fresh), before)


# ----------------------------------------------------------------------------- atomic writes

def test_a_failure_mid_write_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    net = Net()
    ckpt = tf.train.Checkpoint(model=net)
    manager = tf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=1)
    good = manager.save()
    good_bytes = Path(good + ".npz").read_bytes()
    state = (tmp_path / "checkpoint").read_bytes()
    real = checkpoint_module._write_npz

    def failing(f, arrays):
        real(f, arrays)
        f.seek(f.tell() // 2)
        f.truncate()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint_module, "_write_npz", failing)
    net.w.assign(tf.zeros_like(net.w))
    with pytest.raises(OSError, match="No space left"):
        manager.save()
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-1.npz"]  # no temporary file left behind
    assert Path(good + ".npz").read_bytes() == good_bytes
    assert (tmp_path / "checkpoint").read_bytes() == state
    assert manager.latest_checkpoint == good and tf.train.latest_checkpoint(tmp_path) == good
    assert int(ckpt.save_counter) == 1  # the failed save did not count
    monkeypatch.setattr(checkpoint_module, "_write_npz", real)
    fresh = Net(seed=2)
    tf.train.Checkpoint(model=fresh).restore(tf.train.latest_checkpoint(tmp_path)).assert_consumed()
    assert not np.array_equal(fresh.w.numpy(), np.zeros((4, 3), np.float32))
    assert manager.save().endswith("ckpt-2")


def test_a_process_killed_mid_write_leaves_the_previous_checkpoint_intact(tmp_path):
    """A real crash: the process dies (os._exit) halfway through writing over an existing checkpoint."""
    script = textwrap.dedent(f"""
        import os, numpy as np, tapegrad as tf
        from tapegrad.train import checkpoint as c
        v = tf.Variable(np.arange(100000, dtype=np.float32))
        ckpt = tf.train.Checkpoint(v=v)
        ckpt.write({str(tmp_path / "model")!r})
        real = c._write_npz
        def dying(f, arrays):
            real(f, arrays)
            f.seek(f.tell() // 2); f.truncate(); f.flush()
            os._exit(3)
        c._write_npz = dying
        v.assign(tf.zeros_like(v))
        ckpt.write({str(tmp_path / "model")!r})  # overwrite: dies halfway
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 3, result.stderr
    leftovers = [n for n in os.listdir(tmp_path) if n != "model.npz"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # the half-written temporary, never renamed
    v = tf.Variable(np.zeros(100000, np.float32))
    tf.train.Checkpoint(v=v).restore(tmp_path / "model").assert_consumed()
    assert np.array_equal(v.numpy(), np.arange(100000, dtype=np.float32))
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), tmp_path, max_to_keep=2)
    assert manager.checkpoints == [] and manager.latest_checkpoint is None  # the temporary is no checkpoint


# ----------------------------------------------------------------------------- CheckpointManager

def test_manager_keeps_the_newest_and_remembers_them(tmp_path):
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(step=step)
    manager = tf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=2)
    assert manager.latest_checkpoint is None and manager.checkpoints == []
    for _ in range(4):
        step.assign_add(1)
        manager.save()
    assert manager.checkpoints == [str(tmp_path / "ckpt-3"), str(tmp_path / "ckpt-4")]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-3.npz", "ckpt-4.npz"]
    state = (tmp_path / "checkpoint").read_text()
    assert state.startswith('model_checkpoint_path: "ckpt-4"\nall_model_checkpoint_paths: "ckpt-3"\n'
                            'all_model_checkpoint_paths: "ckpt-4"\nall_model_checkpoint_timestamps: ')
    again = tf.train.CheckpointManager(tf.train.Checkpoint(step=tf.Variable(0, dtype=tf.int64)), tmp_path,
                                       max_to_keep=2)
    assert again.checkpoints == manager.checkpoints and again.latest_checkpoint == str(tmp_path / "ckpt-4")
    assert manager.save(checkpoint_number=100).endswith("ckpt-100")
    assert manager.directory == str(tmp_path)


def test_manager_restore_or_initialize_and_interval(tmp_path):
    called = []
    v = tf.Variable(1.0)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), tmp_path / "new", max_to_keep=None,
                                         init_fn=lambda: called.append(True))
    assert manager.restore_or_initialize() is None and called == [True]
    step = tf.Variable(0, dtype=tf.int64)
    spaced = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), tmp_path / "spaced", max_to_keep=None,
                                        step_counter=step, checkpoint_interval=10)
    saved = []
    for n in range(25):
        step.assign(n)
        saved.append(spaced.save() is not None)
    assert [n for n, s in enumerate(saved) if s] == [0, 10, 20]
    with pytest.raises(ValueError, match="max_to_keep"):
        tf.train.CheckpointManager(tf.train.Checkpoint(v=v), tmp_path, max_to_keep=0)


def test_variables_on_another_backend_are_restored_there(tmp_path):
    xp = pytest.importorskip("array_api_strict")
    strict = type(xp.asarray(1.0))
    v = tf.Variable(xp.asarray(np.arange(6, dtype=np.float32).reshape(3, 2)))
    opt = tf.keras.optimizers.Adam(0.1)
    opt.apply_gradients([(tf.constant(xp.asarray(np.ones((3, 2), np.float32))), v)])
    path = tf.train.Checkpoint(v=v, optimizer=opt).save(tmp_path / "c")
    v2, opt2 = tf.Variable(xp.asarray(np.zeros((3, 2), np.float32))), tf.keras.optimizers.Adam(0.1)
    tf.train.Checkpoint(v=v2, optimizer=opt2).restore(path).assert_consumed()
    assert type(v2._value) is strict and all(type(s._value) is strict for s in opt2.variables[2:])
    np.testing.assert_array_equal(np.asarray(v2.numpy()), np.asarray(v.numpy()))


def test_doctests():
    assert doctest.testmod(checkpoint_module, optionflags=doctest.ELLIPSIS).failed == 0
