"""`fuseflow.config.threading`'s settings, kept in fuseflow/runtime/threads.py."""

from __future__ import annotations

import pytest

from fuseflow.runtime import threads
from fuseflow.runtime.threads import kernel_threads, set_kernel_threads


@pytest.mark.parametrize("count", [1, 2, 0])
def test_intra_op_setting_reaches_the_pool_and_reads_back(count):
    before = kernel_threads()
    try:
        threads.set_intra_op_parallelism_threads(count)
        assert threads.get_intra_op_parallelism_threads() == count
        assert kernel_threads() == (count or min(threads.default_threads(), 64))
    finally:
        threads.set_intra_op_parallelism_threads(0)
        set_kernel_threads(before)


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_bad_thread_counts_are_rejected(bad):
    with pytest.raises(ValueError, match="parallelism_threads"):
        threads.set_intra_op_parallelism_threads(bad)
    with pytest.raises(ValueError, match="parallelism_threads"):
        threads.set_inter_op_parallelism_threads(bad)


def test_inter_op_setting_reads_back():
    threads.set_inter_op_parallelism_threads(3)
    try:
        assert threads.get_inter_op_parallelism_threads() == 3
    finally:
        threads.set_inter_op_parallelism_threads(0)
