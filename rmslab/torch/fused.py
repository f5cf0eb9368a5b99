r"""``RMSProp(fused=True)``: the whole update of one parameter as one compiled elementwise pass.

The unfused step reads and writes each tensor several times (one pass per ``torch`` op:
``mul_``, ``addcmul_``, ``sqrt``, ``add_``, ``addcdiv_``, ...). Here the update is written as
one function of the parameter, its gradient and its state, and ``torch.compile`` (Inductor)
turns it into a single loop that reads ``param``, ``grad``, ``square_avg`` (and ``grad_avg``,
``momentum_buffer``) once and writes them once: on a memory-bound CPU that is close to the
cost of one ``add(b, c, out=a)``.

To avoid recompiling for every hyperparameter value, the scalars travel in one small tensor
(see :class:`FusedScalars`) and every convention is expressed by numbers rather than branches:
``maximize`` is a sign of :math:`\pm 1`; eps inside or outside the root is
:math:`\sqrt{v + \epsilon_{in}} + \epsilon_{out}` with one of the two zero; the safe clamp is a
floor of 0 or :math:`-\infty`, and safe mode's "no step where the denominator is 0" divides by
:math:`\infty` there. Multiplying by exactly 1 or adding exactly 0 does not change a finite
float, so the results equal the branching code up to the rounding of a fused loop. Only
centering and momentum change which tensors are touched, so there are four kernels. They are
compiled with ``dynamic=True``: once per kernel, dtype and number of dimensions (plus once for
one-element tensors). The first compile in a process takes seconds (Inductor writes C++ and
runs the compiler; its on-disk cache makes later processes faster). After that each call
still costs a fraction of a millisecond of guard checking per parameter, so ``fused=True``
pays off for large tensors (10M elements: about 6x faster than the unfused step on the
course machine, see ``benchmarks/optimizer_step.py``), not for many tiny ones.

If ``torch.compile`` fails (no C++ compiler, unsupported platform), a warning is issued once
and the same kernels run uncompiled: correct, but one pass per op.
"""

import warnings
from typing import NamedTuple

import torch


class FusedScalars(NamedTuple):
    """The hyperparameters of one fused step, as numbers (see the module docstring)."""

    sign: float  # -1 when maximizing
    coupled_decay: float  # lambda added to the gradient (coupled L2), else 0
    shrink: float  # 1 - lr * lambda for decoupled weight decay, else 1
    alpha: float
    one_minus_alpha: float
    bias_correction: float  # 1 - alpha**t, or 1 without bias correction
    floor: float  # 0 for the safe clamp of v - gbar^2, else -inf
    zero_denominator: float  # inf in safe mode (g / inf = 0: no step where d = 0), else 0
    eps_inside: float
    eps_outside: float
    lr: float  # used without momentum
    momentum: float
    lr_inner: float  # buffer <- momentum * buffer + lr_inner * direction
    lr_outer: float  # param <- param - lr_outer * (buffer_weight * buffer + ...)
    buffer_weight: float  # 1, or momentum for Nesterov
    direction_weight: float  # 0, or lr_inner for Nesterov


def _gradient_and_param(param, grad, s):
    return grad * s.sign + s.coupled_decay * param, param * s.shrink


def _square_avg(square_avg, g, s):
    return square_avg * s.alpha + s.one_minus_alpha * (g * g)


def _direction(g, second_moment, s):
    denominator = torch.sqrt(second_moment + s.eps_inside) + s.eps_outside
    return g / torch.where(denominator == 0, s.zero_denominator, denominator)


def _centered(square_avg, grad_avg, g, s):
    r"""New ``grad_avg`` and the clamped variance estimate :math:`\hat v - \hat{\bar g}^2`."""
    grad_avg = grad_avg + s.one_minus_alpha * (g - grad_avg)
    mean = grad_avg / s.bias_correction
    variance = square_avg / s.bias_correction - mean * mean
    return grad_avg, torch.maximum(variance, s.floor)


def _momentum_step(param, p, buffer, direction, s):
    new_buffer = buffer * s.momentum + s.lr_inner * direction
    buffer.copy_(new_buffer)
    param.copy_(p - s.lr_outer * (s.buffer_weight * new_buffer + s.direction_weight * direction))


def _plain_kernel(param, grad, square_avg, scalars):
    s = FusedScalars(*scalars.unbind())
    g, p = _gradient_and_param(param, grad, s)
    v = _square_avg(square_avg, g, s)
    square_avg.copy_(v)
    param.copy_(p - s.lr * _direction(g, v / s.bias_correction, s))


def _centered_kernel(param, grad, square_avg, grad_avg, scalars):
    s = FusedScalars(*scalars.unbind())
    g, p = _gradient_and_param(param, grad, s)
    v = _square_avg(square_avg, g, s)
    new_grad_avg, variance = _centered(v, grad_avg, g, s)
    square_avg.copy_(v)
    grad_avg.copy_(new_grad_avg)
    param.copy_(p - s.lr * _direction(g, variance, s))


def _momentum_kernel(param, grad, square_avg, buffer, scalars):
    s = FusedScalars(*scalars.unbind())
    g, p = _gradient_and_param(param, grad, s)
    v = _square_avg(square_avg, g, s)
    square_avg.copy_(v)
    _momentum_step(param, p, buffer, _direction(g, v / s.bias_correction, s), s)


def _centered_momentum_kernel(param, grad, square_avg, grad_avg, buffer, scalars):
    s = FusedScalars(*scalars.unbind())
    g, p = _gradient_and_param(param, grad, s)
    v = _square_avg(square_avg, g, s)
    new_grad_avg, variance = _centered(v, grad_avg, g, s)
    square_avg.copy_(v)
    grad_avg.copy_(new_grad_avg)
    _momentum_step(param, p, buffer, _direction(g, variance, s), s)


_KERNELS = {
    (False, False): _plain_kernel,
    (True, False): _centered_kernel,
    (False, True): _momentum_kernel,
    (True, True): _centered_momentum_kernel,
}
_compiled_kernels = {}
_compiler_works = True


def _compile(kernel):
    return torch.compile(kernel, dynamic=True, fullgraph=True)


def run_kernel(centered, has_momentum, tensors, scalars: FusedScalars):
    """Apply one fused update to ``tensors`` (param, grad, square_avg[, grad_avg][, buffer])."""
    global _compiler_works
    kernel = _KERNELS[centered, has_momentum]
    scalar_tensor = torch.tensor(scalars, dtype=tensors[2].dtype, device=tensors[2].device)
    if _compiler_works:
        if kernel not in _compiled_kernels:
            _compiled_kernels[kernel] = _compile(kernel)
        try:
            _compiled_kernels[kernel](*tensors, scalar_tensor)
            return
        except Exception as error:  # any failure to compile means: fall back to eager
            _compiler_works = False
            warnings.warn(
                "RMSProp(fused=True): torch.compile is not available here "
                f"({type(error).__name__}: {error}); running the fused update uncompiled "
                "(same numbers, one pass per op).",
                RuntimeWarning,
                stacklevel=4,
            )
    kernel(*tensors, scalar_tensor)
