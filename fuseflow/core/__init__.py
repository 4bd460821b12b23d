"""The bottom floor: dtypes, shapes, Tensor, Variable, the op registry and every op, tapes.

core imports nothing from the floors above it (graph, compiler, runtime, data, keras_api).
"""
