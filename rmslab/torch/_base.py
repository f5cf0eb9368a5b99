"""Machinery shared by the rmslab.torch optimizers: argument checks and the step loop.

Every optimizer here is a :class:`torch.optim.Optimizer` subclass. The base class
:class:`RmslabOptimizer` does the work that is the same for all of them (closure, ``no_grad``,
collecting the parameters that have a gradient, lazy state creation, low-precision parameters,
``state_dict`` loading), so each optimizer module only has to write its update rule.
"""

import math
import numbers
from itertools import chain

import torch
from torch.optim import Optimizer

LOW_PRECISION = (torch.float16, torch.bfloat16)


def interval(low: float, high: float, high_open: bool) -> str:
    """Print a range the way the error messages do, e.g. ``[0, 1)`` or ``[0, inf)``."""
    closing = ")" if high_open or math.isinf(high) else "]"
    return f"[{low:g}, {high:g}{closing}"


def _real_or_none(value, allow_tensor):
    """``value`` as a float if it is a real number (or an allowed one-element tensor)."""
    if isinstance(value, torch.Tensor):
        usable = allow_tensor and value.numel() == 1 and not value.is_complex()
        return value.item() if usable else None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def check_number(name, value, high=math.inf, high_open=True, allow_tensor=False):
    """Check that ``value`` is a finite real number in ``[0, high)`` (or ``[0, high]``).

    Raises ``ValueError`` naming ``name``, the value and the allowed range. A one-element tensor
    passes when ``allow_tensor`` is true (torch accepts a tensor ``lr`` and tensor betas).
    """
    allowed = interval(0.0, high, high_open)
    number = _real_or_none(value, allow_tensor)
    if number is None:
        raise ValueError(
            f"{name} must be a real number in {allowed}, "
            f"got {value!r} of type {type(value).__name__}"
        )
    upper_ok = number < high if high_open else number <= high
    if not (math.isfinite(number) and number >= 0.0 and upper_ok):
        raise ValueError(f"{name} must be a finite number in {allowed}, got {value!r}")


def check_flag(name, value, allow_none=False):
    """Check that ``value`` is ``True`` or ``False`` (or ``None`` where torch allows it)."""
    if isinstance(value, bool) or (allow_none and value is None):
        return
    allowed = "True, False or None" if allow_none else "True or False"
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def check_unsupported(capturable=False, differentiable=False, fused=None, fused_ok=False):
    """Reject torch options that rmslab.torch keeps in the signature but does not implement."""
    for name, value in (("capturable", capturable), ("differentiable", differentiable)):
        check_flag(name, value)
        if value:
            raise NotImplementedError(
                f"{name}=True is not supported by rmslab.torch (CPU reference code); "
                f"use {name}=False"
            )
    check_flag("fused", fused, allow_none=True)
    if fused and not fused_ok:
        raise NotImplementedError("fused=True is implemented for rmslab.torch.RMSProp only")


def as_float(value) -> float:
    """A hyperparameter as a Python float (torch allows a one-element tensor ``lr``)."""
    return value.item() if isinstance(value, torch.Tensor) else float(value)


def step_dtype() -> torch.dtype:
    """dtype of the ``step`` counter: float32, or float64 when that is torch's default dtype."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def new_step_counter() -> torch.Tensor:
    """The ``state["step"]`` tensor torch 2.13 creates: a 0-d float tensor on the CPU."""
    return torch.zeros((), dtype=step_dtype())


def state_dtype(param: torch.Tensor) -> torch.dtype:
    """Optimizer state is float32 for float16/bfloat16 parameters, else the parameter dtype."""
    return torch.float32 if param.dtype in LOW_PRECISION else param.dtype


def zeros_state(param: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """A state buffer shaped like ``param`` (same memory format) filled with ``fill``."""
    return torch.full_like(
        param, fill, dtype=state_dtype(param), memory_format=torch.preserve_format
    )


class RmslabOptimizer(Optimizer):
    """Base class: runs the closure, then calls ``_update`` once per parameter group.

    Subclasses implement ``_init_state(param, state, group)`` (fill an empty state dict),
    ``_update(group, params, grads, states)`` and, if a group can keep no state at all,
    ``_stateless(group)``. ``_update`` receives working tensors: for float16/bfloat16
    parameters these are float32 copies of the parameter and the gradient, written back after
    the update (so state and arithmetic are float32, see the package docstring). Gradients
    must never be modified in place.
    """

    def _init_state(self, param, state, group):
        raise NotImplementedError

    def _stateless(self, group) -> bool:
        """True if the group keeps no state (then ``self.state`` gets no entry, as in torch)."""
        return False

    def _update(self, group, params, grads, states):
        raise NotImplementedError

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)  # a torch checkpoint lacks rmslab's keywords
            for param in group["params"]:
                param_state = self.state.get(param, {})
                if "step" in param_state and not torch.is_tensor(param_state["step"]):
                    param_state["step"] = torch.tensor(
                        float(param_state["step"]), dtype=step_dtype()
                    )

    def load_state_dict(self, state_dict):
        """Load like torch, but keep float32 state for float16/bfloat16 parameters.

        torch casts every loaded state tensor except ``step`` to the parameter dtype; for a
        low-precision parameter that would round the float32 state, so it is re-read from
        ``state_dict`` at float32.
        """
        super().load_state_dict(state_dict)
        saved_ids = chain.from_iterable(g["params"] for g in state_dict["param_groups"])
        params = chain.from_iterable(g["params"] for g in self.param_groups)
        for saved_id, param in zip(saved_ids, params, strict=True):
            if param.dtype not in LOW_PRECISION or saved_id not in state_dict["state"]:
                continue
            for key, value in state_dict["state"][saved_id].items():
                if key != "step" and torch.is_tensor(value):
                    self.state[param][key] = value.to(
                        device=param.device, dtype=torch.float32, copy=True
                    )

    def _state_for(self, param, group):
        """``self.state[param]``, initialised on first use."""
        state = self.state[param]
        if not state:
            self._init_state(param, state, group)
        return state

    def _use_foreach(self, group, params) -> bool:
        """torch's rule: ``foreach=None`` means foreach only when every tensor is on CUDA."""
        if group["foreach"] is not None:
            return group["foreach"]
        return all(p.device.type == "cuda" for p in params)

    def step(self, closure=None):
        """Perform one optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss; it is
                called with gradients enabled, before the update.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group):
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        for param in params:
            if param.grad.is_sparse:
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            if param.is_complex():
                raise RuntimeError(
                    f"{type(self).__name__} does not support complex parameters; "
                    "optimize torch.view_as_real(param) instead"
                )
        if self._stateless(group):
            states = [{} for _ in params]  # throwaway dicts: nothing is stored, as in torch
        else:
            states = [self._state_for(param, group) for param in params]
        work_params = [p.float() if p.dtype in LOW_PRECISION else p for p in params]
        work_grads = [p.grad.to(w.dtype) for p, w in zip(params, work_params, strict=True)]
        self._update(group, work_params, work_grads, states)
        for param, work in zip(params, work_params, strict=True):
            if work is not param:
                param.copy_(work)
