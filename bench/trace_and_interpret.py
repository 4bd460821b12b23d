"""W1 (MLP 784-256-256-10, ReLU, batch 128, sparse softmax CE, SGD lr 0.01): trace time of the
training step, and the graph interpreter's step time vs the eager step, in one run."""

from __future__ import annotations

import statistics
import time

import numpy as np

import fuseflow as ff

SIZES = (784, 256, 256, 10)
BATCH = 128


def make_params(seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    weights = [ff.Variable(rng.normal(0, 0.05, (a, b)).astype(np.float32))
               for a, b in zip(SIZES, SIZES[1:])]
    biases = [ff.Variable(np.zeros(b, np.float32)) for b in SIZES[1:]]
    return [p for pair in zip(weights, biases) for p in pair]


def make_step(params: list, lr: float = 0.01):
    def step(x, y):
        with ff.GradientTape() as tape:
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i + 2 < len(params):
                    h = ff.nn.relu(h)
            loss = ff.reduce_mean(ff.nn.sparse_softmax_cross_entropy_with_logits(y, h))
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(lr * g)
        return loss

    return step


def median_us(fn, steps: int = 20, blocks: int = 7) -> float:
    fn()
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        times.append((time.perf_counter() - start) / steps * 1e6)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(1)
    x = ff.constant(rng.normal(size=(BATCH, SIZES[0])).astype(np.float32))
    y = ff.constant(rng.integers(0, 10, BATCH).astype(np.int32))
    traced = ff.function(make_step(make_params()), jit_compile=False)
    start = time.perf_counter()
    concrete = traced.get_concrete_function(x, y)
    trace_ms = (time.perf_counter() - start) * 1e3
    print(f"trace W1 step: {trace_ms:.1f} ms ({len(concrete.graph)} nodes)")
    eager_step = make_step(make_params())
    eager_us = median_us(lambda: eager_step(x, y))
    graph_us = median_us(lambda: traced(x, y))
    print(f"eager step        {eager_us:9.1f} us")
    print(f"interpreted step  {graph_us:9.1f} us  = {graph_us / eager_us:.2f}x eager")


if __name__ == "__main__":
    main()
