r"""What the optimizer is given: gradients of a recurrent network, step by step through time.

An optimizer only ever sees the gradient that backpropagation computes. For a recurrent network
reading inputs :math:`u_1, \dots, u_T` the loss depends on an early input only through the chain
of hidden states, so

.. math:: \frac{\partial L}{\partial u_t}
          = \frac{\partial L}{\partial h_T}
            \Big(\prod_{k=t+1}^{T} \frac{\partial h_k}{\partial h_{k-1}}\Big)
            \frac{\partial h_t}{\partial u_t},

a product of :math:`T - t` Jacobians that typically shrinks geometrically with the distance
:math:`T - t` (vanishing gradients). :func:`gradient_through_time` measures
:math:`\|\partial L / \partial u_t\|` for every :math:`t`; :func:`train_keeping_model` trains a
task exactly as :meth:`rmslab.problems.torch_tasks.TorchTask.train` does and also returns the
trained model, so that the measurement can be repeated after training with each optimizer.
"""

from __future__ import annotations

import numpy as np
import torch

from rmslab.problems.base import check_int


def gradient_through_time(model, inputs, targets, loss_fn) -> np.ndarray:
    r"""Norm of the loss gradient with respect to each time step's input.

    ``inputs`` has shape ``(batch, T, features)`` (batch first). Returns an array of shape
    ``(T,)`` whose entry ``t`` is :math:`\|\partial L / \partial u_{\cdot, t, \cdot}\|_2`, the
    Euclidean norm over the batch and the features of the gradient of
    ``loss_fn(model(inputs), targets)`` with respect to the inputs at step ``t``. The model's
    parameters are left unchanged and their ``.grad`` untouched.
    """
    if inputs.ndim != 3:
        raise ValueError(f"inputs must have shape (batch, T, features), got {tuple(inputs.shape)}")
    probe = inputs.detach().clone().requires_grad_(True)
    loss = loss_fn(model(probe), targets)
    (grad,) = torch.autograd.grad(loss, probe)
    return grad.norm(dim=(0, 2)).detach().cpu().double().numpy()


def train_keeping_model(task, optimizer_cls, steps: int = 300, **optimizer_kwargs):
    """``(history, model)``: ``task.train(optimizer_cls, steps, **optimizer_kwargs)`` and the
    model it trained.

    The history is exactly what ``task.train`` returns; the model is a fresh ``task.build()``
    holding the trained parameter values.
    """
    steps = check_int("steps", steps, 1)
    if not (isinstance(optimizer_cls, type) and issubclass(optimizer_cls, torch.optim.Optimizer)):
        raise TypeError(
            f"optimizer_cls must be a torch.optim.Optimizer class, got {optimizer_cls!r}"
        )
    kept = []

    class Keeping(optimizer_cls):
        """The same optimizer, remembering the parameters it was given."""

        def __init__(self, params, **kwargs):
            super().__init__(params, **kwargs)
            kept[:] = [p for group in self.param_groups for p in group["params"]]

    Keeping.__name__ = optimizer_cls.__name__
    history = task.train(Keeping, steps, **optimizer_kwargs)
    model = task.build().to(kept[0].dtype)
    with torch.no_grad():
        for fresh, trained in zip(model.parameters(), kept, strict=True):
            fresh.copy_(trained)
    return history, model
