"""Machinery shared by the rmslab.torch optimizers: argument checks and the step loop.

Every optimizer here is a :class:`torch.optim.Optimizer` subclass. The base class
:class:`RmslabOptimizer` does the work that is the same for all of them (closure, ``no_grad``,
collecting the parameters that have a gradient, lazy state creation, low-precision parameters,
``state_dict`` loading), so each optimizer module only has to write its update rule.
"""

import math
from itertools import chain

import numpy as np
import torch
from torch.optim import Optimizer

from rmslab import validation

LOW_PRECISION = (torch.float16, torch.bfloat16)


def check_number(name, value, high=math.inf, high_closed=False, allow_tensor=False, label=None):
    """Check that ``value`` is a real number in ``[0, high)`` (or ``[0, high]``), with the
    contract and wording of :mod:`rmslab.validation`.

    A one-element real tensor passes when ``allow_tensor`` is true (torch accepts a tensor
    ``lr`` and tensor betas); any other tensor raises torch's "Tensor lr must be 1-element".
    Returns the tensor, or the number as a Python float (so a NumPy scalar or 0-d array
    works wherever torch expects a number).
    """
    if isinstance(value, torch.Tensor):
        if not allow_tensor or value.is_complex():
            raise ValueError(
                f"{name} must be a real number in {validation.interval(high, high_closed)}, "
                f"got a Tensor {value!r}"
            )
        if value.numel() != 1:
            raise ValueError(
                f"Tensor {name} must be 1-element, got a Tensor of shape {tuple(value.shape)} "
                f"({name} must be a real number in {validation.interval(high, high_closed)})"
            )
        validation.check_number(name, value.item(), high, high_closed, label)
        return value
    return validation.check_number(name, value, high, high_closed, label)


def check_flag(name, value, allow_none=False):
    """``value`` as a Python bool (or ``None`` where torch allows it); ``ValueError`` if it
    is neither."""
    return validation.check_flag(name, value, allow_none)


def check_implementation(capturable=False, differentiable=False, fused=None, foreach=None):
    """Check torch's implementation switches; reject the ones rmslab.torch does not implement.

    ``capturable=True`` (CUDA graphs) and ``fused=True`` (torch's fused kernels) raise
    ``NotImplementedError``; combinations torch refuses raise torch's ``RuntimeError`` first.
    ``differentiable=True`` is supported on the single-tensor path only (autograd does not
    go through ``torch._foreach_*`` ops), so it cannot be combined with ``foreach=True``.
    """
    check_flag("capturable", capturable)
    check_flag("differentiable", differentiable)
    check_flag("fused", fused, allow_none=True)
    check_flag("foreach", foreach, allow_none=True)
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if fused:
        raise NotImplementedError(
            "fused=True (torch's fused kernels) is not implemented in rmslab.torch; "
            "use foreach=True for the fast path"
        )
    if capturable:
        raise NotImplementedError(
            "capturable=True (CUDA graph capture) is not supported by rmslab.torch "
            "(CPU reference code); use capturable=False"
        )
    if differentiable and foreach:
        raise ValueError(
            "foreach=True and differentiable=True cannot be combined: autograd does not go "
            "through torch._foreach ops; use foreach=False or None"
        )


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
    """A state buffer shaped like ``param`` (same memory format) filled with ``fill``; for a
    complex parameter both parts get ``fill`` (its real view is filled, as in torch)."""
    if param.is_complex():
        fill = complex(fill, fill)
    return torch.full_like(
        param, fill, dtype=state_dtype(param), memory_format=torch.preserve_format
    )


def plus_eps(root: torch.Tensor, eps: float) -> torch.Tensor:
    """``root + eps``, in place unless autograd records the step (``differentiable=True``):
    the backward of ``sqrt`` needs its output unchanged."""
    return root.add(eps) if torch.is_grad_enabled() else root.add_(eps)


class RmslabOptimizer(Optimizer):
    """Base class: runs the closure, then calls ``_update`` once per parameter group.

    Subclasses implement ``_init_state(param, state, group)`` (fill an empty state dict),
    ``_update(group, params, grads, states)`` and, if a group can keep no state at all,
    ``_stateless(group)``, and list every state key in ``STATE_KEYS``. ``_update`` receives
    working tensors (:func:`working_tensor`): for float16/bfloat16 parameters float32 copies
    of the parameter and the gradient, written back after the update (so state and arithmetic
    are float32, see the package docstring); for complex parameters the real views of the
    parameter, the gradient and the state. Gradients must never be modified in place. With
    ``differentiable=True`` the update runs with autograd on.
    """

    STATE_KEYS: tuple[str, ...] = ()

    def __init__(self, params, defaults):
        # NumPy booleans pass the checks; store Python ones (a checkpoint stays plain data).
        plain = {k: bool(v) if isinstance(v, np.bool_) else v for k, v in defaults.items()}
        super().__init__(params, plain)

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
        """Load like torch, keep float32 state for float16/bfloat16 parameters, and refuse a
        state that belongs to another optimizer or to parameters of another shape.

        torch casts every loaded state tensor except ``step`` to the parameter dtype; for a
        low-precision parameter that would round the float32 state, so it is re-read at
        float32 from the dict torch loaded: the one returned by the last
        ``register_load_state_dict_pre_hook``, if any.
        """
        loaded = {}
        capture = self.register_load_state_dict_pre_hook(lambda _, d: loaded.update(final=d))
        try:
            super().load_state_dict(state_dict)
        finally:
            capture.remove()
        final = loaded.get("final", state_dict)
        saved_ids = chain.from_iterable(g["params"] for g in final["param_groups"])
        groups = [(p, g) for g in self.param_groups for p in g["params"]]
        for saved_id, (param, group) in zip(saved_ids, groups, strict=True):
            if param not in self.state:
                continue
            self._check_loaded_state(param, self.state[param], group)
            if param.dtype not in LOW_PRECISION or saved_id not in final["state"]:
                continue
            for key, value in final["state"][saved_id].items():
                if key != "step" and torch.is_tensor(value):
                    self.state[param][key] = value.to(
                        device=param.device, dtype=torch.float32, copy=True
                    )

    def _check_loaded_state(self, param, state, group):
        """``ValueError`` unless ``state`` has the keys and shapes this optimizer creates."""
        name = type(self).__name__
        unknown = sorted(set(state) - set(self.STATE_KEYS))
        if unknown:
            raise ValueError(
                f"the loaded state has keys {unknown} that {name} never creates (its keys: "
                f"{sorted(self.STATE_KEYS)}): it belongs to another optimizer"
            )
        fresh = {}
        self._init_state(param, fresh, group)
        missing = sorted(set(fresh) - set(state))
        if missing:
            raise ValueError(
                f"the loaded state lacks {missing}, which {name} needs: it belongs to "
                "another optimizer"
            )
        for key, value in state.items():
            if key != "step" and torch.is_tensor(value) and value.shape != param.shape:
                raise ValueError(
                    f"the loaded state[{key!r}] has shape {tuple(value.shape)}, but its "
                    f"parameter has shape {tuple(param.shape)}: it belongs to other parameters"
                )

    def _state_for(self, param, group):
        """``self.state[param]``, initialised on first use."""
        state = self.state[param]
        if not state:
            self._init_state(param, state, group)
        return state

    def _use_foreach(self, group, params) -> bool:
        """torch's rule: ``foreach=None`` means foreach only when every tensor is on CUDA and
        the step need not be differentiable."""
        if group["foreach"] is not None:
            return group["foreach"]
        return not group["differentiable"] and all(p.device.type == "cuda" for p in params)

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
        with torch.set_grad_enabled(self.defaults["differentiable"]):
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
        if self._stateless(group):
            states = [{} for _ in params]  # throwaway dicts: nothing is stored, as in torch
        else:
            states = [self._state_for(param, group) for param in params]
        work_params = [working_tensor(p) for p in params]
        work_grads = [
            working_tensor(p.grad).to(w.dtype) for p, w in zip(params, work_params, strict=True)
        ]
        work_states = [
            real_views(state) if p.is_complex() else state
            for p, state in zip(params, states, strict=True)
        ]
        self._update(group, work_params, work_grads, work_states)
        for param, work, state, work_state in zip(
            params, work_params, states, work_states, strict=True
        ):
            if work_state is not state:
                keep_new_entries(state, work_state)
            if param.dtype in LOW_PRECISION:
                param.copy_(work)


def working_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """What the update computes on: the real view of a complex tensor (``torch.view_as_real``,
    so each real and imaginary part is one coordinate, as in torch), a float32 copy of a
    float16/bfloat16 one, else the tensor itself."""
    if tensor.is_complex():
        return torch.view_as_real(tensor)
    return tensor.float() if tensor.dtype in LOW_PRECISION else tensor


def real_views(state: dict) -> dict:
    """A complex parameter's state with each complex tensor replaced by its real view; an
    in-place update of a view updates the stored complex tensor."""
    return {
        k: torch.view_as_real(v) if torch.is_tensor(v) and v.is_complex() else v
        for k, v in state.items()
    }


def keep_new_entries(state: dict, work_state: dict) -> None:
    """Store what an update put into ``work_state`` (a complex parameter's state seen through
    :func:`real_views`) back into ``state``: new real tensors as complex ones."""
    for key, value in work_state.items():
        stored = state.get(key)
        if stored is value or not torch.is_tensor(value) or key == "step":
            state[key] = value
        elif not (torch.is_tensor(stored) and stored.is_complex()):
            state[key] = torch.view_as_complex(value)
        elif value.data_ptr() != stored.data_ptr():
            state[key] = torch.view_as_complex(value)
