"""`tapegrad train digits`: the MLP on scikit-learn's 8x8 digits reaches its accuracy, the command's options work,
and a run interrupted and resumed from its checkpoint reaches the same weights as an uninterrupted one."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tapegrad import cli
from tapegrad.train import digits

ROOT = Path(__file__).resolve().parent.parent


def tapegrad_cmd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tapegrad", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, stdin=subprocess.DEVNULL)


def checkpoint_arrays(directory: Path, name: str) -> dict[str, np.ndarray]:
    with np.load(directory / f"{name}.npz") as archive:
        return {k: archive[k] for k in archive.files if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def test_a_short_run_learns_the_digits():
    out = io.StringIO()
    result = digits.train_digits(epochs=5, progress=False, out=out)
    assert result.test_accuracy >= 0.96
    assert len(result.history["loss"]) == 5 and result.history["loss"][-1] < result.history["loss"][0] / 5
    assert result.history["accuracy"][-1] > 0.97
    text = out.getvalue()
    assert text.startswith("Training an MLP 64-256-10 on 1437 digits (360 held out): Adam, lr 0.003 (cosine), batch 32")
    assert "epoch 5/5: loss " in text and "Test accuracy: " in text


def test_the_data_is_standardized_and_split_the_same_way_every_time():
    x_train, y_train, x_test, y_test = digits.load_data()
    assert x_train.shape == (1437, 64) and x_test.shape == (360, 64)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_allclose(x_train.mean(axis=0), 0.0, atol=1e-5)
    assert np.array_equal(np.bincount(y_test), np.bincount(digits.load_data()[3]))
    assert sorted(set(y_test.tolist())) == list(range(10))


def test_the_command_trains_checkpoints_and_plots(tmp_path):
    plot = tmp_path / "curves.png"
    result = tapegrad_cmd("train", "digits", "--epochs", "3", "--batch-size", "64", "--optimizer", "sgd",
                          "--lr", "0.05", "--seed", "2", "--checkpoint-dir", str(tmp_path / "ckpt"), "--plot",
                          str(plot), "--progress")
    assert result.returncode == 0, result.stderr
    assert "SGD, lr 0.05 (cosine), batch 64, 3 epochs, seed 2" in result.stdout
    assert f"Loss and accuracy curves: {plot}" in result.stdout
    assert f"Latest checkpoint: {tmp_path / 'ckpt' / 'ckpt-3'}" in result.stdout
    assert float(result.stdout.split("Test accuracy: ")[1].split("%")[0]) > 90
    assert "epoch 3/3" in result.stderr and "loss=" in result.stderr and "accuracy=" in result.stderr  # tqdm bar
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == [
        "checkpoint", "ckpt-1.npz", "ckpt-2.npz", "ckpt-3.npz", "digits_run.json"]


def test_resume_reaches_the_same_weights_as_an_uninterrupted_run(tmp_path, monkeypatch, capsys):
    options = ["train", "digits", "--epochs", "4", "--no-plot", "--no-progress", "--optimizer", "adam"]
    assert cli.main(options + ["--checkpoint-dir", str(tmp_path / "whole")]) == 0

    from tapegrad.train import checkpoint

    real_save = checkpoint.CheckpointManager.save
    saves = []

    def save_then_interrupt(self, *args, **kwargs):
        path = real_save(self, *args, **kwargs)
        saves.append(path)
        if len(saves) == 2:
            raise KeyboardInterrupt  # Ctrl-C right after the checkpoint of epoch 2
        return path

    monkeypatch.setattr(checkpoint.CheckpointManager, "save", save_then_interrupt)
    assert cli.main(options + ["--checkpoint-dir", str(tmp_path / "split")]) == 130
    assert "interrupted; continue with --resume" in capsys.readouterr().err
    monkeypatch.setattr(checkpoint.CheckpointManager, "save", real_save)
    assert cli.main(options + ["--checkpoint-dir", str(tmp_path / "split"), "--resume"]) == 0
    out = capsys.readouterr().out
    assert "Resumed from" in out and "(after epoch 2)" in out and "epoch 1/4" not in out and "epoch 3/4" in out
    whole = checkpoint_arrays(tmp_path / "whole", "ckpt-4")
    split = checkpoint_arrays(tmp_path / "split", "ckpt-4")
    assert whole.keys() == split.keys() and len(whole) > 10  # weights, slots, step counts, epoch, history
    for key in whole:
        assert np.array_equal(whole[key], split[key]), key


def test_resume_with_other_options_is_refused(tmp_path, capsys):
    base = ["train", "digits", "--epochs", "1", "--no-plot", "--no-progress", "--checkpoint-dir", str(tmp_path)]
    assert cli.main(base) == 0
    assert cli.main(base + ["--resume", "--lr", "0.01"]) == 1
    err = capsys.readouterr().err
    assert "other options (lr=0.003, not 0.01)" in err and "Resume with the same options" in err
    assert cli.main(base + ["--resume"]) == 0  # already done: evaluates and reports
    assert "Test accuracy" in capsys.readouterr().out


def test_resume_needs_a_checkpoint_dir():
    result = tapegrad_cmd("train", "digits", "--resume")
    assert result.returncode == 2
    assert "--resume needs --checkpoint-dir" in result.stderr


def test_missing_extras_name_the_pip_command(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tqdm" else real(name, *a))
    with pytest.raises(digits.MissingExtraError, match=r"needs tqdm, which is not installed.*'tapegrad\[train\]'"):
        digits.train_digits(epochs=1)
    assert cli.main(["train", "digits", "--epochs", "1", "--no-plot"]) == 1
    assert "pip install 'tapegrad[train]'" in capsys.readouterr().err


def test_bad_options_are_clear_errors(capsys):
    with pytest.raises(ValueError, match="Unknown optimizer 'lbfgs'"):
        digits.train_digits(optimizer="lbfgs")
    with pytest.raises(ValueError, match="must be positive"):
        digits.train_digits(epochs=0)
    assert tapegrad_cmd("train", "digits", "--hidden", "12,x").returncode == 2
    assert tapegrad_cmd("train").returncode == 2  # a task is required
