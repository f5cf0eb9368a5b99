r"""From RMSProp to Adam in small steps: bare update rules, written so that each one differs
from the previous one by a few lines, and :func:`diff` to show exactly which lines.

All functions are pure NumPy (no input is modified) and use one naming scheme, so that a diff
shows only what the algorithm changes: ``v`` is the running mean of :math:`g^2` with decay
``beta2`` (Chapter 4's :math:`\beta`), ``m`` the running mean of :math:`g` with decay ``beta1``,
``b`` a momentum buffer with coefficient ``mu`` and ``t`` the number of steps taken. Every rule
equals the corresponding ``torch.optim`` optimizer (or ``rmslab.optim`` factory) to rounding;
the full-featured versions live in :mod:`rmslab.optim`.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import textwrap

import numpy as np


def rmsprop(x, g, v, *, lr, beta2, eps):
    r"""RMSProp (torch ``RMSprop(alpha=beta2)``): returns ``(x, v)``.

    .. math::
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
        x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon}
    """
    v = beta2 * v + (1 - beta2) * g**2
    x = x - lr * g / (np.sqrt(v) + eps)
    return x, v


def rmsprop_momentum(x, g, v, b, *, lr, beta2, mu, eps):
    r"""RMSProp with momentum as torch does it (``RMSprop(alpha=beta2, momentum=mu)``): the
    buffer accumulates *normalised* steps. Returns ``(x, v, b)``.

    .. math::
        b_t = \mu\, b_{t-1} + \frac{g_t}{\sqrt{v_t} + \epsilon}, \qquad x_t = x_{t-1} - \eta\, b_t
    """
    v = beta2 * v + (1 - beta2) * g**2
    b = mu * b + g / (np.sqrt(v) + eps)
    x = x - lr * b
    return x, v, b


def adam_uncorrected(x, g, v, m, *, lr, beta2, beta1, eps):
    r"""Adam without bias correction: the momentum is a running *mean of raw gradients*,
    divided by the current root. Returns ``(x, v, m)``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        x_t = x_{t-1} - \eta\, \frac{m_t}{\sqrt{v_t} + \epsilon}
    """
    v = beta2 * v + (1 - beta2) * g**2
    m = beta1 * m + (1 - beta1) * g
    x = x - lr * m / (np.sqrt(v) + eps)
    return x, v, m


def adam(x, g, v, m, t, *, lr, beta2, beta1, eps):
    r"""Adam, Algorithm 1 of Kingma & Ba (torch ``Adam(betas=(beta1, beta2))``): both running
    means are divided by :math:`1 - \beta^t`, which undoes their start at zero. ``t`` is the
    number of steps taken before this one. Returns ``(x, v, m, t + 1)``.

    .. math::
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
        x_t = x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    With ``beta1=0`` this is RMSProp with bias correction and ``eps`` outside the root.
    """
    t = t + 1
    v = beta2 * v + (1 - beta2) * g**2
    m = beta1 * m + (1 - beta1) * g
    v_hat = v / (1 - beta2**t)
    m_hat = m / (1 - beta1**t)
    x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
    return x, v, m, t


def code_lines(function) -> list[str]:
    """Source lines of ``function`` without its docstring, dedented."""
    source = textwrap.dedent(inspect.getsource(function))
    lines = source.splitlines()
    body = ast.parse(source).body[0].body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        del lines[first.lineno - 1 : first.end_lineno]
    return lines


def diff(old, new) -> str:
    """Unified diff from function ``old`` to function ``new`` (docstrings left out), with the
    whole function as context: ``-`` lines are removed, ``+`` lines added."""
    old_lines, new_lines = code_lines(old), code_lines(new)
    context = max(len(old_lines), len(new_lines))
    return "\n".join(
        difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile=old.__name__,
            tofile=new.__name__,
            n=context,
            lineterm="",
        )
    )
