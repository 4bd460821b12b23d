"""Kernel thread count: changing it keeps compiled results identical."""

from __future__ import annotations

import numpy as np

import fuseflow as ff
from fuseflow.runtime.threads import kernel_threads, set_kernel_threads


def test_results_do_not_depend_on_thread_count():
    f = ff.function(lambda x, w: ff.tanh(ff.matmul(x, w)) + 1.0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((150, 64)).astype(np.float32)
    w = rng.standard_normal((64, 300)).astype(np.float32)
    before = kernel_threads()
    try:
        results = []
        for count in (1, 2, 3):
            set_kernel_threads(count)
            assert kernel_threads() == count
            results.append(f(ff.constant(x), ff.constant(w)).numpy())
    finally:
        set_kernel_threads(before)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    np.testing.assert_allclose(results[0], results[2], rtol=1e-6)
