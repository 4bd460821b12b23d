"""`model.summary()` against tables checked by hand (tf.keras 2 layout: 65 columns split at
29/55 for plain stacks, 98 columns split at 29/58/68 with `Connected to` otherwise)."""

from __future__ import annotations

import pytest

from fuseflow import keras_api as keras
from fuseflow.keras_api import backend
from fuseflow.keras_api import layers as L


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


def _lines(model, **kwargs) -> list[str]:
    lines: list[str] = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def _row(*cells, widths=(29, 26, 10)) -> str:
    return "".join(c.ljust(w) for c, w in zip(cells, widths))


BLANK = " " * 65


def test_frozen_second_dense_counts_as_non_trainable():
    model = keras.Sequential([L.Dense(32, activation="relu", input_dim=784),
                              L.Dense(32, activation="relu")])
    model.layers[1].trainable = False
    assert _lines(model) == [
        'Model: "sequential"',
        "_" * 65,
        _row(" Layer (type)", "Output Shape", "Param #"),
        "=" * 65,
        _row(" dense (Dense)", "(None, 32)", "25120"),  # 784 * 32 + 32
        BLANK,
        _row(" dense_1 (Dense)", "(None, 32)", "1056"),  # 32 * 32 + 32
        BLANK,
        "=" * 65,
        "Total params: 26,176",
        "Trainable params: 25,120",
        "Non-trainable params: 1,056",
        "_" * 65,
    ]


def test_small_cnn_with_batch_norm_moving_statistics():
    model = keras.Sequential([
        L.Conv2D(8, 3, input_shape=(28, 28, 1), name="conv"),  # 3*3*1*8 + 8 = 80
        L.BatchNormalization(name="bn"),  # gamma, beta trainable (16); moving stats not (16)
        L.MaxPooling2D(name="pool"),
        L.Flatten(name="flat"),  # 13 * 13 * 8 = 1352
        L.Dense(10, name="out"),  # 1352 * 10 + 10 = 13530
    ], name="cnn")
    assert _lines(model)[4:14] == [
        _row(" conv (Conv2D)", "(None, 26, 26, 8)", "80"), BLANK,
        _row(" bn (BatchNormalization)", "(None, 26, 26, 8)", "32"), BLANK,
        _row(" pool (MaxPooling2D)", "(None, 13, 13, 8)", "0"), BLANK,
        _row(" flat (Flatten)", "(None, 1352)", "0"), BLANK,
        _row(" out (Dense)", "(None, 10)", "13530"), BLANK,
    ]
    assert _lines(model)[-4:-1] == ["Total params: 13,642", "Trainable params: 13,626",
                                    "Non-trainable params: 16"]


def test_functional_model_with_two_inputs_shows_connections():
    a = keras.Input((4,), name="a")
    b = keras.Input((2,), name="b")
    joined = L.Concatenate(name="cat")([a, b])
    model = keras.Model([a, b], L.Dense(3, name="out")(joined), name="fn")
    widths = (29, 29, 10, 30)
    blank = " " * 98
    assert _lines(model) == [
        'Model: "fn"',
        "_" * 98,
        _row(" Layer (type)", "Output Shape", "Param #", "Connected to", widths=widths),
        "=" * 98,
        _row(" a (InputLayer)", "[(None, 4)]", "0", "[]", widths=widths), blank,
        _row(" b (InputLayer)", "[(None, 2)]", "0", "[]", widths=widths), blank,
        # the connection list wraps after each "'," as tf.keras prints it
        _row(" cat (Concatenate)", "(None, 6)", "0", "['a[0][0]',", widths=widths),
        _row("", "", "", " 'b[0][0]']", widths=widths), blank,
        _row(" out (Dense)", "(None, 3)", "21", "['cat[0][0]']", widths=widths), blank,
        "=" * 98,
        "Total params: 21",
        "Trainable params: 21",
        "Non-trainable params: 0",
        "_" * 98,
    ]


def test_shared_layer_lists_each_call_with_its_node_index():
    x = keras.Input((3,), name="x")
    shared = L.Dense(3, name="shared")
    model = keras.Model(x, shared(shared(x)))
    rows = [line for line in _lines(model) if line.startswith(" shared")]
    assert rows == [_row(" shared (Dense)", "(None, 3)", "12", "['x[0][0]',",
                         widths=(29, 29, 10, 30))]
    assert any(line.strip() == "'shared[0][0]']" for line in _lines(model))


def test_subclassed_model_shows_multiple_and_line_length_is_honoured():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(4)
            self.out = L.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    net = Net()
    with pytest.raises(ValueError, match="not yet been built"):
        net.summary()
    net.build((None, 2))
    lines = _lines(net, line_length=50)
    assert lines[0] == 'Model: "net"' and lines[1] == "_" * 50
    assert lines[4] == "".join(c.ljust(w) for c, w in zip(
        (" dense (Dense)", "multiple", "12"), (22, 20, 8)))


def test_expand_nested_draws_the_inner_model():
    inner = keras.Sequential([L.Dense(2, input_dim=2, name="inner_dense")], name="inner")
    outer = keras.Sequential([inner, L.Dense(1, name="head")], name="outer")
    lines = _lines(outer, expand_nested=True)
    assert lines[4].startswith(" inner (Sequential)")
    assert lines[5] == "|" + "¯" * 63 + "|"
    assert lines[6].startswith("| inner_dense (Dense)") and lines[6].endswith("|")
    assert lines[7] == "¯" * 65
