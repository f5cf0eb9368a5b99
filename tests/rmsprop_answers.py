"""Lab 4's first exercise, `rmsprop_step`, answered as students answer it: right (two ways of
placing eps) and with one typical mistake each. Lab 4's checker tests catalogue the mistakes;
Lab 6's reuse them, since its first exercise is the same step.
"""

import numpy as np

# ---------------------------------------------------------------- right


def rmsprop_step(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def rmsprop_step_eps_inside(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return x - lr * g / np.sqrt(v_new + eps), v_new


# ---------------------------------------------------------------- one mistake each


def step_sum(x, g, v, lr, beta, eps):
    v_new = v + g**2
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def step_swapped_beta(x, g, v, lr, beta, eps):
    v_new = (1 - beta) * v + beta * g**2
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def step_no_one_minus_beta(x, g, v, lr, beta, eps):
    v_new = beta * v + g**2
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def step_averages_abs(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * np.abs(g)
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def step_forgets_average(x, g, v, lr, beta, eps):
    v_new = (1 - beta) * g**2
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def step_no_root(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return x - lr * g / (v_new + eps), v_new


def step_no_eps(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return x - lr * g / np.sqrt(v_new), v_new


def step_old_average(x, g, v, lr, beta, eps):
    return x - lr * g / (np.sqrt(v) + eps), beta * v + (1 - beta) * g**2


def step_wrong_sign(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return x + lr * g / (np.sqrt(v_new) + eps), v_new


def step_no_lr(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return x - g / (np.sqrt(v_new) + eps), v_new


def step_inplace_x(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    x -= lr * g / (np.sqrt(v_new) + eps)
    return x, v_new


def step_mean_over_axis(x, g, v, lr, beta, eps):
    v_new = beta * np.mean(v, axis=-1) + (1 - beta) * np.mean(g**2, axis=-1)
    return x - lr * g / (np.sqrt(v_new[..., None]) + eps), v_new


def step_starts_at_g_squared(x, g, v, lr, beta, eps):
    v_new = g**2 if not v.any() else beta * v + (1 - beta) * g**2
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def step_missing_parentheses(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return x - lr * g / np.sqrt(v_new) + eps, v_new


def step_mean_over_coordinates(x, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * np.mean(g**2)
    return x - lr * g / (np.sqrt(v_new) + eps), v_new


def step_zero_division(x, g, v, lr, beta, eps):
    return x / 0, v
