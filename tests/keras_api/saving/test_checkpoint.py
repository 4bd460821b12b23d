"""`fuseflow.train`: Checkpoint save/restore/write/read, CheckpointManager, latest_checkpoint."""

from __future__ import annotations

import os

import numpy as np
import pytest

import fuseflow as ff
from fuseflow import keras_api as keras
from fuseflow import train
from fuseflow.keras_api import backend
from fuseflow.keras_api.saving import CorruptFileError
from tests.keras_api.saving.models import BUILDERS, data, same_weights


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


def _step(model, optimizer, x, y) -> float:
    with ff.GradientTape() as tape:
        loss = ff.reduce_mean((model(x) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return float(loss.numpy())


def _setup(kind="sequential"):
    model = BUILDERS[kind]()
    optimizer = keras.optimizers.Adam(0.05)
    step = ff.Variable(np.int64(0), trainable=False, name="step")
    return model, optimizer, step


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_checkpoint_restore_resumes_a_custom_loop_exactly(tmp_path, kind):
    model, optimizer, step = _setup(kind)
    x, y = data()
    for _ in range(2):
        _step(model, optimizer, x, y)
        step.assign_add(1)
    path = train.Checkpoint(model=model, optimizer=optimizer, step=step).save(tmp_path / "ckpt")
    assert path == str(tmp_path / "ckpt-1")
    assert train.latest_checkpoint(str(tmp_path)) == path

    new_model, new_optimizer, new_step = _setup(kind)
    status = train.Checkpoint(model=new_model, optimizer=new_optimizer, step=new_step) \
        .restore(train.latest_checkpoint(str(tmp_path)))
    status.assert_consumed()
    assert int(new_step.numpy()) == 2 and int(new_optimizer.iterations.numpy()) == 2
    assert same_weights(model, new_model)
    assert _step(new_model, new_optimizer, x, y) == _step(model, optimizer, x, y)
    assert same_weights(model, new_model)


def test_write_and_read_use_the_exact_prefix(tmp_path):
    model, _, step = _setup()
    step.assign(7)
    path = train.Checkpoint(model=model, step=step).write(str(tmp_path / "exact"))
    assert path == str(tmp_path / "exact")
    assert not os.path.exists(tmp_path / "checkpoint")  # write does not touch the state file
    other, _, other_step = _setup()
    train.Checkpoint(model=other, step=other_step).read(path).assert_consumed()
    assert int(other_step.numpy()) == 7 and same_weights(model, other)


def test_restore_none_is_a_fresh_start_and_partial_is_reported(tmp_path):
    model, _, step = _setup()
    train.Checkpoint(model=model).restore(None)
    path = train.Checkpoint(model=model, step=step).write(str(tmp_path / "c"))
    status = train.Checkpoint(model=model).restore(path)
    with pytest.raises(AssertionError, match="step"):
        status.assert_consumed()
    status.expect_partial()


def test_restore_with_mismatched_shapes_names_layer_and_shapes(tmp_path):
    model, _, _ = _setup()
    path = train.Checkpoint(model=model).write(str(tmp_path / "c"))
    other = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(6, name="odd"),
                              keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"'odd'.*\(3, 6\).*\(3, 5\)"):
        train.Checkpoint(model=other).restore(path)


def test_restore_into_unbuilt_subclassed_model_is_a_clear_error(tmp_path):
    model = BUILDERS["subclassed"]()
    path = train.Checkpoint(model=model).write(str(tmp_path / "c"))
    from tests.keras_api.saving.models import Net

    with pytest.raises(ValueError, match="has not created its variables yet"):
        train.Checkpoint(model=Net()).restore(path)


def test_checkpoint_manager_keeps_max_to_keep(tmp_path):
    model, optimizer, _ = _setup()
    ckpt = train.Checkpoint(model=model, optimizer=optimizer)
    manager = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert manager.latest_checkpoint is None
    paths = [manager.save() for _ in range(4)]
    assert paths == [str(tmp_path / f"ckpt-{i}") for i in range(1, 5)]
    assert manager.checkpoints == paths[2:]
    assert manager.latest_checkpoint == paths[-1] == train.latest_checkpoint(str(tmp_path))
    names = sorted(os.listdir(tmp_path))
    assert names == ["checkpoint", "ckpt-3.data-00000-of-00001", "ckpt-3.index",
                     "ckpt-4.data-00000-of-00001", "ckpt-4.index"]
    again = train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert again.checkpoints == paths[2:]
    assert again.save(checkpoint_number=10) == str(tmp_path / "ckpt-10")
    assert again.checkpoints == [paths[3], str(tmp_path / "ckpt-10")]


def test_manager_restore_or_initialize(tmp_path):
    model, optimizer, step = _setup()
    calls = []
    ckpt = train.Checkpoint(model=model, step=step)
    manager = train.CheckpointManager(ckpt, str(tmp_path), 3, init_fn=lambda: calls.append(1))
    assert manager.restore_or_initialize() is None and calls == [1]
    step.assign(5)
    manager.save()
    step.assign(0)
    assert manager.restore_or_initialize() == str(tmp_path / "ckpt-1")
    assert int(step.numpy()) == 5


def test_corrupt_checkpoint_names_the_file(tmp_path):
    model, _, _ = _setup()
    path = train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    data_file = f"{path}.data-00000-of-00001"
    raw = bytearray(open(data_file, "rb").read())
    raw[-5] ^= 0xFF
    open(data_file, "wb").write(bytes(raw))
    with pytest.raises(CorruptFileError, match=r"ckpt-1\.data.*CRC32"):
        train.Checkpoint(model=model).restore(path)


def test_checkpoint_rejects_unsupported_objects():
    with pytest.raises(ValueError, match="`thing` must be"):
        train.Checkpoint(thing=3)
