"""How fast is the experiment harness where the book needs it to be fast?

Run from the repository root:  ``python benchmarks/harness.py [--repeats R]``

1. Widget redraw: one slider change in ``rmslab.widgets.explorer`` re-runs 200 optimizer steps
   and redraws the moving lines over the cached background. The target is under 100 ms, the
   point where a slider still feels live.
2. Sweep speed-up: ``rmslab.run.sweep`` runs a whole grid as one batch of shape ``(n, dim)``.
   The baseline is the Python loop of ``rmslab.run.run`` calls it replaces, with the same grid,
   seeds and steps.

Each time is the median of ``--repeats`` runs after a warm-up.
"""

import argparse
import statistics
import time

import numpy as np

from rmslab import optim, problems, widgets
from rmslab.run import run, sweep


def median_seconds(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def widget_latency(repeats: int) -> float:
    """Median seconds for one lr-slider change of a 200-step RMSProp explorer."""
    explorer = widgets.explorer(problem="quadratic", optimizer="RMSProp", steps=200)
    lrs = iter(np.geomspace(1e-3, 0.5, repeats + 1).tolist() * 2)

    def change():
        explorer.controls["lr"].value = next(lrs)

    return median_seconds(change, repeats)


def sweep_speedup(repeats: int) -> tuple[float, float, int]:
    """(loop seconds, sweep seconds, configurations) for RMSProp on a noisy quadratic."""
    problem = problems.noisy(problems.quadratic(kappa=50.0), sigma=0.1)
    grid = {"lr": np.geomspace(1e-3, 1.0, 10), "beta": [0.0, 0.5, 0.9, 0.99, 0.999]}
    seeds, steps = (0, 1, 2), 200
    configs = [(lr, beta, seed) for lr in grid["lr"] for beta in grid["beta"] for seed in seeds]

    def loop():
        for lr, beta, seed in configs:
            run(optim.rmsprop(lr=lr, beta=beta), problem, steps=steps, seed=seed)

    def batched():
        sweep(optim.rmsprop, problem, grid, seeds=seeds, steps=steps)

    return median_seconds(loop, repeats), median_seconds(batched, repeats), len(configs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    latency = widget_latency(args.repeats)
    print(f"widget redraw, 200 RMSProp steps: median {1000 * latency:.1f} ms (target < 100 ms)")
    loop, batched, n = sweep_speedup(max(1, args.repeats // 3))
    print(
        f"sweep of {n} configs x 200 steps: loop of run() {loop:.2f} s, "
        f"vectorized sweep() {batched:.3f} s, speed-up {loop / batched:.0f}x"
    )


if __name__ == "__main__":
    main()
