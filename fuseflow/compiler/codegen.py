"""Codegen: the one object owning the LLVM target machine, the O3 pipeline and the JIT.

Every compiled module goes IR text -> verify -> optimize (new pass manager, O3 with loop and
SLP vectorization) -> object code -> MCJIT. Object code is what the disk cache stores, so a
module loaded from disk and a freshly compiled one take the same path into the JIT.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import llvmlite
import llvmlite.binding as llvm
from llvmlite import ir

_init_lock = threading.Lock()
_initialized = False


def _initialize() -> None:
    global _initialized
    with _init_lock:
        if not _initialized:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            llvm.initialize_native_asmparser()
            _initialized = True


@dataclass
class JitModule:
    """A module living in the JIT: look its functions up by name."""

    engine: llvm.ExecutionEngine
    object_code: bytes
    _addresses: dict[str, int] = field(default_factory=dict)

    def address(self, name: str) -> int:
        """The address of the function `name` (0 if the module does not define it)."""
        if name not in self._addresses:
            self._addresses[name] = self.engine.get_function_address(name)
        return self._addresses[name]


class Codegen:
    """Own the host target machine, the optimization pipeline and the JIT engines."""

    def __init__(self, opt_level: int = 3, loop_unrolling: bool = True):
        _initialize()
        self.triple = llvm.get_process_triple()
        self.cpu = llvm.get_host_cpu_name()
        self.features = llvm.get_host_cpu_features().flatten()
        target = llvm.Target.from_triple(self.triple)
        self.target_machine = self._create_target_machine(target, opt_level)
        # MCJIT takes ownership of its target machine, and engines must not share one: a
        # single engine holds every loaded object (exported names are unique per module).
        self.engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""),
                                                 self._create_target_machine(target, opt_level))
        self.opt_level = opt_level
        self.loop_unrolling = loop_unrolling
        self.data_layout = str(self.target_machine.target_data)
        self._lock = threading.RLock()
        self._tuning = None
        self._pass_builder = None
        self.modules_compiled = 0  # counts LLVM compilations (the disk-cache tests read it)

    def _create_target_machine(self, target, opt_level: int):
        return target.create_target_machine(cpu=self.cpu, features=self.features, opt=opt_level,
                                            reloc="default", codemodel="jitdefault", jit=True)

    # -- facts about the host ------------------------------------------------------------------
    @property
    def vector_bits(self) -> int:
        """The widest SIMD register width the host's features allow."""
        enabled = set(self.features.split(","))
        if "+avx512f" in enabled:
            return 512
        if "+avx" in enabled:
            return 256
        return 128

    def lanes(self, itemsize: int) -> int:
        """How many elements of `itemsize` bytes fit in one vector register."""
        return self.vector_bits // 8 // itemsize

    @property
    def has_fma(self) -> bool:
        return "+fma" in self.features.split(",")

    def cache_key(self) -> str:
        """Everything besides the module itself that decides the machine code."""
        unroll = "" if self.loop_unrolling else "|no-unroll"
        return f"{self.triple}|{self.cpu}|{self.features}|O{self.opt_level}{unroll}|llvmlite-" \
               f"{llvmlite.__version__}"

    # -- modules -------------------------------------------------------------------------------
    def new_module(self, name: str) -> ir.Module:
        """An empty IR module targeting the host."""
        module = ir.Module(name=name)
        module.triple = self.triple
        module.data_layout = self.data_layout
        return module

    def parse(self, ir_text: str) -> llvm.ModuleRef:
        """Parse and verify IR text (a malformed module is a compiler bug, caught here)."""
        module = llvm.parse_assembly(ir_text)
        module.verify()
        return module

    def optimize(self, module: llvm.ModuleRef) -> llvm.ModuleRef:
        """Run the O3 pipeline with loop and SLP vectorization on `module`, in place."""
        with self._lock:
            if self._pass_builder is None:
                # Built once and kept: the tuning options must outlive the pass builder, and
                # building a fresh pair per module crashed inside LLVM after a few modules.
                self._tuning = llvm.create_pipeline_tuning_options(speed_level=self.opt_level)
                self._tuning.loop_vectorization = True
                self._tuning.slp_vectorization = True
                self._tuning.loop_unrolling = self.loop_unrolling
                self._pass_builder = llvm.create_pass_builder(self.target_machine, self._tuning)
            manager = self._pass_builder.getModulePassManager()
            manager.run(module, self._pass_builder)
        return module

    def emit_object(self, ir_text: str) -> bytes:
        """Compile IR text to host object code."""
        module = self.optimize(self.parse(ir_text))
        with self._lock:
            self.modules_compiled += 1
            return self.target_machine.emit_object(module)

    def optimized_ir(self, ir_text: str) -> str:
        """The IR text after the O3 pipeline (for inspection)."""
        return str(self.optimize(self.parse(ir_text)))

    def assembly(self, ir_text: str) -> str:
        """Host assembly for `ir_text` (for inspection)."""
        return self.target_machine.emit_assembly(self.optimize(self.parse(ir_text)))

    def load(self, object_code: bytes) -> JitModule:
        """Link object code into the JIT (it stays loaded for the life of the process)."""
        with self._lock:
            self.engine.add_object_file(llvm.ObjectFileRef.from_data(object_code))
            self.engine.finalize_object()
        return JitModule(self.engine, object_code)

    def compile(self, ir_text: str, use_cache: bool = True) -> JitModule:
        """Verify, optimize, compile and load IR text (through the kernel cache by default).

        The thread pool's module is compiled this way in every process: from disk it loads in
        a millisecond instead of a compile's ~20 ms.
        """
        if use_cache:
            from fuseflow.compiler import cache  # cache builds on this module

            return cache.load_or_compile(self, ir_text)
        return self.load(self.emit_object(ir_text))


_codegen: Codegen | None = None


def get_codegen() -> Codegen:
    """The process-wide Codegen (created on first use)."""
    global _codegen
    if _codegen is None:
        _codegen = Codegen()
    return _codegen
