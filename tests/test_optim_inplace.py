"""The in-place, chunked RMSProp step: bitwise equal to the functional step, no big temporaries."""

import tracemalloc

import numpy as np
import pytest

from rmslab import optim
from rmslab.optim.inplace import rmsprop_step_

CONFIGS = [
    dict(),
    dict(lr=0.1, beta=0.9, eps=1e-3),
    dict(momentum=0.9),
    dict(centered=True),
    dict(centered=True, momentum=0.5, weight_decay=0.1, maximize=True),
    dict(weight_decay=0.01),
    dict(maximize=True),
]


def run_both(kw, dtype, size, chunk, workers, steps=30, seed=0):
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(size).astype(dtype)
    opt = optim.rmsprop(**kw)
    x, state = x0, opt.init(x0)
    x_ip = x0.copy()
    v = np.zeros_like(x0)
    buf = np.zeros_like(x0) if kw.get("momentum", 0) > 0 else None
    gbar = np.zeros_like(x0) if kw.get("centered") else None
    in_place_kw = {k: value for k, value in kw.items() if k != "centered"}
    for _ in range(steps):
        g = (rng.standard_normal(size) * rng.choice([1e-6, 1.0, 1e4], size)).astype(dtype)
        x, state = opt.step(x, g, state)
        rmsprop_step_(
            x_ip,
            g,
            v,
            momentum_buffer=buf,
            grad_avg=gbar,
            chunk=chunk,
            workers=workers,
            **in_place_kw,
        )
    return (x, state), (x_ip, v, buf, gbar)


@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_step_is_bitwise_equal_to_functional(kw, dtype):
    (x, state), (x_ip, v, buf, gbar) = run_both(kw, dtype, size=10_007, chunk=1000, workers=1)
    np.testing.assert_array_equal(x_ip, x)
    np.testing.assert_array_equal(v, state.square_avg)
    if buf is not None:
        np.testing.assert_array_equal(buf, state.momentum_buffer)
    if gbar is not None:
        np.testing.assert_array_equal(gbar, state.grad_avg)


@pytest.mark.parametrize("chunk, workers", [(1, 1), (64, 3), (4096, 2), (1 << 20, 2)])
def test_chunking_and_threads_do_not_change_results(chunk, workers):
    kw = dict(centered=True, momentum=0.9)
    (x, state), (x_ip, v, _, _) = run_both(
        kw, np.float32, size=3001, chunk=chunk, workers=workers, steps=5
    )
    np.testing.assert_array_equal(x_ip, x)
    np.testing.assert_array_equal(v, state.square_avg)


def test_multidimensional_arrays_are_updated_in_place():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 11, 13))
    g = rng.standard_normal(x.shape)
    v = np.zeros_like(x)
    x_before = x.copy()
    opt = optim.rmsprop()
    expected, _ = opt.step(x_before, g, opt.init(x_before))
    rmsprop_step_(x, g, v, chunk=100)
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(v, (1 - 0.99) * g * g)


def test_no_full_size_temporaries():
    n = 1_000_000
    x = np.ones(n, dtype=np.float32)
    g = np.full(n, 0.5, dtype=np.float32)
    v = np.zeros(n, dtype=np.float32)
    buf = np.zeros(n, dtype=np.float32)
    chunk = 1 << 14
    tracemalloc.start()
    try:
        rmsprop_step_(
            x, g, v, momentum=0.9, momentum_buffer=buf, weight_decay=0.1, maximize=True, chunk=chunk
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * chunk * 4 + 64_000  # two scratch chunks, nothing of size n
    assert peak < n * 4 / 10


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x, g, v: rmsprop_step_(x[::2], g[::2], v[::2]), "C-contiguous"),
        (lambda x, g, v: rmsprop_step_(x, g[:-1], v), r"g must be an array of x's shape"),
        (lambda x, g, v: rmsprop_step_(x, g, v.astype(np.float64)), "square_avg must have x's"),
        (lambda x, g, v: rmsprop_step_(x, g.astype(np.float64), v), "g must have x's dtype"),
        (lambda x, g, v: rmsprop_step_(x.astype(np.float16), g, v), "float32 or float64"),
        (lambda x, g, v: rmsprop_step_(x.tolist(), g, v), "float32 or float64"),
        (lambda x, g, v: rmsprop_step_(x, g, v, momentum=0.9), "momentum_buffer"),
        (lambda x, g, v: rmsprop_step_(x, g, v, lr=np.ones(4)), "lr must be a scalar"),
        (lambda x, g, v: rmsprop_step_(x, g, v, beta=1.0), r"beta must be in \[0, 1\)"),
        (lambda x, g, v: rmsprop_step_(x, g, v, chunk=0), "chunk must be an integer >= 1"),
        (lambda x, g, v: rmsprop_step_(x, g, v, workers=1.5), "workers must be an integer"),
    ],
)
def test_in_place_step_rejects_bad_input(call, message):
    x, g, v = np.ones(8, np.float32), np.ones(8, np.float32), np.zeros(8, np.float32)
    with pytest.raises(ValueError, match=message):
        call(x, g, v)


def test_read_only_state_is_rejected_but_read_only_gradient_is_fine():
    x, g, v = np.ones(8), np.ones(8), np.zeros(8)
    g.setflags(write=False)
    rmsprop_step_(x, g, v)
    v.setflags(write=False)
    with pytest.raises(ValueError, match="square_avg must be writeable"):
        rmsprop_step_(x, g, v)


def test_nan_gradient_propagates_silently():
    x, v = np.ones(4), np.zeros(4)
    rmsprop_step_(x, np.array([1.0, np.nan, 1.0, 1.0]), v)
    assert np.isnan(x[1]) and np.isnan(v[1]) and np.all(np.isfinite(np.delete(x, 1)))
