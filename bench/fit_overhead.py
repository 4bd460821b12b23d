"""What the Keras loop adds: `fit` per-step time vs the bare compiled W1 step, in one run.

W1 (shared/BENCH.md): MLP 784-256-256-10, ReLU, batch 128, softmax cross-entropy on int labels,
plain SGD (lr 0.01). The bare step is one `fuseflow.function` (forward, loss, tape gradients,
`assign_sub` updates) called on ready tensors; `fit` adds batching, shuffling, callbacks, the
loss tracker and logs. Target: fit / bare <= 1.15.

    OPENBLAS_NUM_THREADS=2 PYTHONPATH=. python bench/fit_overhead.py [--steps 200] [--blocks 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import fuseflow as ff
from fuseflow.keras_api import losses, optimizers
from fuseflow.keras_api.training.trainer import Trainer

SIZES = (784, 256, 256, 10)
BATCH = 128
LR = 0.01


def _params(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32),
                   np.zeros(fan_out, np.float32)]
    return params


def _forward(x, variables):
    for i in range(0, len(variables), 2):
        x = ff.matmul(x, variables[i]) + variables[i + 1]
        if i + 2 < len(variables):
            x = ff.nn.relu(x)
    return x


class MLP(Trainer):
    """The W1 network as a minimal Trainer model (so the bench runs without the layers)."""

    def __init__(self):
        self.vars = [ff.Variable(p) for p in _params()]
        self.losses, self.stop_training, self.name, self.built = [], False, "w1", True

    def __call__(self, x, training=None):
        return _forward(x, self.vars)

    @property
    def trainable_variables(self):
        return self.vars


def keras_model():
    """The same network from `keras.Sequential`, when the layers are importable."""
    try:
        from fuseflow.keras_api import layers, models
    except ImportError:
        return None
    model = models.Sequential([layers.Dense(256, activation="relu", input_shape=(784,)),
                               layers.Dense(256, activation="relu"), layers.Dense(10)])
    model.set_weights(_params())
    return model


def bare_step_time(x_batches, y_batches, steps: int, blocks: int, jit: bool) -> float:
    variables = [ff.Variable(p) for p in _params()]

    @ff.function(jit_compile=jit)
    def step(x, y):
        with ff.GradientTape() as tape:
            logits = _forward(x, variables)
            loss = ff.reduce_mean(ff.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=logits))
        for v, g in zip(variables, tape.gradient(loss, variables)):
            v.assign_sub(LR * g)
        return loss

    for i in range(5):
        step(x_batches[i % len(x_batches)], y_batches[i % len(y_batches)])
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for i in range(steps):
            step(x_batches[i % len(x_batches)], y_batches[i % len(y_batches)])
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def fit_step_time(model, x, y, steps: int, blocks: int, jit: bool) -> float:
    model.compile(optimizers.SGD(LR), losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=jit)
    epochs = max(1, steps // (len(x) // BATCH))
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # trace + compile
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
        times.append((time.perf_counter() - start) / (epochs * (len(x) // BATCH)))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--mode", choices=["compiled", "graph"], default="compiled",
                        help="compiled (jit_compile=True, the default) or the graph interpreter")
    args = parser.parse_args()
    jit = args.mode == "compiled"
    rng = np.random.default_rng(0)
    n = BATCH * 20
    x = rng.standard_normal((n, 784)).astype(np.float32)
    y = rng.integers(0, 10, n).astype(np.int32)
    x_batches = [ff.constant(x[i:i + BATCH]) for i in range(0, n, BATCH)]
    y_batches = [ff.constant(y[i:i + BATCH]) for i in range(0, n, BATCH)]
    bare = bare_step_time(x_batches, y_batches, args.steps, args.blocks, jit)
    print(f"{'bare ' + args.mode + ' W1 step:':32s} {bare * 1e6:9.1f} us")
    for label, model in (("fit (Trainer MLP)", MLP()), ("fit (keras Sequential)", keras_model())):
        if model is None:
            print(f"{label}: skipped (layers not importable)")
            continue
        per_step = fit_step_time(model, x, y, args.steps, args.blocks, jit)
        print(f"{label + ' per step:':32s} {per_step * 1e6:9.1f} us   ratio {per_step / bare:.3f}"
              f"  (target <= 1.15)")


if __name__ == "__main__":
    main()
