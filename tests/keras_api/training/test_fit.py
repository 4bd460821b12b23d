"""fit / evaluate / predict on small data, in the three execution modes."""

from __future__ import annotations

import numpy as np
import pytest

from fuseflow.keras_api import callbacks, optimizers
from tests.keras_api.training.tiny_model import TinyModel, classification_data

MODES = {"eager": {"run_eagerly": True}, "graph": {"jit_compile": False},
         "compiled": {"jit_compile": True}}


def _compiled(mode="eager", optimizer="sgd", **kwargs):
    model = TinyModel(activation="softmax")
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], **MODES[mode], **kwargs)
    return model


def _fit(mode, optimizer="sgd", **fit_kwargs):
    model = _compiled(mode, optimizers.get(optimizer) if isinstance(optimizer, str) else
                      optimizer)
    x, y = classification_data()
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False, **fit_kwargs)
    return model, history


def test_fit_reduces_loss_and_returns_history():
    model, history = _fit("eager", optimizers.SGD(0.5))
    assert history is model.history
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(isinstance(v, float) for v in history.history["loss"])


@pytest.mark.parametrize("mode,optimizer", [
    ("graph", "sgd"), ("graph", "adam"), ("graph", "rmsprop"), ("graph", "nadam"),
    ("compiled", "sgd"), ("compiled", "adam")])
def test_traced_fit_matches_eager_history(mode, optimizer):
    x, y = classification_data()
    vx, vy = classification_data(20, seed=1)
    results = {}
    for run in ("eager", mode):
        model = _compiled(run, optimizer)
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False,
                            validation_data=(vx, vy))
        results[run] = (history.history, model.get_weights())
    for key, values in results["eager"][0].items():
        np.testing.assert_allclose(results[mode][0][key], values, rtol=1e-5, atol=1e-6,
                                   err_msg=key)
    for a, b in zip(results["eager"][1], results[mode][1]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["graph", "compiled"])
def test_last_smaller_batch_does_not_retrace(mode):
    model, _ = _fit(mode)  # 50 samples in batches of 16: the last batch has 2
    functions = model.train_function.functions
    assert len(functions) == 1
    assert functions[0].experimental_get_tracing_count() == 1


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    model = _compiled("eager", optimizers.SGD(0.0))
    x, y = classification_data(20)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    per_sample = model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    assert history.history["loss"][0] == pytest.approx(per_sample["loss"], rel=1e-5)


def test_evaluate_forms_and_predict():
    model = _compiled()
    x, y = classification_data(30)
    as_list = model.evaluate(x, y, batch_size=7, verbose=0)
    as_dict = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    assert model.metrics_names == ["loss", "accuracy"]
    assert as_list == [as_dict["loss"], as_dict["accuracy"]]
    predictions = model.predict(x, batch_size=7, verbose=0)
    assert predictions.shape == (30, 3)
    logits = x @ model.get_weights()[0] + model.get_weights()[1]
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(predictions, expected, rtol=1e-5, atol=1e-6)
    accuracy = (predictions.argmax(-1) == y).mean()
    assert as_dict["accuracy"] == pytest.approx(accuracy)


def test_validation_split_and_freq():
    model = _compiled()
    x, y = classification_data(40)
    history = model.fit(x, y, epochs=4, validation_split=0.25, validation_freq=2, verbose=0)
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == 2
    assert "val_accuracy" in history.history


def test_sample_weight_and_class_weight_agree():
    x, y = classification_data(24)
    class_weight = {0: 0.5, 1: 2.0, 2: 1.0}
    weights = np.array([class_weight[c] for c in y], np.float32)
    a = _compiled("eager", optimizers.SGD(0.1))
    b = _compiled("eager", optimizers.SGD(0.1))
    ha = a.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, sample_weight=weights)
    hb = b.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, class_weight=class_weight)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    plain = _compiled("eager", optimizers.SGD(0.1))
    hp = plain.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert not np.allclose(hp.history["loss"], ha.history["loss"])


def test_dict_inputs():
    model = TinyModel(inputs=["a", "b"])
    model.compile("sgd", "mse", jit_compile=False)
    rng = np.random.default_rng(0)
    x = {"a": rng.standard_normal((12, 4)), "b": rng.standard_normal((12, 4))}
    y = rng.standard_normal((12, 3))
    history = model.fit(x, y, batch_size=5, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(x, verbose=0).shape == (12, 3)


def test_iterable_of_batches_and_generator_with_steps():
    x, y = classification_data(32)
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]
    model = _compiled("graph")
    history = model.fit(batches, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

    def forever():
        while True:
            yield from batches

    model = _compiled("graph")
    history = model.fit(forever(), steps_per_epoch=3, epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 6
    assert model.evaluate(batches, verbose=0, return_dict=True)["loss"] > 0


def test_generator_running_out_stops_training_with_a_warning():
    x, y = classification_data(16)
    model = _compiled()
    generator = ((x[i:i + 8], y[i:i + 8]) for i in range(0, 16, 8))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(generator, steps_per_epoch=3, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


class _Dataset:
    """A stand-in with a Dataset's iteration and `cardinality()`."""

    def __init__(self, batches, infinite=False):
        self.batches, self.infinite = batches, infinite

    def __iter__(self):
        while True:
            yield from self.batches
            if not self.infinite:
                return

    def cardinality(self):
        return -1 if self.infinite else len(self.batches)


def test_dataset_like_input():
    x, y = classification_data(24)
    data = _Dataset([(x[i:i + 8], y[i:i + 8]) for i in range(0, 24, 8)])
    model = _compiled("compiled")
    model.fit(data, epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 6
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(_Dataset(data.batches, infinite=True), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`y` argument is not supported"):
        model.fit(data, y, verbose=0)


def test_single_batch_methods():
    model = _compiled("graph")
    x, y = classification_data(10)
    loss, acc = model.train_on_batch(x, y)
    assert loss > 0 and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (10, 3)
    assert model.train_on_batch(x[:3], y[:3], return_dict=True)["loss"] > 0
    assert model.train_function.functions[0].experimental_get_tracing_count() == 1


def test_training_flag_reaches_the_model():
    model = _compiled()
    x, y = classification_data(8)
    model.fit(x, y, epochs=1, verbose=0)
    model.predict(x, verbose=0)
    assert model.calls == [True, False]


def test_custom_train_step_is_used():
    class Custom(TinyModel):
        def train_step(self, data):
            logs = super().train_step(data)
            return {**logs, "custom": logs["loss"] * 0.0 + 7.0}

    model = Custom()
    model.compile("sgd", "sparse_categorical_crossentropy", jit_compile=False)
    x, y = classification_data(8)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert history.history["custom"] == [7.0]


def test_stop_training_from_a_callback():
    class Stop(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model = _compiled()
    x, y = classification_data(64)
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[Stop()])
    assert len(history.history["loss"]) == 1
    assert int(model.optimizer.iterations.numpy()) == 2


def test_initial_epoch():
    model = _compiled()
    x, y = classification_data(8)
    history = model.fit(x, y, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2]


def test_multiple_outputs_with_named_losses_and_weights():
    class TwoHeads(TinyModel):
        output_names = ["first", "second"]

        def __call__(self, x, training=None):
            out = super().__call__(x, training)
            return [out, out * 2.0]

    model = TwoHeads()
    model.compile("sgd", loss={"first": "mse", "second": "mae"},
                  loss_weights={"first": 1.0, "second": 0.5}, metrics=["mae"], run_eagerly=True)
    rng = np.random.default_rng(0)
    x, y1, y2 = (rng.standard_normal((8, n)).astype(np.float32) for n in (4, 3, 3))
    logs = model.evaluate(x, {"first": y1, "second": y2}, verbose=0, return_dict=True)
    pred = x @ model.get_weights()[0]
    mse, mae = ((pred - y1) ** 2).mean(), np.abs(2 * pred - y2).mean()
    assert logs["first_loss"] == pytest.approx(mse, rel=1e-5)
    assert logs["second_loss"] == pytest.approx(mae, rel=1e-5)
    assert logs["loss"] == pytest.approx(mse + 0.5 * mae, rel=1e-5)
    assert logs["first_mae"] == pytest.approx(np.abs(pred - y1).mean(), rel=1e-5)
    assert "second_mae" in logs


def test_python_lists_and_tensors_as_data():
    import fuseflow as ff

    x, y = classification_data(12)
    model = _compiled()
    from_lists = model.evaluate(x.tolist(), y.tolist(), verbose=0)
    from_tensors = model.evaluate(ff.constant(x), ff.constant(y), verbose=0)
    from_float64 = model.evaluate(x.astype(np.float64), y, verbose=0)
    assert from_lists == from_tensors == from_float64
    model.fit(ff.constant(x), ff.constant(y), epochs=1, verbose=0, validation_split=0.5)


def test_cardinality_errors_name_the_sizes():
    x, y = classification_data(12)
    with pytest.raises(ValueError, match=r"x sizes: 12\n  y sizes: 11"):
        _compiled().fit(x, y[:11], verbose=0)


@pytest.mark.parametrize("mode", ["graph", "compiled"])
def test_steps_per_execution_runs_several_steps_per_call(mode):
    x, y = classification_data(64)
    ends = []

    class Ends(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            ends.append(batch)

    histories = []
    for steps in (1, 3):
        model = _compiled(mode, steps_per_execution=steps)
        ends.clear()
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False,
                            callbacks=[Ends()])
        histories.append(history.history)
        assert int(model.optimizer.iterations.numpy()) == 16
    assert ends == [2, 5, 6, 7] * 2
    np.testing.assert_allclose(histories[1]["loss"], histories[0]["loss"], rtol=1e-5)
    assert model._multi_train_function.functions[0].experimental_get_tracing_count() == 1
