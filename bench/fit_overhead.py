"""What `fit` adds: per-step time of `fit` on arrays and on a tf.data pipeline vs the bare
compiled W1 step, measured side by side in one run.

W1 (shared/BENCH.md): MLP 784-256-256-10, ReLU, batch 128, softmax cross-entropy on int labels,
plain SGD (lr 0.01). The bare step is one `fuseflow.function` (forward, loss, tape gradients,
`assign_sub` updates) called on ready tensors; `fit` adds batching, shuffling, callbacks, the
loss tracker and logs. Targets: fit(arrays) / bare <= 1.15 and
fit(Dataset...shuffle.batch(128).prefetch(AUTOTUNE)) / fit(arrays) <= 1.1.

    OPENBLAS_NUM_THREADS=2 python bench/fit_overhead.py [--epochs 3] [--blocks 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import fuseflow as ff
from fuseflow.benchmarks import mlp
from fuseflow.keras import layers, losses, models, optimizers

SIZES, BATCH, BATCHES = (784, 256, 256, 10), 128, 20


def _model(params):
    model = models.Sequential([layers.Dense(256, activation="relu", input_shape=(784,)),
                               layers.Dense(256, activation="relu"), layers.Dense(10)])
    model.set_weights(params)
    model.compile(optimizers.SGD(mlp.LR), losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _per_step(run, steps: int, blocks: int) -> float:
    run()  # trace + compile
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs of 20 batches per block")
    parser.add_argument("--blocks", type=int, default=5)
    args = parser.parse_args()
    problem = mlp.make_problem(SIZES, BATCH * BATCHES, seed=0)
    x, y, params = problem["x"], problem["y"], problem["params"]
    steps = args.epochs * BATCHES

    bare_problem = {**problem, "x": x[:BATCH], "y": y[:BATCH]}
    bare_step = mlp.fuseflow_step(bare_problem, "compiled")
    bare = _per_step(lambda: [bare_step() for _ in range(steps)], steps, args.blocks)

    on_arrays = _model(params)
    arrays = _per_step(lambda: on_arrays.fit(x, y, batch_size=BATCH, epochs=args.epochs,
                                             verbose=0), steps, args.blocks)
    pipeline = (ff.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0)
                .batch(BATCH).prefetch(ff.data.AUTOTUNE))
    on_dataset = _model(params)
    dataset = _per_step(lambda: on_dataset.fit(pipeline, epochs=args.epochs, verbose=0),
                        steps, args.blocks)

    print(f"bare compiled W1 step      {bare * 1e6:9.1f} us")
    print(f"fit on arrays              {arrays * 1e6:9.1f} us   {arrays / bare:.3f}x bare "
          "(target <= 1.15)")
    print(f"fit on a Dataset pipeline  {dataset * 1e6:9.1f} us   {dataset / arrays:.3f}x arrays "
          "(target <= 1.1)")


if __name__ == "__main__":
    main()
