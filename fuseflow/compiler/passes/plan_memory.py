"""plan_memory: the plan-level pass that decides where values live (runs after planning).

It works on a Plan, not a Graph: buffers only exist once shapes are concrete. Two rewrites:
- an elementwise kernel whose only result feeds only a variable write is folded into that write
  (`v.assign_sub(lr * g)` becomes one loop, and the `lr * g` temporary disappears);
- a variable write goes straight into the variable's own buffer when nothing reads the old value
  afterwards and it is not returned: no new array per call (the executable makes sure, per call,
  that the variable owns its array alone before letting a kernel write into it).
"""

from __future__ import annotations

from fuseflow.compiler.lowering.elementwise import ElementwiseKernel, Entry, Operand
from fuseflow.compiler.plan import PyCall  # plan.py imports this module only when it runs it

DEAD = "dead"  # a slot nothing uses any more (kept so slot numbers stay put)


def reads(step) -> list[int]:
    """The slots a step reads."""
    if hasattr(step, "read_slots"):
        return step.read_slots()
    if isinstance(step, ElementwiseKernel):
        return [op.slot for op in step.inputs]
    if isinstance(step, PyCall):
        return [slot for slot, _ in step.inputs]
    operands = [getattr(step, name, None) for name in ("a", "b", "x", "labels", "logits", "g")]
    return [op.slot for op in operands if isinstance(op, Operand)]


def writes(step) -> list[int]:
    """The slots a step writes."""
    if hasattr(step, "written_slots"):
        return step.written_slots()
    if isinstance(step, ElementwiseKernel):
        return [op.slot for _, op in step.outputs]
    if isinstance(step, PyCall):
        return list(step.outputs)
    out = getattr(step, "out", None)
    return [out.slot] if isinstance(out, Operand) else []


def plan_memory(plan) -> None:
    """Fold producers into variable writes, then write variables in place where safe."""
    targets = {slot for _, slot in plan.var_writes}
    for position in reversed(range(len(plan.steps))):
        step = plan.steps[position]
        if isinstance(step, ElementwiseKernel) and any(op.slot in targets
                                                       for _, op in step.outputs):
            _fold_producers(plan, position)
    _write_in_place(plan)


def _fold_producers(plan, position: int) -> None:
    """Fold each single-use elementwise producer of the write at `position` into it."""
    changed = True
    while changed:
        changed = False
        write = plan.steps[position]
        for operand in write.inputs:
            found = _single_use_producer(plan, operand, position)
            if found is None:
                continue
            index, producer = found
            plan.steps[position] = _merge(producer, write, operand.slot)
            plan.slots[operand.slot].role = DEAD
            nodes = plan.kernel_nodes.pop(producer.name, [])
            plan.kernel_nodes[write.name] = nodes + plan.kernel_nodes.get(write.name, [])
            del plan.steps[index]
            position -= 1
            changed = True
            break


def _single_use_producer(plan, operand: Operand, position: int):
    if plan.slots[operand.slot].role != "temp":
        return None
    users = [i for i, step in enumerate(plan.steps) if operand.slot in reads(step)]
    if users != [position] or any(slot == operand.slot for slot, _ in plan.outputs):
        return None
    for index in range(position):
        step = plan.steps[index]
        if operand.slot in writes(step):
            ok = (isinstance(step, ElementwiseKernel) and len(step.outputs) == 1
                  and step.shape == plan.steps[position].shape
                  and step.outputs[0][1].shape == operand.shape)
            return (index, step) if ok else None
    return None


def _merge(producer: ElementwiseKernel, write: ElementwiseKernel, slot: int) -> ElementwiseKernel:
    """One kernel computing `write` with `producer`'s expression in place of `slot`."""
    rest = [op for op in write.inputs if op.slot != slot]
    inputs = list(producer.inputs) + rest
    n, n_p = len(inputs), len(producer.inputs)
    made = producer.outputs[0][0]
    entries = [Entry(e.op, e.attrs, tuple(a if a < n_p else n + a - n_p for a in e.args), e.dtype)
               for e in producer.entries]

    def remap(a: int) -> int:
        if a >= len(write.inputs):
            return n + len(producer.entries) + a - len(write.inputs)
        op = write.inputs[a]
        return n + made if op.slot == slot else n_p + rest.index(op)

    entries += [Entry(e.op, e.attrs, tuple(remap(a) for a in e.args), e.dtype)
                for e in write.entries]
    outputs = [(len(producer.entries) + e, op) for e, op in write.outputs]
    return ElementwiseKernel(write.name, write.shape, inputs, entries, outputs)


def _write_in_place(plan) -> None:
    """Retarget first writes of variables at the variable's own slot where that is safe."""
    done: set[str] = set()
    for key, target in list(plan.var_writes):
        if key in done:
            continue
        done.add(key)
        own = plan.var_slots.get(key)
        where = [i for i, step in enumerate(plan.steps) if target in writes(step)]
        if own is None or len(where) != 1 or not _safe(plan, own, target, where[0]):
            continue
        _retarget(plan, target, own)
        plan.in_place.add(key)


def _safe(plan, own: int, target: int, position: int) -> bool:
    step = plan.steps[position]
    if not isinstance(step, ElementwiseKernel) or len(step.outputs) != 1:
        return False
    if any(slot == own for slot, _ in plan.outputs):
        return False
    if any(own in reads(later) or own in writes(later) for later in plan.steps[position + 1:]):
        return False
    if any(target in reads(other) for other in plan.steps):
        return False  # the new value is read again: keep it simple, leave it out of place
    # Same-index reads only: a reshaped view of the variable read while it is written would not be.
    return all(op.shape == step.shape for op in step.inputs if op.slot == own) and \
        plan.slots[own].shape == plan.slots[target].shape


def _retarget(plan, old: int, new: int) -> None:
    for step in plan.steps:
        if isinstance(step, ElementwiseKernel):
            step.inputs = [Operand(new, op.shape, op.dtype) if op.slot == old else op
                           for op in step.inputs]
            step.outputs = [(e, Operand(new, op.shape, op.dtype) if op.slot == old else op)
                            for e, op in step.outputs]
    plan.outputs = [(new if slot == old else slot, shape) for slot, shape in plan.outputs]
    plan.var_writes = [(key, new if slot == old else slot) for key, slot in plan.var_writes]
    plan.slots[old].role = DEAD
