"""`fuseflow demo`: train one Keras model on the bundled digits eagerly, as a graph and compiled.

The three runs start from the same weights and see the batches in the same order, so their
test accuracies agree; the timing table shows what tracing and compiling buy.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

MODES = (("eager", {"run_eagerly": True}), ("graph", {"jit_compile": False}), ("compiled", {}))


def add_parser(commands) -> None:
    """Register `demo` on the CLI's subcommands."""
    parser = commands.add_parser(
        "demo", help="train on the bundled digits eagerly, as a graph and compiled",
        description="Train a Keras model on the bundled 8x8 digits with model.fit three ways "
                    "(run_eagerly=True, jit_compile=False, compiled) and compare them.")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training data")
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp", help="which model")
    parser.add_argument("--batch-size", type=int, default=32, help="examples per step")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only this many training images (for quick runs)")
    parser.set_defaults(run=lambda args: 0 if run(args.epochs, args.model, args.batch_size,
                                                  args.limit)["agree"] else 1)


def load_digits(model: str, limit: int | None = None):
    """The digits scaled to [0, 1]: flat for the MLP, 8x8x1 images for the CNN."""
    from fuseflow.keras_api.datasets import digits

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    shape = (-1, 64) if model == "mlp" else (-1, 8, 8, 1)
    scale = np.float32(1.0 / 16.0)  # pixel values are 0..16
    x_train = x_train.reshape(shape).astype(np.float32) * scale
    x_test = x_test.reshape(shape).astype(np.float32) * scale
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    return (x_train, y_train.astype(np.int32)), (x_test, y_test.astype(np.int32))


def build_model(kind: str):
    """The demo's MLP (64-64-10) or small CNN, compiled with Adam and accuracy."""
    import fuseflow as tf

    layers = tf.keras.layers
    if kind == "mlp":
        stack = [layers.Input((64,)), layers.Dense(64, activation="relu"), layers.Dense(10)]
    else:
        stack = [layers.Input((8, 8, 1)), layers.Conv2D(16, 3, activation="relu"),
                 layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10)]
    return tf.keras.Sequential(stack, name=f"digits_{kind}")


def _train(kind: str, options: dict, data, epochs: int, batch_size: int, verbose: int) -> dict:
    import fuseflow as tf
    from fuseflow.profiler import Profile

    (x_train, y_train), (x_test, y_test) = data
    tf.keras.utils.set_random_seed(0)
    model = build_model(kind)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], **options)
    profile = Profile(print_fn=None)
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=verbose,
              callbacks=[profile])
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {"model": model, "seconds": seconds, "accuracy": float(accuracy),
            "steps": profile.steps, "profile": dict(profile.seconds)}


def run(epochs: int = 10, model: str = "mlp", batch_size: int = 32, limit: int | None = None,
        print_fn: Callable[[str], None] = print, verbose: int = 1) -> dict:
    """Train in the three modes; print accuracies, timings and fused kernels; return results."""
    data = load_digits(model, limit)
    (x_train, _), (x_test, _) = data
    print_fn(f"digits: {len(x_train)} train / {len(x_test)} test images, 8x8, 10 classes; "
             f"model {model}, {epochs} epochs, batch {batch_size}")
    results = {}
    for mode, options in MODES:
        print_fn(f"\n== {mode} ({', '.join(f'{k}={v}' for k, v in options.items()) or 'default'})")
        results[mode] = _train(model, options, data, epochs, batch_size, verbose)
        print_fn(f"test accuracy ({mode}): {results[mode]['accuracy']:.4f}")
    accuracies = [r["accuracy"] for r in results.values()]
    agree = max(accuracies) - min(accuracies) <= 2.0 / len(x_test) + 1e-9
    print_fn("\n" + _accuracy_line(results, agree))
    print_fn("\n" + timing_table(results))
    batch = (x_train[:batch_size], data[0][1][:batch_size])
    print_fn("\n" + kernel_table(results["compiled"]["model"], *batch))
    return {"agree": agree, "test_accuracy": {m: r["accuracy"] for m, r in results.items()},
            "seconds": {m: r["seconds"] for m, r in results.items()}}


def _accuracy_line(results: dict, agree: bool) -> str:
    parts = ", ".join(f"{m} {r['accuracy']:.4f}" for m, r in results.items())
    return f"final test accuracy: {parts} -> {'agree' if agree else 'DISAGREE'}"


def timing_table(results: dict) -> str:
    """Per mode: fit seconds, setup (trace + compile), µs per step after setup, data and
    callback time (from the Profile callback), and the steady-state speedup over eager."""
    per_step = {m: (r["profile"]["step"] - r["profile"]["setup"]) / max(r["steps"], 1) * 1e6
                for m, r in results.items()}
    lines = ["mode       fit s   setup s   µs/step   data s   callbacks s   vs eager",
             "-" * 69]
    for mode, r in results.items():
        p = r["profile"]
        lines.append(f"{mode:<10} {r['seconds']:5.2f}   {p['setup']:7.2f}   "
                     f"{per_step[mode]:7,.0f}   {p['data']:6.2f}   {p['callbacks']:11.2f}   "
                     f"{per_step['eager'] / max(per_step[mode], 1e-9):7.2f}x")
    return "\n".join(lines)


def kernel_table(model, *batch) -> str:
    """The compiled train step's fused kernels (from the compiler's report)."""
    from fuseflow.cli.kernels import describe_kernels

    functions = getattr(model.train_function, "functions", [])
    if not functions:
        return "fused kernels: (the train step was not compiled)"
    return describe_kernels(functions[0], *batch)

