/* rmslab explorer, page side: builds the controls and draws two optimizers on one problem.
 *
 * A chapter places an explorer with a raw HTML block (see _ext/explorer.py):
 *   <div class="rmslab-explorer" data-config='{"problem": "quadratic", "kappa": 10, ...}'>
 *     <p>Fallback text for readers without JavaScript.</p></div>
 * Config keys (all optional): problem, problems (the choices offered), kappa, steps, tol,
 * a and b (each {"optimizer": name, ...settings}, settings as in rmslab.optim), caption.
 * Every input redraws in the next animation frame: paths over the loss landscape, the loss
 * gap, and the per-coordinate effective step |x_t,i - x_t-1,i| / |g_t,i|, with readouts.
 */
(function () {
  "use strict";
  const core = window.rmslabExplorerCore;
  const NAMES = { gd: "GD", momentum: "Momentum", adagrad: "Adagrad", rmsprop: "RMSProp", adam: "Adam" };
  // Okabe-Ito colours of rmslab.plots.OPTIMIZER_COLORS; B gets a second, distinct colour.
  const COLORS = { gd: "#000000", momentum: "#0072B2", adagrad: "#009E73", rmsprop: "#D55E00", adam: "#CC79A7" };
  const SECOND = "#56B4E9";

  /* Controls each optimizer offers: [setting, label, kind, min, max, step]; log sliders hold log10. */
  const LR = ["lr", "learning rate lr", "log", -4, 1, 0.01];
  const EPS = ["eps", "eps", "log", -12, 0, 0.5];
  const SCHEMA = {
    gd: [LR],
    momentum: [LR, ["momentum", "momentum mu", "lin", 0, 0.99, 0.01], ["nesterov", "Nesterov", "bool"]],
    adagrad: [LR, EPS, ["eps_in_sqrt", "eps inside the root", "bool"]],
    rmsprop: [
      LR, ["beta", "beta (decay of v)", "lin", 0, 0.999, 0.001], EPS,
      ["eps_in_sqrt", "eps inside the root", "bool"],
      ["initial_square_avg", "v0 (initial v)", "choice", ["0", "1"]],
      ["centered", "centered", "bool"], ["safe", "safe (clamp v - g\u0305\u00b2 at 0)", "bool"],
      ["momentum", "momentum mu", "lin", 0, 0.99, 0.01],
      ["lr_in_momentum", "lr inside the momentum buffer (TF1)", "bool"],
      ["nesterov", "Nesterov", "bool"], ["bias_correction", "bias correction", "bool"],
    ],
    adam: [
      LR, ["beta1", "beta1 (decay of m)", "lin", 0, 0.99, 0.01],
      ["beta2", "beta2 (decay of v)", "lin", 0, 0.9999, 0.0001], EPS,
      ["eps_hat", "eps on the uncorrected root (Keras)", "bool"], ["amsgrad", "AMSGrad", "bool"],
    ],
  };
  const START = {
    gd: { lr: 0.1 }, momentum: { lr: 0.1, momentum: 0.9 }, adagrad: { lr: 0.5, eps: 1e-10 },
    rmsprop: { lr: 0.05, beta: 0.9, eps: 1e-8 }, adam: { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  };
  let counter = 0;

  const fmt = (v) => (v === 0 ? "0" : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(+v.toPrecision(3)) : v.toExponential(1));

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    node.append(...children);
    return node;
  }

  /** A labelled control; returns {row, read(), write(v)}; `onchange` fires on every input. */
  function control(id, [name, label, kind, ...range], value, onchange) {
    const lab = el("label", { for: id, text: label });
    let input, out = null, read, write;
    if (kind === "bool") {
      input = el("input", { type: "checkbox", id });
      read = () => input.checked;
      write = (v) => { input.checked = !!v; };
    } else if (kind === "choice") {
      input = el("select", { id });
      for (const option of range[0]) input.append(el("option", { value: option, text: option }));
      read = () => Number(input.value);
      write = (v) => { input.value = String(v); };
    } else {
      const [min, max, step] = range;
      input = el("input", { type: "range", id, min, max, step });
      out = el("output", { for: id });
      const log = kind === "log";
      // A value written by the page (the chapter's configuration) is used exactly, not
      // rounded to the slider's step, until the reader moves the slider.
      let exact = null;
      input.addEventListener("input", () => { exact = null; });
      read = () => (exact !== null ? exact : log ? 10 ** Number(input.value) : Number(input.value));
      write = (v) => { exact = v; input.value = String(log ? (v > 0 ? Math.log10(v) : min) : v); };
      const show = () => {
        out.textContent = fmt(read());
        input.setAttribute("aria-valuetext", `${label} ${fmt(read())}`);
      };
      input.addEventListener("input", show);
      const w = write;
      write = (v) => { w(v); show(); };
    }
    write(value);
    input.addEventListener(kind === "bool" || kind === "choice" ? "change" : "input", onchange);
    const row = el("div", { class: `rx-row rx-${kind}` }, ...(kind === "bool" ? [input, lab] : [lab, input]));
    if (out) row.append(out);
    return { name, row, read, write };
  }

  /** The rmslab.optim settings of one side's controls. */
  function settingsOf(name, controls) {
    const s = {};
    for (const c of controls) s[c.name] = c.read();
    if (name === "adam") {
      s.betas = [s.beta1, s.beta2];
      delete s.beta1; delete s.beta2;
    }
    if ((name === "momentum" || name === "rmsprop") && s.nesterov && !(s.momentum > 0)) s.nesterov = false;
    return s;
  }

  class Explorer {
    constructor(root) {
      const cfg = JSON.parse(root.dataset.config || "{}");
      this.root = root;
      this.uid = `rx${++counter}`;
      this.tol = cfg.tol ?? 1e-6;
      this.pending = false;
      this.onrender = null; // benchmarks and tests may hook the end of a redraw
      root.textContent = "";
      root.classList.add("rx-live");
      const problems = cfg.problems ?? core.PROBLEM_KINDS;
      const top = el("fieldset", { class: "rx-problem" }, el("legend", { text: "Problem" }));
      this.problemSelect = el("select", { id: `${this.uid}-problem` });
      for (const p of problems) this.problemSelect.append(el("option", { value: p, text: p }));
      this.problemSelect.value = cfg.problem ?? problems[0];
      this.problemSelect.addEventListener("change", () => { this.background = null; this.syncKappa(); this.schedule(); });
      top.append(el("div", { class: "rx-row" }, el("label", { for: `${this.uid}-problem`, text: "problem" }), this.problemSelect));
      const redraw = () => this.schedule();
      this.kappa = control(`${this.uid}-kappa`, ["kappa", "condition number kappa", "log", 0, 3, 0.05], cfg.kappa ?? 10, () => { this.background = null; redraw(); });
      this.steps = control(`${this.uid}-steps`, ["steps", "steps", "lin", 10, 1000, 10], cfg.steps ?? 300, redraw);
      top.append(this.kappa.row, this.steps.row);
      this.sides = [this.side("a", "Optimizer A", cfg.a ?? { optimizer: "gd" }), this.side("b", "Optimizer B", cfg.b ?? { optimizer: "rmsprop" })];
      this.canvas = el("canvas", { class: "rx-canvas", role: "img", "aria-label": "explorer plot" });
      this.readout = el("div", { class: "rx-readout", "aria-live": "polite" });
      const controls = el("div", { class: "rx-controls" }, top, ...this.sides.map((s) => s.box));
      root.append(controls, this.canvas, this.readout);
      if (cfg.caption) root.append(el("p", { class: "rx-caption", text: cfg.caption }));
      this.syncKappa();
      new ResizeObserver(() => { this.background = null; this.schedule(); }).observe(root);
      this.schedule();
    }

    /** One optimizer's fieldset: a select of optimizers and that optimizer's controls. */
    side(key, legend, initial) {
      const box = el("fieldset", { class: `rx-side rx-side-${key}` }, el("legend", { text: legend }));
      const id = `${this.uid}-${key}`;
      const select = el("select", { id: `${id}-optimizer` });
      for (const [value, text] of Object.entries(NAMES)) select.append(el("option", { value, text }));
      const holder = el("div");
      box.append(el("div", { class: "rx-row" }, el("label", { for: `${id}-optimizer`, text: "optimizer" }), select), holder);
      const side = { key, box, select, controls: [] };
      const build = (name, values) => {
        holder.textContent = "";
        const start = { ...core.DEFAULTS[name], ...START[name], ...values };
        if (name === "adam" && values.betas) [start.beta1, start.beta2] = values.betas;
        side.controls = SCHEMA[name].map((spec) => control(`${id}-${spec[0]}`, spec, start[spec[0]], () => this.schedule()));
        holder.append(...side.controls.map((c) => c.row));
      };
      const { optimizer, ...values } = initial;
      select.value = optimizer;
      build(optimizer, values);
      select.addEventListener("change", () => { build(select.value, {}); this.schedule(); });
      return side;
    }

    syncKappa() {
      const quadratic = this.problemSelect.value.includes("quadratic");
      this.kappa.row.hidden = !quadratic;
    }

    /** What the controls say: the problem, the number of steps, each side's optimizer. */
    state() {
      return {
        problem: { kind: this.problemSelect.value, kappa: this.kappa.read() },
        steps: this.steps.read(),
        sides: this.sides.map((s) => ({ optimizer: s.select.value, settings: settingsOf(s.select.value, s.controls) })),
      };
    }

    /** Recompute and redraw in the next animation frame (several inputs, one redraw). */
    schedule() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.render(); });
    }

    render() {
      const start = performance.now();
      const state = this.state(), problem = core.makeProblem(state.problem);
      const runs = state.sides.map(({ optimizer, settings }, k) => {
        const run = core.run(optimizer, settings, problem, state.steps);
        run.name = `${"AB"[k]}: ${NAMES[optimizer]}`;
        run.optimizer = optimizer; run.settings = settings;
        run.color = k === 1 && optimizer === state.sides[0].optimizer ? SECOND : COLORS[optimizer];
        run.dash = k === 1 ? [6, 3] : [];
        return summarise(run, problem, this.tol);
      });
      this.runs = runs;
      this.draw(problem, runs);
      this.report(problem, runs);
      [this.renderStart, this.renderMs] = [start, performance.now() - start]; // for benchmarks
      if (this.onrender) this.onrender(runs);
    }

    draw(problem, runs) {
      const c = this.canvas, dpr = window.devicePixelRatio || 1;
      const width = Math.max(300, this.root.clientWidth), narrow = width < 640;
      const height = narrow ? 3 * 220 : 260;
      if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
        c.width = Math.round(width * dpr); c.height = Math.round(height * dpr);
        c.style.width = `${width}px`; c.style.height = `${height}px`;
        this.background = null;
      }
      // Opaque and desynchronized: cheaper to composite, painted without waiting for the page.
      const ctx = c.getContext("2d", { alpha: false, desynchronized: true });
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, width, height);
      const boxes = narrow
        ? [0, 1, 2].map((i) => ({ x: 46, y: i * 220 + 22, w: width - 60, h: 170 }))
        : [0, 1, 2].map((i) => ({ x: 46 + (i * width) / 3, y: 22, w: width / 3 - 60, h: 200 }));
      if (!this.background) this.background = landscape(problem, boxes[0], dpr);
      ctx.drawImage(this.background, boxes[0].x, boxes[0].y, boxes[0].w, boxes[0].h);
      pathPanel(ctx, boxes[0], problem, runs);
      const gap0 = Math.abs(runs[0].gaps[0]) || 1;
      seriesPanel(ctx, boxes[1], "loss gap f(x_t) - f*", runs.map((r) => [r.gaps.map(Math.abs), r]), [gap0 * 1e-12, gap0 * 1e3], this.tol);
      const eff = [];
      for (const r of runs) { eff.push([r.eff[0], r, "x1"]); eff.push([r.eff[1], r, "x2"]); }
      seriesPanel(ctx, boxes[2], "effective step |dx_i| / |g_i|", eff, null, null);
    }

    /** The table under the plot: built once, then only its cells' text changes (cheap layout). */
    report(problem, runs) {
      if (!this.table) {
        const head = ["optimizer", "loss gap", `gap below ${fmt(this.tol)}`, "effective step (x1, x2)"];
        this.caption = el("caption");
        this.cells = runs.map(() => [el("th", { scope: "row" }), el("td"), el("td"), el("td")]);
        this.table = el("table", { class: "rx-table" }, this.caption,
          el("thead", {}, el("tr", {}, ...head.map((text) => el("th", { scope: "col", text })))),
          el("tbody", {}, ...this.cells.map((row) => el("tr", {}, ...row))));
        this.readout.append(this.table);
      }
      const text = (node, value) => { if (node.textContent !== value) node.textContent = value; };
      text(this.caption, `On ${problem.name}, after the last step`);
      runs.forEach((r, k) => {
        const last = r.steps;
        const e = [r.eff[0][last], r.eff[1][last]].map((v) => (isFinite(v) ? fmt(v) : "n/a"));
        const gap = r.diverged !== null ? `diverged at step ${r.diverged}` : fmt(Math.abs(r.gaps[last]));
        const hit = r.hit === null ? `not within ${r.steps} steps` : `${r.hit} steps`;
        [r.name, gap, hit, `${e[0]}, ${e[1]}`].forEach((value, j) => text(this.cells[k][j], value));
      });
      this.canvas.setAttribute("aria-label", `Paths of ${runs.map((r) => r.name).join(" and ")} on ${problem.name}` +
        " over its contour lines, their loss gap and per-coordinate effective step against the step t;" +
        " numbers in the table below.");
    }
  }

  /** Loss gaps, the first step below tol, the step where x stops being finite, effective steps. */
  function summarise(run, problem, tol) {
    const steps = run.xs.length - 1;
    run.steps = steps;
    run.gaps = run.losses.map((f) => f - problem.minValue);
    run.hit = null; run.diverged = null;
    for (let t = 0; t <= steps; t++) {
      if (run.hit === null && Math.abs(run.gaps[t]) < tol) run.hit = t;
      if (run.diverged === null && !(isFinite(run.xs[t][0]) && isFinite(run.xs[t][1]))) run.diverged = t;
    }
    // eff[i][t] for t = 1..steps (eff[i][0] is undefined: no step yet)
    run.eff = [0, 1].map((i) => [NaN, ...run.grads.map((g, t) => Math.abs(run.xs[t + 1][i] - run.xs[t][i]) / Math.abs(g[i]))]);
    return run;
  }

  /** Filled bands of log10(f - f*) over the plot window, computed once per problem and size. */
  function landscape(problem, box, dpr) {
    const w = Math.max(1, Math.round(box.w * dpr)), h = Math.max(1, Math.round(box.h * dpr));
    const canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
    const [[x0, x1], [y0, y1]] = problem.bounds;
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const x = [x0 + ((i + 0.5) / w) * (x1 - x0), y1 - ((j + 0.5) / h) * (y1 - y0)];
        const level = Math.floor(2 * Math.log10(Math.max(problem.loss(x) - problem.minValue, 1e-12)));
        const low = 1 - Math.max(0, Math.min(1, (level + 24) / 32)); // 1 at the minimum
        const odd = level & 1 ? 10 : 0; // alternate half-decade bands
        const k = 4 * (j * w + i);
        img.data[k] = 247 - 60 * low - odd; img.data[k + 1] = 247 - 30 * low - odd; img.data[k + 2] = 247 - odd; img.data[k + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return canvas;
  }

  function frame(ctx, box, title) {
    ctx.strokeStyle = "#595959"; ctx.lineWidth = 1;
    ctx.strokeRect(box.x, box.y, box.w, box.h);
    ctx.fillStyle = "#1a1a1a"; ctx.font = "12px sans-serif"; ctx.textAlign = "left";
    ctx.fillText(title, box.x, box.y - 6);
  }

  function pathPanel(ctx, box, problem, runs) {
    const [[x0, x1], [y0, y1]] = problem.bounds;
    const px = (x) => box.x + ((x[0] - x0) / (x1 - x0)) * box.w;
    const py = (x) => box.y + ((y1 - x[1]) / (y1 - y0)) * box.h;
    frame(ctx, box, "path on the loss landscape");
    ctx.save();
    ctx.beginPath(); ctx.rect(box.x, box.y, box.w, box.h); ctx.clip();
    for (const r of runs) {
      ctx.strokeStyle = r.color; ctx.lineWidth = 1.5; ctx.setLineDash(r.dash);
      ctx.beginPath();
      let started = false;
      for (const x of r.xs) {
        if (!(isFinite(x[0]) && isFinite(x[1]))) break;
        const X = Math.max(-1e4, Math.min(1e4, px(x))), Y = Math.max(-1e4, Math.min(1e4, py(x)));
        if (started) ctx.lineTo(X, Y); else { ctx.moveTo(X, Y); started = true; }
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.fillStyle = "#000";
    ctx.beginPath(); ctx.arc(px(problem.x0), py(problem.x0), 3.5, 0, 2 * Math.PI); ctx.fill();
    ctx.font = "16px sans-serif"; ctx.textAlign = "center"; ctx.fillText("\u2605", px(problem.minimizer), py(problem.minimizer) + 5);
    ctx.restore();
    legend(ctx, box, runs);
  }

  function legend(ctx, box, runs) {
    ctx.font = "11px sans-serif"; ctx.textAlign = "left";
    runs.forEach((r, k) => {
      const y = box.y + box.h + 14, x = box.x + k * (box.w / 2);
      ctx.strokeStyle = r.color; ctx.setLineDash(r.dash); ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x, y - 4); ctx.lineTo(x + 18, y - 4); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = "#1a1a1a"; ctx.fillText(r.name, x + 22, y);
    });
  }

  /** Log-scale panel of series against t; `range` fixes the y range, else it follows the data. */
  function seriesPanel(ctx, box, title, series, range, tol) {
    frame(ctx, box, title);
    let [lo, hi] = range ?? [Infinity, -Infinity];
    if (!range) {
      for (const [ys] of series) for (const y of ys) if (y > 0 && isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
      if (!(lo < Infinity)) [lo, hi] = [1e-3, 1];
      lo = 10 ** Math.floor(Math.log10(lo)); hi = 10 ** Math.ceil(Math.log10(hi) + 1e-9);
      if (hi <= lo) hi = lo * 10;
    }
    const steps = Math.max(1, series[0][0].length - 1);
    const ly0 = Math.log10(lo), ly1 = Math.log10(hi);
    const Y = (y) => box.y + (1 - (Math.log10(y) - ly0) / (ly1 - ly0)) * box.h;
    const X = (t) => box.x + (t / steps) * box.w;
    ctx.fillStyle = "#333"; ctx.font = "10px sans-serif"; ctx.textAlign = "right";
    const every = Math.max(1, Math.ceil((ly1 - ly0) / 5));
    for (let e = Math.ceil(ly0); e <= ly1; e += every) ctx.fillText(`1e${e}`, box.x - 3, Y(10 ** e) + 3);
    ctx.textAlign = "center"; ctx.fillText(`t = ${steps}`, box.x + box.w - 14, box.y + box.h + 12);
    ctx.save();
    ctx.beginPath(); ctx.rect(box.x, box.y, box.w, box.h); ctx.clip();
    if (tol) {
      ctx.strokeStyle = "#767676"; ctx.setLineDash([2, 3]); ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(box.x, Y(tol)); ctx.lineTo(box.x + box.w, Y(tol)); ctx.stroke();
    }
    for (const [ys, r, coord] of series) {
      ctx.strokeStyle = r.color; ctx.lineWidth = coord === "x2" ? 1 : 1.5;
      ctx.setLineDash(coord === "x2" ? [1, 2] : r.dash);
      ctx.beginPath();
      let started = false;
      ys.forEach((y, t) => {
        if (!(y > 0 && isFinite(y))) { started = false; return; }
        const yy = Math.max(box.y - 5, Math.min(box.y + box.h + 5, Y(y)));
        if (started) ctx.lineTo(X(t), yy); else { ctx.moveTo(X(t), yy); started = true; }
      });
      ctx.stroke();
    }
    ctx.restore();
    ctx.setLineDash([]);
  }

  function start() {
    window.rmslabExplorers = [...document.querySelectorAll(".rmslab-explorer")].map((node) => new Explorer(node));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
