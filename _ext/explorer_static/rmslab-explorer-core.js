/* rmslab explorer, numerics: the book's 2-D problems and update rules, in float64.
 *
 * Each function follows the operation order of the numpy code it mirrors (rmslab/problems and
 * rmslab/optim, named in the comments), so a trajectory equals rmslab's to rounding:
 * tests/browser/test_explorer.py runs every optimizer x convention x problem here and in
 * rmslab and compares them over 300 steps. Two helpers make JavaScript round like numpy does:
 *   fma(a, b, c)  numpy's x @ A on this machine uses a fused multiply-add (one rounding);
 *   powi(b, t)    Python's b**t (C pow) is correctly rounded where V8's Math.pow is not.
 * No DOM here: the page code (rmslab-explorer.js) draws; node can load this file as well.
 */
(function (root) {
  "use strict";

  /* Error-free transformations (Dekker 1971, Knuth): a*b = p + e and a+b = s + e exactly. */
  function split(a) {
    const c = 134217729 * a; // 2^27 + 1
    const hi = c - (c - a);
    return [hi, a - hi];
  }
  function twoProduct(a, b) {
    const p = a * b;
    const [ah, al] = split(a);
    const [bh, bl] = split(b);
    return [p, ah * bh - p + ah * bl + al * bh + al * bl];
  }
  function twoSum(a, b) {
    const s = a + b;
    const bb = s - a;
    return [s, a - (s - bb) + (b - bb)];
  }

  /** a*b + c rounded once (exact except in double-rounding corner cases). */
  function fma(a, b, c) {
    const [p, e] = twoProduct(a, b);
    if (!isFinite(p) || !isFinite(c)) return a * b + c;
    const [s, t] = twoSum(p, c);
    return s + (t + e);
  }

  /** b**t for an integer t >= 0, by squaring in double-double, rounded once at the end. */
  function powi(b, t) {
    let rh = 1, rl = 0, bh = b, bl = 0;
    while (t > 0) {
      if (t & 1) [rh, rl] = ddMul(rh, rl, bh, bl);
      t >>= 1;
      if (t) [bh, bl] = ddMul(bh, bl, bh, bl);
    }
    return rh + rl;
  }
  function ddMul(xh, xl, yh, yl) {
    let [p, e] = twoProduct(xh, yh);
    e += xh * yl + xl * yh;
    const s = p + e;
    return [s, e - (s - p)];
  }

  /* ---------------------------------------------------------------- problems (rmslab.problems) */

  /** quadratic(kappa, angle): A = R diag(1/kappa, 1) R^T, symmetrised; start (-4, 2). */
  function quadratic(kappa, angle) {
    if (!(isFinite(kappa) && kappa >= 1)) throw new RangeError(`kappa must be in [1, inf), got ${kappa}`);
    const lam = [1.0 / kappa, 1.0]; // L * geomspace(1/kappa, 1, 2) with L = 1
    const c = Math.cos(angle), s = Math.sin(angle);
    const R = [[c, -s], [s, c]];
    const RD = [[R[0][0] * lam[0], R[0][1] * lam[1]], [R[1][0] * lam[0], R[1][1] * lam[1]]];
    const M = [[0, 0], [0, 0]];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) M[i][j] = fma(RD[i][1], R[j][1], RD[i][0] * R[j][0]);
    const A = [[0.5 * (M[0][0] + M[0][0]), 0.5 * (M[0][1] + M[1][0])],
               [0.5 * (M[1][0] + M[0][1]), 0.5 * (M[1][1] + M[1][1])]];
    const grad = (x) => [fma(x[1], A[1][0], x[0] * A[0][0]), fma(x[1], A[1][1], x[0] * A[0][1])];
    return {
      name: angle ? `rotated quadratic (kappa=${kappa})` : `quadratic (kappa=${kappa})`,
      A, grad,
      loss(x) { const g = grad(x); return 0.5 * (g[0] * x[0] + g[1] * x[1]); },
      x0: [-4, 2], minimizer: [0, 0], minValue: 0, bounds: [[-5, 5], [-3, 3]],
    };
  }

  /** rosenbrock(a, b): (a - u)^2 + b (v - u^2)^2; start (-1.2, 1). */
  function rosenbrock(a = 1, b = 100) {
    return {
      name: `Rosenbrock (a=${a}, b=${b})`,
      grad(x) {
        const u = x[0], v = x[1], gap = v - u * u;
        return [-2 * (a - u) - 4 * b * u * gap, 2 * b * gap];
      },
      loss(x) {
        const u = x[0], v = x[1], p = a - u, q = v - u * u;
        return p * p + b * (q * q);
      },
      x0: [-1.2, 1], minimizer: [a, a * a], minValue: 0, bounds: [[-2, 2], [-1, 3]],
    };
  }

  /** plateau_cliff(): plateau, smoothstep cliff, walled valley along u; bowl along v. */
  function plateauCliff(height = 1, slope = 1e-3, width = 0.5, wall = 10, bowl = 0.05) {
    const floorEdge = -2 * width, rightEdge = 4.0;
    const uStar = floorEdge - slope / wall;
    const smooth = (u) => {
      const z = Math.min(Math.max((u + width) / width, 0.0), 1.0);
      return [z * z * (3 - 2 * z), 6 * z * (1 - z)];
    };
    const walls = (u) => [Math.min(u - floorEdge, 0.0), Math.max(u - rightEdge, 0.0)];
    return {
      name: `plateau-cliff (H=${height}, slope=${slope}, c=${wall})`,
      grad(x) {
        const u = x[0], v = x[1], [, ds] = smooth(u), [l, r] = walls(u);
        return [(height / width) * ds + slope + wall * (l + r), bowl * v];
      },
      loss(x) {
        const u = x[0], v = x[1], [s] = smooth(u), [l, r] = walls(u);
        return height * s + slope * u + 0.5 * wall * (l * l + r * r) + 0.5 * bowl * (v * v);
      },
      x0: [3, 1], minimizer: [uStar, 0], minValue: slope * uStar + (slope * slope) / (2 * wall),
      bounds: [[-2.5, 4.5], [-1.5, 1.5]],
    };
  }

  /** A problem from a plain description: {kind, kappa} with kind one of PROBLEM_KINDS. */
  function makeProblem(spec) {
    switch (spec.kind) {
      case "quadratic": return quadratic(spec.kappa ?? 10, 0);
      case "rotated quadratic": return quadratic(spec.kappa ?? 10, Math.PI / 4);
      case "Rosenbrock": return rosenbrock();
      case "plateau-cliff": return plateauCliff();
      default: throw new RangeError(`problem must be one of ${PROBLEM_KINDS.join(", ")}, got ${spec.kind}`);
    }
  }
  const PROBLEM_KINDS = ["quadratic", "rotated quadratic", "Rosenbrock", "plateau-cliff"];

  /* ------------------------------------------------------ update rules (rmslab.optim, per coordinate) */
  const both = (f) => [f(0), f(1)];

  /** _gd.update */
  function gd(h) {
    return {
      init: () => ({ step: 0 }),
      step(x, g, st) {
        const gg = both((i) => g[i] + h.weight_decay * x[i]);
        return [both((i) => x[i] - h.lr * gg[i]), { step: st.step + 1 }];
      },
    };
  }

  /** _momentum.update: torch's buffer b_1 = g_1, then b = mu b + (1 - tau) g; Nesterov g + mu b. */
  function momentum(h) {
    return {
      init: () => ({ b: null, step: 0 }),
      step(x, g, st) {
        const gg = both((i) => g[i] + h.weight_decay * x[i]);
        if (h.momentum === 0) return [both((i) => x[i] - h.lr * gg[i]), { b: null, step: st.step + 1 }];
        const b = st.b === null ? gg.slice() : both((i) => h.momentum * st.b[i] + (1 - h.dampening) * gg[i]);
        const dir = h.nesterov ? both((i) => gg[i] + h.momentum * b[i]) : b;
        return [both((i) => x[i] - h.lr * dir[i]), { b, step: st.step + 1 }];
      },
    };
  }

  /** _adagrad.update */
  function adagrad(h) {
    return {
      init: () => ({ s: [h.initial_accumulator_value, h.initial_accumulator_value], step: 0 }),
      step(x, g, st) {
        const t = st.step + 1;
        const gg = both((i) => g[i] + h.weight_decay * x[i]);
        const lrT = h.lr / (1 + (t - 1) * h.lr_decay);
        const s = both((i) => st.s[i] + gg[i] * gg[i]);
        const d = both((i) => (h.eps_in_sqrt ? Math.sqrt(s[i] + h.eps) : Math.sqrt(s[i]) + h.eps));
        let u = both((i) => gg[i] / d[i]);
        if (h.safe) u = both((i) => (d[i] > 0 ? u[i] : 0.0));
        return [both((i) => x[i] - lrT * u[i]), { s, step: t }];
      },
    };
  }

  /** _rmsprop.update, every convention: eps_in_sqrt, v0, centered (+safe), lr_in_momentum,
   * nesterov, bias_correction, coupled or decoupled weight decay. */
  function rmsprop(h) {
    const hasMomentum = h.momentum > 0;
    return {
      init: () => ({
        v: [h.initial_square_avg, h.initial_square_avg],
        gbar: h.centered ? [0, 0] : null,
        b: hasMomentum ? [0, 0] : null,
        step: 0,
      }),
      step(x, g, st) {
        const t = st.step + 1;
        let gg = g;
        if (h.decoupled_weight_decay) x = both((i) => x[i] * (1 - h.lr * h.weight_decay));
        else gg = both((i) => g[i] + h.weight_decay * x[i]);
        const v = both((i) => h.beta * st.v[i] + (1 - h.beta) * gg[i] * gg[i]);
        const gbar = h.centered ? both((i) => st.gbar[i] + (1 - h.beta) * (gg[i] - st.gbar[i])) : null;
        let vHat = v, gHat = gbar;
        if (h.bias_correction) {
          const c = 1 - powi(h.beta, t);
          vHat = both((i) => v[i] / c);
          gHat = h.centered ? both((i) => gbar[i] / c) : null;
        }
        let ms = h.centered ? both((i) => vHat[i] - gHat[i] * gHat[i]) : vHat;
        if (h.safe) ms = both((i) => Math.max(ms[i], 0.0)); // NaN stays NaN, as in np.maximum
        const d = both((i) => (h.eps_in_sqrt ? Math.sqrt(ms[i] + h.eps) : Math.sqrt(ms[i]) + h.eps));
        let u = both((i) => gg[i] / d[i]);
        if (h.safe) u = both((i) => (d[i] > 0 ? u[i] : 0.0));
        let b = st.b, delta;
        if (b === null) delta = both((i) => h.lr * u[i]);
        else if (h.lr_in_momentum) {
          b = both((i) => h.momentum * st.b[i] + h.lr * u[i]);
          delta = h.nesterov ? both((i) => h.lr * u[i] + h.momentum * b[i]) : b;
        } else {
          b = both((i) => h.momentum * st.b[i] + u[i]);
          delta = h.nesterov ? both((i) => h.lr * (u[i] + h.momentum * b[i])) : both((i) => h.lr * b[i]);
        }
        return [both((i) => x[i] - delta[i]), { v, gbar, b, step: t }];
      },
    };
  }

  /** _adam.update: Algorithm 1 (eps on the corrected root) or eps_hat; amsgrad; AdamW decay. */
  function adam(h) {
    const [b1, b2] = h.betas;
    return {
      init: () => ({ m: [0, 0], v: [0, 0], vmax: h.amsgrad ? [0, 0] : null, step: 0 }),
      step(x, g, st) {
        const t = st.step + 1;
        let gg = g;
        if (h.decoupled_weight_decay) x = both((i) => x[i] * (1 - h.lr * h.weight_decay));
        else gg = both((i) => g[i] + h.weight_decay * x[i]);
        const m = both((i) => b1 * st.m[i] + (1 - b1) * gg[i]);
        const v = both((i) => b2 * st.v[i] + (1 - b2) * gg[i] * gg[i]);
        const vmax = h.amsgrad ? both((i) => Math.max(st.vmax[i], v[i])) : null;
        const vUsed = h.amsgrad ? vmax : v;
        const c1 = 1 - powi(b1, t), c2 = 1 - powi(b2, t);
        const delta = h.eps_hat
          ? both((i) => ((h.lr * Math.sqrt(c2)) / c1) * m[i] / (Math.sqrt(vUsed[i]) + h.eps))
          : both((i) => ((h.lr / c1) * m[i]) / (Math.sqrt(vUsed[i]) / Math.sqrt(c2) + h.eps));
        return [both((i) => x[i] - delta[i]), { m, v, vmax, step: t }];
      },
    };
  }

  /* Each optimizer's hyperparameters and rmslab's defaults (the factories' keyword defaults). */
  const DEFAULTS = {
    gd: { lr: 1e-3, weight_decay: 0 },
    momentum: { lr: 1e-3, momentum: 0.9, dampening: 0, nesterov: false, weight_decay: 0 },
    adagrad: { lr: 1e-2, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10, eps_in_sqrt: false, safe: false },
    rmsprop: {
      lr: 1e-2, beta: 0.99, eps: 1e-8, eps_in_sqrt: false, initial_square_avg: 0, centered: false, safe: false,
      momentum: 0, nesterov: false, lr_in_momentum: false, weight_decay: 0, decoupled_weight_decay: false, bias_correction: false,
    },
    adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, decoupled_weight_decay: false, eps_hat: false },
  };
  const RULES = { gd, momentum, adagrad, rmsprop, adam };

  /** An optimizer by rmslab.optim factory name, with rmslab's defaults for missing settings. */
  function makeOptimizer(name, settings = {}) {
    if (!(name in RULES)) throw new RangeError(`optimizer must be one of ${Object.keys(RULES).join(", ")}, got ${name}`);
    const unknown = Object.keys(settings).filter((k) => !(k in DEFAULTS[name]));
    if (unknown.length) throw new RangeError(`${name} has no setting ${unknown.join(", ")}`);
    return RULES[name]({ ...DEFAULTS[name], ...settings });
  }

  /** Run `steps` steps from the problem's start: positions xs[0..steps], losses, gradients. */
  function run(name, settings, problem, steps) {
    const opt = makeOptimizer(name, settings);
    let x = problem.x0.slice(), st = opt.init();
    const xs = [x], grads = [], losses = [problem.loss(x)];
    for (let t = 0; t < steps; t++) {
      const g = problem.grad(x);
      [x, st] = opt.step(x, g, st);
      xs.push(x); grads.push(g); losses.push(problem.loss(x));
    }
    return { xs, grads, losses };
  }

  const api = { fma, powi, makeProblem, makeOptimizer, run, DEFAULTS, PROBLEM_KINDS };
  root.rmslabExplorerCore = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof window !== "undefined" ? window : globalThis);
