"""In-place, cache-blocked RMSProp step for large arrays (torch semantics).

The functional :func:`rmslab.optim.rmsprop` allocates several full-size temporaries per
step (``g*g``, ``sqrt(v)``, ``g/d``, ...). For 10 million parameters each is 40 MB that goes
through main memory. :func:`rmsprop_step_` instead walks the arrays in chunks small enough to
stay in the CPU cache and applies NumPy ufuncs with ``out=`` into two chunk-sized scratch
buffers, so main memory only sees each array read once and ``x`` and the state written once.

It performs the same floating-point operations, in the same order, as the functional step
with the same keywords, so the two agree bit for bit (tested). Only torch's conventions are
supported: ``eps`` outside the root, zero initial state, ``lr`` applied after momentum, coupled
weight decay, no bias correction.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rmslab.optim import _common

DEFAULT_CHUNK = 1 << 16  # 65536 elements: 256 KiB of float32 per scratch buffer


def _check_arrays(x, named: dict) -> None:
    if not isinstance(x, np.ndarray) or x.dtype not in (np.float32, np.float64):
        got = getattr(x, "dtype", type(x).__name__)
        raise ValueError(f"x must be a float32 or float64 numpy array, got {got}")
    for name, array in {"x": x, **named}.items():
        if not isinstance(array, np.ndarray) or array.shape != x.shape:
            shape = getattr(array, "shape", None)
            raise ValueError(f"{name} must be an array of x's shape {x.shape}, got {shape}")
        if array.dtype != x.dtype:
            raise ValueError(f"{name} must have x's dtype {x.dtype}, got {array.dtype}")
        if not array.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous")
        if name != "g" and not array.flags.writeable:
            raise ValueError(f"{name} must be writeable: it is updated in place")


def rmsprop_step_(
    x,
    g,
    square_avg,
    *,
    lr=1e-2,
    beta=0.99,
    eps=1e-8,
    weight_decay=0.0,
    momentum=0.0,
    momentum_buffer=None,
    grad_avg=None,
    maximize=False,
    chunk=DEFAULT_CHUNK,
    workers=1,
) -> None:
    r"""One torch-style RMSProp step, updating ``x`` and the state arrays in place.

    .. math::

        v \leftarrow \beta v + (1-\beta) g^2, \quad
        d = \sqrt{v - \bar g^2} + \varepsilon, \quad
        b \leftarrow \mu b + g/d, \quad x \leftarrow x - \eta\, b

    Pass ``grad_avg`` (the running mean of g, initially zeros) for the centered variant and
    ``momentum_buffer`` (initially zeros) when ``momentum > 0``. Hyperparameters are scalars
    here. ``x``, ``g``, ``square_avg`` and the buffers must be C-contiguous arrays of one shape
    and one dtype (float32 or float64); all but ``g`` must be writeable. Returns None, like
    torch's in-place ``*_`` methods.

    ``chunk`` is the number of elements processed per ufunc call. ``workers > 1`` splits the
    chunks over that many threads (NumPy releases the GIL inside ufuncs); the result is the
    same bit for bit, since every element is updated independently.
    """
    check = _common.hyperparameter
    lr, beta, eps = check("lr", lr), check("beta", beta, upper=1.0), check("eps", eps)
    weight_decay, momentum = check("weight_decay", weight_decay), check("momentum", momentum)
    maximize = _common.flag("maximize", maximize)
    for name, value in dict(
        lr=lr, beta=beta, eps=eps, weight_decay=weight_decay, momentum=momentum
    ).items():
        if isinstance(value, np.ndarray):
            raise ValueError(f"{name} must be a scalar for the in-place step, got an array")
    for name, value in dict(chunk=chunk, workers=workers).items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if momentum > 0 and momentum_buffer is None:
        raise ValueError("momentum > 0 needs a momentum_buffer array (zeros at the start)")
    state = {"square_avg": square_avg, "momentum_buffer": momentum_buffer, "grad_avg": grad_avg}
    _check_arrays(x, {"g": g, **{k: v for k, v in state.items() if v is not None}})

    scalar = x.dtype.type  # same rounding as NumPy's cast of a Python float
    constants = dict(
        lr=scalar(lr),
        beta=scalar(beta),
        one_minus_beta=scalar(1 - beta),
        eps=scalar(eps),
        weight_decay=scalar(weight_decay),
        momentum=scalar(momentum),
        maximize=maximize,
    )
    flat = [
        None if a is None else a.reshape(-1)
        for a in (x, g, square_avg, momentum_buffer if momentum > 0 else None, grad_avg)
    ]
    starts = range(0, x.size, chunk)
    if workers == 1 or len(starts) == 1:
        _rmsprop_chunks(flat, starts, chunk, constants)
        return
    shares = [starts[i::workers] for i in range(workers)]  # chunks never overlap
    futures = [
        _pool(workers).submit(_rmsprop_chunks, flat, share, chunk, constants) for share in shares
    ]
    for future in futures:
        future.result()


@functools.cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="rmslab-inplace")


def _rmsprop_chunks(flat, starts, chunk, constants) -> None:
    """Run :func:`_rmsprop_chunk` over the chunks beginning at ``starts``."""
    x, g, v, b, gbar = flat
    n = x.size
    scratch = np.empty(min(chunk, n), dtype=x.dtype)
    modify_g = constants["maximize"] or constants["weight_decay"] != 0
    scratch_g = np.empty_like(scratch) if modify_g else None
    with np.errstate(all="ignore"):  # NaN/inf propagate silently, as in the functional step
        for start in starts:
            piece = slice(start, min(start + chunk, n))
            size = piece.stop - start
            _rmsprop_chunk(
                x[piece],
                g[piece],
                v[piece],
                None if b is None else b[piece],
                None if gbar is None else gbar[piece],
                g[piece] if scratch_g is None else scratch_g[:size],
                scratch[:size],
                **constants,
            )


def _rmsprop_chunk(
    x, g_in, v, b, gbar, g, tmp, *, lr, beta, one_minus_beta, eps, weight_decay, momentum, maximize
) -> None:
    """The functional rmsprop ``update``, op for op, on one chunk.

    ``tmp`` is scratch; ``g`` is scratch too, or ``g_in`` itself when g needs no change.
    """
    if maximize:
        np.negative(g_in, out=g)
    if weight_decay != 0:  # g = g + weight_decay * x
        np.multiply(weight_decay, x, out=tmp)
        np.add(g if maximize else g_in, tmp, out=g)
    np.multiply(beta, v, out=v)  # v = beta * v + (1 - beta) * g * g
    np.multiply(one_minus_beta, g, out=tmp)
    np.multiply(tmp, g, out=tmp)
    np.add(v, tmp, out=v)
    if gbar is not None:  # gbar = gbar + (1 - beta) * (g - gbar)
        np.subtract(g, gbar, out=tmp)
        np.multiply(one_minus_beta, tmp, out=tmp)
        np.add(gbar, tmp, out=gbar)
        np.multiply(gbar, gbar, out=tmp)  # d = sqrt(v - gbar * gbar) + eps
        np.subtract(v, tmp, out=tmp)
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(v, out=tmp)  # d = sqrt(v) + eps
    np.add(tmp, eps, out=tmp)
    np.divide(g, tmp, out=tmp)  # u = g / d
    if b is not None:
        np.multiply(momentum, b, out=b)  # b = momentum * b + u
        np.add(b, tmp, out=b)
        np.multiply(lr, b, out=tmp)  # x = x - lr * b
    else:
        np.multiply(lr, tmp, out=tmp)  # x = x - lr * u
    np.subtract(x, tmp, out=x)
