"""How fast is one RMSProp step on 10 million float32 parameters, compared with memory speed?

Run from the repository root:  ``python benchmarks/optimizer_step.py [--size N] [--repeats R]``

An RMSProp step does a few flops per element and must read and write every array it touches,
so on a CPU it is limited by memory bandwidth. The yardstick R is the time of one pass that
reads two arrays and writes one, ``add(b, c, out=a)``, over arrays of the same length: the
fastest such pass this machine gives, the minimum over NumPy and torch with 1 and 2 threads
(NumPy's ``add`` is single-threaded, so its 2-thread pass splits the arrays in two halves on
two threads). Every ratio is divided by that one R, so a baseline slowed by load (or by
threads fighting over two cores) cannot flatter a step. R moves about four array-lengths of
bytes (two reads, one write, and the read a CPU does before writing a line it has not
cached). A step that reads ``param``, ``grad`` and ``square_avg`` and writes ``param`` and
``square_avg`` in one pass moves five: about 1.25 R is the floor, and every extra pass over
the data (each ``torch._foreach_*`` call or NumPy temporary) adds roughly another R.

Each time is the median of ``--repeats`` round-robin runs after a warm-up, so all contenders
see the same background load.
"""

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

import rmslab.torch as rt
from rmslab.optim import rmsprop


def median_seconds(functions, repeats, warmup=3):
    """Median wall time of each function, measured round-robin (A, B, C, A, B, C, ...)."""
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


def numpy_pass(size, threads):
    """``np.add(b, c, out=a)`` split over ``threads`` threads (NumPy releases the GIL)."""
    a, b, c = numpy_arrays(size, 3)
    pieces = [slice(i * size // threads, (i + 1) * size // threads) for i in range(threads)]
    pool = ThreadPoolExecutor(threads)

    def run():
        if threads == 1:
            np.add(b, c, out=a)
            return
        for future in [pool.submit(np.add, b[s], c[s], out=a[s]) for s in pieces]:
            future.result()

    return run


def torch_pass(size, threads):
    a, b, c = torch.empty(size), torch.rand(size), torch.rand(size)

    def run():
        torch.set_num_threads(threads)
        torch.add(b, c, out=a)

    return run


def numpy_functional_step(size):
    optimizer = rmsprop()
    x, g = numpy_arrays(size, 2)
    state = optimizer.init(x)

    def step():
        nonlocal x, state
        x, state = optimizer.step(x, g, state)

    return step


def torch_step(optimizer_class, size, threads, **kwargs):
    """``optimizer.step`` on one parameter of ``size`` elements with ``threads`` threads."""
    generator = torch.Generator().manual_seed(0)
    param = torch.randn(size, generator=generator).requires_grad_()
    param.grad = torch.randn(size, generator=generator)
    optimizer = optimizer_class([param], **kwargs)

    def step():
        torch.set_num_threads(threads)
        optimizer.step()

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count()), help="torch threads")
    args = parser.parse_args()
    size, threads = args.size, args.threads

    passes = {}
    for n in (1, 2):
        passes[f"numpy add, {n} thread{'s' * (n > 1)}"] = (numpy_pass(size, n), n)
        passes[f"torch add, {n} thread{'s' * (n > 1)}"] = (torch_pass(size, n), n)
    torch_steps = [
        ("torch.optim.RMSprop", torch.optim.RMSprop, {"foreach": False}),
        ("torch.optim.RMSprop", torch.optim.RMSprop, {"foreach": True}),
        ("rmslab.torch.RMSProp", rt.RMSProp, {"foreach": False}),
        ("rmslab.torch.RMSProp", rt.RMSProp, {"foreach": True}),
        ("torch.optim.Adam", torch.optim.Adam, {"foreach": True}),
        ("torch.optim.Adam", torch.optim.Adam, {"fused": True}),
    ]
    steps = {"rmslab.optim.rmsprop (numpy, functional)": (numpy_functional_step(size), 1)}
    for label, cls, kwargs in torch_steps:
        ((flag, value),) = kwargs.items()
        steps[f"{label}({flag}={value})"] = (torch_step(cls, size, threads, **kwargs), threads)
    contenders = {name: f for name, (f, _) in {**passes, **steps}.items()}
    times = median_seconds(contenders, args.repeats)
    fastest = min(passes, key=times.get)
    r = times[fastest]

    print(
        f"One optimizer step, {size:,} float32 parameters, CPU (os.cpu_count() = {os.cpu_count()})"
    )
    print(f"median of {args.repeats} round-robin repeats after 3 warm-up calls each")
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    print(f"R = {1e3 * r:.2f} ms: the fastest memory pass, {fastest}")
    print()
    print(f"{'':<44}{'threads':>8}{'time [ms]':>11}{'/ R':>7}")
    for group in (passes, steps):
        for name, (_, n) in group.items():
            print(f"{name:<44}{n:>8}{1e3 * times[name]:>11.2f}{times[name] / r:>7.2f}")
        print()
    ours, theirs = (
        times["rmslab.torch.RMSProp(foreach=True)"],
        times["torch.optim.RMSprop(foreach=True)"],
    )
    print(f"rmslab foreach / torch foreach = {ours / theirs:.2f} (target <= 1.1)")


if __name__ == "__main__":
    main()
