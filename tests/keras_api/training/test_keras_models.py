"""Training real Keras models (Sequential, functional, subclassed) through `Trainer`."""

from __future__ import annotations

import numpy as np
import pytest

import fuseflow as tf
from fuseflow.keras_api import layers, models
from fuseflow.keras_api.utils import set_random_seed

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 6)).astype(np.float32)
Y = (X[:, :3].sum(-1) > 0).astype(np.int64) + (X[:, 3] > 0)


def _sequential():
    set_random_seed(0)
    return models.Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                              layers.BatchNormalization(), layers.Dense(3, activation="softmax")])


@pytest.mark.parametrize("mode", [{"jit_compile": False}, {"jit_compile": True}])
def test_sequential_with_batchnorm_fits_alike_in_every_mode(mode):
    histories, weights = [], []
    for kwargs in ({"run_eagerly": True}, mode):
        model = _sequential()
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"], **kwargs)
        histories.append(model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                                   validation_split=0.2).history)
        weights.append(model.get_weights())  # includes the moving statistics
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-5, err_msg=key)
    for a, b in zip(*weights):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert not np.allclose(weights[0][-3], 0.0)  # the moving mean was updated by training


def test_functional_two_inputs_two_outputs():
    set_random_seed(0)
    a, b = layers.Input(shape=(3,), name="a"), layers.Input(shape=(3,), name="b")
    joined = layers.Concatenate()([a, b])
    out_class = layers.Dense(3, activation="softmax", name="cls")(joined)
    out_reg = layers.Dense(1, name="reg")(joined)
    model = models.Model({"a": a, "b": b}, [out_class, out_reg])
    model.compile("adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  metrics={"cls": ["accuracy"]}, jit_compile=False)
    data = {"a": X[:, :3], "b": X[:, 3:]}
    history = model.fit(data, {"cls": Y, "reg": X[:, :1]}, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy"}
    np.testing.assert_allclose(history.history["loss"][-1],
                               history.history["cls_loss"][-1] + history.history["reg_loss"][-1],
                               rtol=1e-5)
    predictions = model.predict(data, verbose=0)
    assert predictions[0].shape == (40, 3) and predictions[1].shape == (40, 1)


def test_subclassed_model_with_custom_train_step():
    class Net(models.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(3)
            self.tracker = tf.keras.metrics.Mean(name="loss")

        def call(self, x, training=None):
            return self.out(self.hidden(x))

        @property
        def metrics(self):
            return [self.tracker]

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                logits = self(x, training=True)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=y, logits=logits))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.tracker.update_state(loss)
            return {"loss": self.tracker.result()}

    set_random_seed(0)
    model = Net()
    model.compile(optimizer=tf.keras.optimizers.SGD(0.5), jit_compile=False)
    history = model.fit(X, Y.astype(np.int32), batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
