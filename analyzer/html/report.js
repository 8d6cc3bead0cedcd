// Draws the report from the JSON embedded in the page (render_html.c).
// No library, nothing fetched.  When done it sets data-rendered on <body>;
// script errors are listed in #script-errors (the tests read both).
"use strict";
(function () {
  const errors = [];
  function fail(msg) {
    errors.push(String(msg));
    const pre = document.getElementById("script-errors");
    pre.hidden = false;
    pre.textContent = errors.join("\n");
    document.body.setAttribute("data-errors", String(errors.length));
  }
  window.addEventListener("error", (e) => fail(e.message || "error"));

  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = { brk: "#4e79a7", arena: "#f28e2b", mmap: "#59a14f", unknown: "#bab0ac" };

  function el(tag, attrs, text) {
    const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
                                     : document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function commas(n) { return Number(n).toLocaleString("en-US"); }
  function human(n) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    n = Number(n);
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return i ? n.toFixed(1) + " " + u[i] : n + " B";
  }
  function secs(ns) {
    ns = Number(ns);
    return ns && ns < 1e7 ? (ns / 1e3).toFixed(0) + " µs" : (ns / 1e9).toFixed(3) + " s";
  }

  function frames(list) {
    const d = el("div", { class: "frames" });
    if (!list || !list.length) { d.textContent = "(no stack recorded)"; return d; }
    for (const f of list) {
      const line = el("div");
      line.appendChild(el("span", { class: "fn" }, f.function || "??"));
      let where = "";
      if (f.inlined) where += " (inlined)";
      if (f.file) where += "  " + f.file.split("/").slice(-2).join("/") + ":" + f.line;
      else if (f.module) where += "  " + f.module.split("/").pop();
      line.appendChild(document.createTextNode(where));
      d.appendChild(line);
    }
    return d;
  }

  function table(head, rows) {
    const t = el("table");
    const tr = el("tr");
    for (const h of head) tr.appendChild(el("th", { class: h.n ? "n" : "" }, h.t));
    t.appendChild(tr);
    for (const r of rows) {
      const row = el("tr");
      r.forEach((c, i) => {
        const td = el("td", { class: head[i].n ? "n" : "" });
        if (c instanceof Node) td.appendChild(c); else td.textContent = c;
        row.appendChild(td);
      });
      t.appendChild(row);
    }
    return t;
  }

  function section(root, title, note) {
    const s = el("section");
    s.appendChild(el("h2", {}, title));
    if (note) s.appendChild(el("p", { class: "note" }, note));
    root.appendChild(s);
    return s;
  }

  function summary(root, d, heading) {
    const s = d.summary;
    root.appendChild(el(heading || "h1", {}, heading ? "Process " + s.pid + ": " +
                        (s.command || "?") : "mtrace report: " + (s.command || "?")));
    root.appendChild(el("p", { class: "note" },
      "pid " + s.pid + ", ran " + secs(s.duration_ns) + ", ended: " + s.end + "; trace " + s.trace));
    root.appendChild(table([{ t: "" }, { t: "", n: 1 }], [
      ["allocations", commas(s.allocations) + " (" + human(s.bytes_allocated) + ")"],
      ["frees", commas(s.frees)],
      ["peak live heap", commas(s.peak_bytes) + " bytes in " + commas(s.peak_blocks) +
        " blocks at " + secs(s.peak_ns)],
      ["leaked", commas(s.leaked_bytes) + " bytes in " + commas(s.leaked_blocks) + " blocks"],
      ["temporary allocations", commas(s.temporary)],
    ]));
  }

  // Usage over time: live bytes by source (stacked areas), the program
  // break, the peak; and below, the mmap threshold as a step line.
  function usage(root, d) {
    const s = section(root, "Usage over time",
      "Live heap bytes by where glibc served them (highest in each interval of " +
      secs(d.usage.interval_ns) + "), and how far the program break had moved.");
    const pts = d.usage.points;
    const W = 1100, H = 260, L = 70, B = 24;
    const tmax = Math.max(1, Number(d.usage.duration_ns), ...pts.map((p) => Number(p.ns)));
    const vmax = Math.max(1, ...pts.map((p) => Math.max(Number(p.live), Number(p.break))));
    const x = (t) => L + (W - L - 10) * Number(t) / tmax;
    const y = (v) => H - B - (H - B - 10) * Number(v) / vmax;
    const svg = el("svg:svg", { width: W, height: H, class: "usage", viewBox: "0 0 " + W + " " + H });
    svg.appendChild(el("svg:line", { x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: "#999" }));
    svg.appendChild(el("svg:text", { x: 4, y: 14 }, human(vmax)));
    svg.appendChild(el("svg:text", { x: 4, y: H - B }, "0"));
    svg.appendChild(el("svg:text", { x: W - 80, y: H - 6 }, secs(tmax)));
    const layers = ["brk", "arena", "mmap", "unknown"];
    let base = pts.map(() => 0);
    for (const k of layers) {
      const top = pts.map((p, i) => base[i] + Number(p.sources[k]));
      if (top.every((v, i) => v === base[i])) continue;
      let dpath = "M" + x(pts[0].ns) + "," + y(base[0]);
      pts.forEach((p, i) => { dpath += " L" + x(p.ns) + "," + y(top[i]); });
      for (let i = pts.length - 1; i >= 0; i--) dpath += " L" + x(pts[i].ns) + "," + y(base[i]);
      svg.appendChild(el("svg:path", { d: dpath + " Z", fill: COLORS[k], opacity: 0.8,
                                       class: "area-" + k }));
      base = top;
    }
    let live = "", brk = "";
    pts.forEach((p, i) => {
      live += (i ? " L" : "M") + x(p.ns) + "," + y(p.live) + " L" + x(p.ns) + "," + y(p.live_end);
      brk += (i ? " L" : "M") + x(p.ns) + "," + y(p.break);
    });
    if (pts.length) {
      svg.appendChild(el("svg:path", { d: live, fill: "none", stroke: "#000", class: "live" }));
      svg.appendChild(el("svg:path", { d: brk, fill: "none", stroke: "#e15759",
                                       "stroke-dasharray": "4 3", class: "break" }));
      const px = x(d.summary.peak_ns), py = y(d.summary.peak_bytes);
      svg.appendChild(el("svg:circle", { cx: px, cy: py, r: 4, fill: "#e15759", class: "peak" }));
      svg.appendChild(el("svg:text", { x: px + 6, y: Math.max(12, py) },
                         "peak " + human(d.summary.peak_bytes)));
    }
    s.appendChild(svg);
    const lg = el("div", { class: "legend" });
    for (const [k, t] of [["brk", "brk heap"], ["arena", "thread arenas"], ["mmap", "dedicated mmap"]]) {
      const sp = el("span"); sp.appendChild(el("i", { style: "background:" + COLORS[k] }));
      sp.appendChild(document.createTextNode(t)); lg.appendChild(sp);
    }
    lg.appendChild(el("span", {}, "— live total, - - program break above its start"));
    s.appendChild(lg);
    threshold(s, d, tmax);
    if (d.usage.rises.length) {
      s.appendChild(el("h3", {}, "Largest rises"));
      s.appendChild(table([{ t: "when" }, { t: "from", n: 1 }, { t: "to", n: 1 },
                           { t: "added by", n: 1 }, { t: "stack" }],
        d.usage.rises.map((r) => [secs(r.ns), human(r.from), human(r.to),
                                 human(r.stack_bytes), frames(r.frames)])));
    }
  }

  function threshold(s, d, tmax) {
    const th = d.usage.threshold;
    const W = 1100, H = 90, L = 70;
    const vmax = Math.max(...th.map((t) => Number(t.value)));
    const x = (t) => L + (W - L - 10) * Number(t) / tmax;
    const y = (v) => H - 20 - (H - 30) * Number(v) / vmax;
    const svg = el("svg:svg", { width: W, height: H, class: "threshold", viewBox: "0 0 " + W + " " + H });
    let p = "";
    th.forEach((t, i) => {
      p += (i ? " L" + x(t.ns) + "," + y(th[i - 1].value) + " L" : "M") + x(t.ns) + "," + y(t.value);
    });
    p += " L" + x(tmax) + "," + y(th[th.length - 1].value);
    svg.appendChild(el("svg:path", { d: p, fill: "none", stroke: "#76b7b2", "stroke-width": 2,
                                     class: "threshold-line" }));
    svg.appendChild(el("svg:text", { x: 4, y: H - 4 }, "mmap threshold"));
    th.forEach((t) => svg.appendChild(el("svg:text", { x: x(t.ns) + 3, y: y(t.value) - 3 },
                                         human(t.value))));
    s.appendChild(svg);
  }

  function regions(root, d) {
    const r = d.regions;
    const s = section(root, "Address space at exit",
      r.count + " regions; bar length grows with the region's size (log scale), " +
      "the dark part is the live heap blocks inside.");
    if (!r.regions.length) { s.appendChild(el("p", {}, "No /proc/self/maps snapshot.")); return; }
    const W = 1100, RH = 14;
    const svg = el("svg:svg", { width: W, height: RH * r.regions.length + 4, class: "regions" });
    const lmax = Math.log2(Math.max(...r.regions.map((g) => Number(g.size)), 2));
    r.regions.forEach((g, i) => {
      const w = 8 + 380 * Math.log2(Math.max(Number(g.size), 2)) / lmax;
      const label = g.label || "";
      const color = /brk|\[heap\]/.test(label) ? COLORS.brk : /arena/.test(label) ? COLORS.arena
        : /mmap/.test(label) ? COLORS.mmap : /mtrace/.test(label) ? "#ddd" : "#bab0ac";
      const yy = 2 + i * RH;
      const rect = el("svg:rect", { x: 0, y: yy, width: w, height: RH - 3, fill: color });
      rect.appendChild(el("svg:title", {}, g.start + " " + human(g.size) + " " + g.perms));
      svg.appendChild(rect);
      if (Number(g.live_bytes) > 0)
        svg.appendChild(el("svg:rect", { x: 0, y: yy, height: RH - 3, fill: "#000", opacity: 0.5,
          width: Math.max(1, w * Math.min(1, Number(g.live_bytes) / Number(g.size))) }));
      svg.appendChild(el("svg:text", { x: 400, y: yy + 10 }, g.start + "  " + human(g.size) +
        "  " + g.perms + "  " + (g.name || "") + (label ? "  [" + label + "]" : "")));
    });
    s.appendChild(svg);
  }

  // A flame graph (root at the top, callees below), widths by weight.
  function flame(root, title, f, unit) {
    const s = section(root, "Flame graph: " + title,
      f.stacks + " distinct stacks" + (f.merged ? "; " + f.merged +
      " small nodes merged into [small]" : "") + ". Hover a frame for its figures.");
    const total = Number(f.root[1]);
    if (!total) { s.appendChild(el("p", {}, "Nothing to draw.")); return; }
    const W = 1100, RH = 17;
    const rows = [];
    (function walk(n, depth, x0) {
      (rows[depth] = rows[depth] || []).push([n, x0]);
      let x = x0;
      for (let i = 2; i < n.length; i++) { walk(n[i], depth + 1, x); x += Number(n[i][1]); }
    })(f.root, 0, 0);
    const svg = el("svg:svg", { width: W, height: rows.length * RH + 4, class: "flame" });
    rows.forEach((row, depth) => row.forEach(([n, x0]) => {
      const w = W * Number(n[1]) / total, xx = W * x0 / total;
      if (w < 0.5) return;
      const g = el("svg:g");
      const hue = 20 + (n[0].length * 37) % 40;
      g.appendChild(el("svg:rect", { x: xx, y: depth * RH, width: w, height: RH - 1,
                                     fill: "hsl(" + hue + ",80%," + (55 + depth % 3 * 5) + "%)" }));
      g.appendChild(el("svg:title", {}, n[0] + ": " + unit(n[1]) + " (" +
                                      (100 * n[1] / total).toFixed(1) + "%)"));
      if (w > 30) {
        const maxc = Math.floor((w - 6) / 6.5);
        const t = n[0].length > maxc ? n[0].slice(0, Math.max(0, maxc - 1)) + "…" : n[0];
        g.appendChild(el("svg:text", { x: xx + 3, y: depth * RH + 12 }, t));
      }
      svg.appendChild(g);
    }));
    s.appendChild(svg);
  }

  function stackTable(root, title, note, head, rows) {
    const s = section(root, title, note);
    if (!rows.length) { s.appendChild(el("p", {}, "None.")); return; }
    s.appendChild(table(head, rows));
  }

  // The views of one process, in order.
  function views(root, d) {
    usage(root, d);
    stackTable(root, "Peak: who held it",
      commas(d.peak.bytes) + " bytes live at " + secs(d.peak.ns) + "; the stacks holding them then.",
      [{ t: "bytes", n: 1 }, { t: "blocks", n: 1 }, { t: "stack" }],
      d.peak.stacks.map((r) => [commas(r.bytes), commas(r.blocks), frames(r.frames)]));
    stackTable(root, "Leaks", d.leaks.call_stacks + " stacks lost blocks.",
      [{ t: "bytes", n: 1 }, { t: "blocks", n: 1 }, { t: "allocated here", n: 1 }, { t: "stack" }],
      d.leaks.stacks.map((r) => [commas(r.bytes), commas(r.blocks), commas(r.allocations),
                                 frames(r.frames)]));
    stackTable(root, "Temporary allocations",
      commas(d.temporary.temporary) + " of " + commas(d.temporary.allocations) +
      " allocations were freed by their thread before it allocated again.",
      [{ t: "temporary", n: 1 }, { t: "of calls", n: 1 }, { t: "stack" }],
      d.temporary.stacks.map((r) => [commas(r.temporary), commas(r.allocations), frames(r.frames)]));
    stackTable(root, "Most allocations", "",
      [{ t: "calls", n: 1 }, { t: "bytes", n: 1 }, { t: "stack" }],
      d.allocators.by_calls.stacks.slice(0, 10).map((r) => [commas(r.allocations),
                                                         commas(r.bytes), frames(r.frames)]));
  }

  function flames(root, d, whose) {
    flame(root, "bytes allocated" + whose, d.flames.allocated, human);
    flame(root, "bytes live at the peak" + whose, d.flames.peak, human);
    flame(root, "bytes leaked" + whose, d.flames.leaked, human);
  }

  function render(d) {
    const root = document.getElementById("report");
    root.textContent = "";
    summary(root, d);
    views(root, d);
    flames(root, d, "");
    regions(root, d);
  }

  // A run: the process tree, the leaks of all processes merged by stack,
  // the flame graphs of all processes merged, then a section per process.
  function renderRun(d) {
    const root = document.getElementById("report");
    root.textContent = "";
    const r = d.run;
    const first = r.processes.length ? r.processes[0] : null;
    root.appendChild(el("h1", {}, "mtrace run report: " + r.images + " process image" +
      (r.images === 1 ? "" : "s") + (first ? " (first: " + first.image + ", pid " + first.pid + ")" : "")));
    root.appendChild(el("p", { class: "note" }, "leaked " + commas(r.leaked_bytes) + " bytes in " +
      commas(r.leaked_blocks) + " blocks in " + r.leaking + " of " + r.images + " process images"));
    const s = section(root, "Processes", "Children under their parent; an image replaced by " +
      "exec leaks nothing (the exec released its memory); '?': unfreed, verdict unknown.");
    s.appendChild(table([{ t: "pid" }, { t: "parent", n: 1 }, { t: "ended" },
                         { t: "leaked bytes", n: 1 }, { t: "image" }],
      r.processes.map((p) => [
        "\u00a0".repeat(2 * p.depth) + p.pid, String(p.ppid),
        /^(exit|_exit|signal)$/.test(p.end) ? p.end + " " + p.end_code : p.end,
        p.end === "exec" ? "- (exec)" : commas(p.leaked_bytes) + (p.inconclusive ? "?" : ""),
        p.image + (p.cmdline ? "  (" + p.cmdline + ")" : "")])));
    for (const u of r.unread) s.appendChild(el("p", { class: "note" }, "trace not read: " + u.error));
    stackTable(root, "Leaks of all processes by call stack", r.leaks.call_stacks +
      " stacks lost blocks, largest first.",
      [{ t: "bytes", n: 1 }, { t: "blocks", n: 1 }, { t: "processes" }, { t: "stack" }],
      r.leaks.stacks.map((g) => [commas(g.bytes), commas(g.blocks),
        g.pids.slice(0, 20).join(" ") + (g.pids.length > 20 ? " ..." : ""), frames(g.frames)]));
    flames(root, d, ", all processes");
    for (const p of d.processes) {
      const ps = el("section", { class: "process" });
      root.appendChild(ps);
      summary(ps, p, "h2");
      views(ps, p);
    }
    if (d.processes_left_out)
      root.appendChild(el("p", { class: "note" }, d.processes_left_out +
        " more processes are rows of the tree only (at most " + d.processes.length +
        " sections)."));
  }

  try {
    const data = JSON.parse(document.getElementById("mtrace-data").textContent);
    if (data.run) renderRun(data); else render(data);
  } catch (e) {
    fail(e && e.stack ? e.stack : e);
  }
  document.body.setAttribute("data-rendered", errors.length ? "with-errors" : "1");
})();
