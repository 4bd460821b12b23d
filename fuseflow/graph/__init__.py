"""The graph floor: Graph IR, tracing, `function`, control flow, printing and serialization."""

from fuseflow.graph.concrete import ConcreteFunction
from fuseflow.graph.function import Function, function, functions_run_eagerly, run_functions_eagerly
from fuseflow.graph.graph import Attrs, Graph
from fuseflow.graph.retracing import explain_retracing
from fuseflow.graph.tracing import LeakedTensorError, SymbolicTensor, TracingContext
from fuseflow.graph.verify import GraphError, verify_graph
