"""How fast is one RMSProp step on 10 million float32 parameters, compared with memory speed?

Run from the repository root:  ``python benchmarks/optimizer_step.py [--size N] [--repeats R]``

An RMSProp step does a few flops per element and must read and write every array it touches,
so on a CPU it is limited by memory bandwidth. The yardstick R is therefore the time of one
single pass that reads two arrays and writes one, ``add(b, c, out=a)``, over arrays of the
same length (NumPy's R for NumPy steps, torch's R for torch steps: torch's ``add`` uses all
threads, NumPy's one). R moves about four array-lengths of bytes (two reads, one write, and
the read a CPU does before writing a line it has not cached). A fused RMSProp step reads
``param``, ``grad`` and ``square_avg`` and writes ``param`` and ``square_avg`` back in place:
five array-lengths, so about 1.25 R is the floor for a single pass, and every extra pass over
the data adds roughly another R.

Each time is the median of ``--repeats`` round-robin runs after a warm-up. The fused step's
first call includes compiling, which is timed separately.
"""

import argparse
import os
import statistics
import time

import numpy as np
import torch

import rmslab.torch as rt
from rmslab.optim import rmsprop


def median_seconds(functions, repeats, warmup=3):
    """Median wall time of each function, measured round-robin.

    Interleaving the contenders (A, B, C, A, B, C, ...) exposes them to the same background
    load, so their ratios stay meaningful on a busy machine.
    """
    for function in functions.values():
        for _ in range(warmup):
            function()
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def numpy_arrays(size, count):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(size, dtype=np.float32) for _ in range(count)]


def numpy_reference(size):
    a, b, c = numpy_arrays(size, 3)
    return lambda: np.add(b, c, out=a)


def torch_reference(size):
    a, b, c = torch.empty(size), torch.rand(size), torch.rand(size)
    return lambda: torch.add(b, c, out=a)


def numpy_functional_step(size):
    optimizer = rmsprop()
    x, g = numpy_arrays(size, 2)
    state = optimizer.init(x)

    def step():
        nonlocal x, state
        x, state = optimizer.step(x, g, state)

    return step


def numpy_inplace_step(size, workers):
    """The in-place NumPy step, or None when rmslab.optim.inplace is not there."""
    try:
        from rmslab.optim.inplace import rmsprop_step_
    except ImportError:
        return None
    x, g = numpy_arrays(size, 2)
    square_avg = np.zeros_like(x)
    return lambda: rmsprop_step_(x, g, square_avg, workers=workers)


def torch_step(optimizer_class, size, **kwargs):
    """``optimizer.step`` on one parameter of ``size`` elements, and its first call's time."""
    generator = torch.Generator().manual_seed(0)
    param = torch.randn(size, generator=generator).requires_grad_()
    param.grad = torch.randn(size, generator=generator)
    optimizer = optimizer_class([param], **kwargs)
    start = time.perf_counter()
    optimizer.step()  # creates the state; for fused=True, compiles
    return optimizer.step, time.perf_counter() - start


NUMPY_R = "numpy R: np.add(b, c, out=a)"
TORCH_R = "torch R: torch.add(b, c, out=a)"
TORCH_FOREACH = "torch.optim.RMSprop(foreach=True)"
OURS_FOREACH = "rmslab.torch.RMSProp(foreach=True)"
FUSED = "rmslab.torch.RMSProp(fused=True)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    size, cpus = args.size, os.cpu_count()

    numpy_steps = {
        NUMPY_R: numpy_reference(size),
        "rmslab.optim.rmsprop (functional)": numpy_functional_step(size),
        "rmslab.optim.inplace (workers=1)": numpy_inplace_step(size, 1),
        f"rmslab.optim.inplace (workers={cpus})": numpy_inplace_step(size, cpus),
    }
    torch_steps = {TORCH_R: torch_reference(size)}
    first_calls = {}
    for name, optimizer_class, kwargs in [
        ("torch.optim.RMSprop(foreach=False)", torch.optim.RMSprop, {"foreach": False}),
        (TORCH_FOREACH, torch.optim.RMSprop, {"foreach": True}),
        ("rmslab.torch.RMSProp(foreach=False)", rt.RMSProp, {"foreach": False}),
        (OURS_FOREACH, rt.RMSProp, {"foreach": True}),
        (FUSED, rt.RMSProp, {"fused": True}),
    ]:
        torch_steps[name], first_calls[name] = torch_step(optimizer_class, size, **kwargs)
    available = {k: f for k, f in {**numpy_steps, **torch_steps}.items() if f is not None}
    times = median_seconds(available, args.repeats)

    print(f"RMSProp step (torch defaults), {size:,} float32 parameters, CPU")
    print(f"median of {args.repeats} round-robin repeats after 3 warm-up calls each")
    print(
        f"torch threads: {torch.get_num_threads()} (os.cpu_count() = {cpus}); "
        f"torch {torch.__version__}, numpy {np.__version__}"
    )
    print()
    print(f"{'step':<42}{'time [ms]':>10}{'/ R':>8}")
    for steps, reference in ((numpy_steps, NUMPY_R), (torch_steps, TORCH_R)):
        for name in steps:
            if name not in times:
                print(f"{name:<42}{'not available':>18}")
                continue
            print(f"{name:<42}{1e3 * times[name]:>10.2f}{times[name] / times[reference]:>8.2f}")

    foreach_ratio = times[OURS_FOREACH] / times[TORCH_FOREACH]
    fused_ratio = times[FUSED] / times[TORCH_R]
    print()
    verdict = {True: "met", False: "MISSED"}
    print(
        f"rmslab foreach / torch foreach = {foreach_ratio:.2f} "
        f"(target <= 1.1: {verdict[foreach_ratio <= 1.1]})"
    )
    print(f"rmslab fused / torch R = {fused_ratio:.2f} (target <= 2: {verdict[fused_ratio <= 2]})")
    print(f"first fused step, including compilation: {first_calls[FUSED]:.1f} s")


if __name__ == "__main__":
    main()
