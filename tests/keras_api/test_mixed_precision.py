"""Mixed precision is out of scope: asking for it is a clear error, float32 works."""

from __future__ import annotations

import pytest

import fuseflow as tf


def test_float32_policy_is_the_default_and_accepted():
    tf.keras.mixed_precision.set_global_policy("float32")
    assert tf.keras.mixed_precision.global_policy().compute_dtype == "float32"


def test_mixed_float16_raises_naming_the_policy():
    with pytest.raises(NotImplementedError, match="mixed_float16.*not supported"):
        tf.keras.mixed_precision.set_global_policy("mixed_float16")
    assert tf.keras.mixed_precision.global_policy().name == "float32"
