"""The progress bar's text: tf.keras 2 format, ETA, verbose=2, and the trace/compile note."""

from __future__ import annotations

import io
import re

import numpy as np

from fuseflow.keras_api import callbacks
from fuseflow.keras_api.training import progbar as progbar_mod
from fuseflow.keras_api.training.progbar import Progbar
from tests.keras_api.training.tiny_model import TinyModel, classification_data

VALUES = [("loss", 0.2416), ("accuracy", 0.9302)]


def _bar(target=469, verbose=1, stateful=True):
    bar = Progbar(target, verbose=verbose, stream=io.StringIO(),
                  stateful_metrics=[n for n, _ in VALUES] if stateful else None)
    bar._start = 0.0
    return bar


def test_final_line_matches_tf_keras():
    bar = _bar()
    bar._accumulate(469, VALUES)
    assert bar.line(469, finalize=True, now=1.5) == (
        "469/469 [==============================] - 2s 3ms/step - loss: 0.2416 - "
        "accuracy: 0.9302")


def test_running_line_shows_eta_and_arrow():
    bar = _bar()
    bar._accumulate(12, VALUES)
    assert bar.line(12, finalize=False, now=0.12) == (
        " 12/469 [..............................] - ETA: 4s - loss: 0.2416 - accuracy: 0.9302")
    bar._accumulate(235, VALUES)
    assert bar.line(235, finalize=False, now=2.35).startswith(
        "235/469 [==============>...............] - ETA: 2s")


def test_verbose_2_epoch_line():
    bar = _bar(verbose=2)
    bar._accumulate(469, VALUES)
    assert bar.line(469, finalize=True, now=1.5) == (
        "469/469 - 2s - loss: 0.2416 - accuracy: 0.9302 - 2s/epoch - 3ms/step")


def test_trace_and_compile_time_are_shown_and_excluded_from_step_time():
    bar = _bar()
    bar.excluded_seconds = 0.35
    bar.setup_note = "(trace 0.04s, compile 0.31s)"
    bar._accumulate(469, VALUES)
    assert bar.line(469, finalize=True, now=1.35 + 0.35) == (
        "469/469 [==============================] - 2s 3ms/step (trace 0.04s, compile 0.31s) "
        "- loss: 0.2416 - accuracy: 0.9302")


def test_durations_and_small_values():
    assert progbar_mod.format_duration(2.0, "step") == " 2s/step"
    assert progbar_mod.format_duration(0.0032, "step") == " 3ms/step"
    assert progbar_mod.format_duration(0.00005, "step") == " 50us/step"
    assert progbar_mod.format_eta(3725) == "1:02:05"
    assert progbar_mod.format_eta(75) == "1:15"
    bar = _bar(target=None)
    bar._accumulate(7, [("loss", 0.0001)])
    assert bar.line(7, finalize=True, now=0.7) == (
        "      7/Unknown - 1s 100ms/step - loss: 1.0000e-04")


def test_non_stateful_values_are_averaged_over_steps():
    bar = _bar(target=4, stateful=False)
    bar._accumulate(2, [("loss", 1.0)])
    bar._accumulate(4, [("loss", 3.0)])
    assert bar.line(4, finalize=True, now=1.0).endswith("loss: 2.0000")


def test_update_writes_only_the_final_line_when_not_a_terminal():
    bar = _bar(target=3)
    for step in (1, 2, 3):
        bar.update(step, VALUES)
    text = bar.stream.getvalue()
    assert text.count("\n") == 1 and text.startswith("3/3 [====")


def test_fit_prints_epochs_bars_and_setup_note(capsys):
    model = TinyModel(activation="softmax")
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=False)
    x, y = classification_data(40)
    model.fit(x, y, batch_size=16, epochs=2, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    first = r"3/3 \[=+\] - \d+s \d+(us|ms)/step \(trace \d\.\d\ds, compile \d\.\d\ds\) - "
    assert re.fullmatch(first + r"loss: \d\.\d{4} - accuracy: \d\.\d{4}", lines[1]), lines[1]
    assert re.fullmatch(r"3/3 \[=+\] - \d+s \d+(us|ms)/step - loss: \d\.\d{4} - accuracy: "
                        r"\d\.\d{4}", lines[3]), lines[3]
    model.fit(x, y, batch_size=16, epochs=1, verbose=2)
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(r"3/3 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - \d+m?s/epoch - "
                        r"\d+(us|ms)/step", line), line


def test_evaluate_and_predict_bars(capsys):
    model = TinyModel()
    model.compile("sgd", "mse", run_eagerly=True)
    x = np.zeros((10, 4), np.float32)
    model.evaluate(x, np.zeros((10, 3)), batch_size=5)
    model.predict(x, batch_size=5)
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"2/2 \[=+\] - \d+s \d+(us|ms)/step - loss: 0\.0000e\+00", lines[0])
    assert re.fullmatch(r"2/2 \[=+\] - \d+s \d+(us|ms)/step", lines[1])


def test_unknown_step_count_is_learned_after_the_first_epoch(capsys):
    model = TinyModel()
    model.compile("sgd", "mse", run_eagerly=True)
    x, y = np.zeros((6, 4), np.float32), np.zeros((6, 3), np.float32)

    class Batches:
        def __iter__(self):
            return iter([(x[:3], y[:3]), (x[3:], y[3:])])

    seen_steps = []

    class Steps(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen_steps.append(self.params["steps"])

    model.fit(Batches(), epochs=2, verbose=1, callbacks=[Steps()])
    lines = capsys.readouterr().out.strip().splitlines()
    assert seen_steps == [None, 2]
    # as in Keras, the bar takes the count it learned as its target when the epoch ends
    assert lines[1].startswith("2/2 [==============================] - ")
    assert lines[3].startswith("2/2 [==============================] - ")


def test_terminal_redraws_in_place_with_eta():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    bar = Progbar(3, stream=Terminal(), interval=0.0, stateful_metrics=["loss"])
    for step in (1, 2, 3):
        bar.update(step, [("loss", 0.5)])
    frames = bar.stream.getvalue().split("\r")[1:]
    assert len(frames) == 3
    assert frames[0].startswith("1/3 [=========>....................] - ETA: ")
    assert frames[-1].startswith("3/3 [==============================] - ")
    assert frames[-1].endswith("loss: 0.5000\n")
