"""The runtime floor: the graph interpreter (and, beside it, compiled-plan executors)."""

from fuseflow.runtime.interpreter import Interpreter, interpret
