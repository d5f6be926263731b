/// `GET /`: one static page, plain HTML and JS, no build step. It asks the
/// JSON/PNG endpoints for everything it shows.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>msg-gen</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f4f2; color: #222; }
  header { background: #263238; color: #fff; padding: 10px 18px; display: flex; align-items: baseline; gap: 14px; }
  header h1 { font-size: 18px; margin: 0; }
  header span { opacity: .75; }
  main { padding: 14px 18px; }
  form, .bar { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin-bottom: 12px; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #555; }
  input, select, button { font: inherit; padding: 4px 6px; }
  input[type=text] { width: 9em; }
  button { background: #37474f; color: #fff; border: 0; border-radius: 4px; padding: 6px 12px; cursor: pointer; }
  button:disabled { opacity: .4; cursor: default; }
  section { background: #fff; border-radius: 6px; padding: 10px 14px; margin-bottom: 14px; box-shadow: 0 1px 2px #0002; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  .faces { display: flex; flex-wrap: wrap; gap: 6px; }
  .face { position: relative; cursor: pointer; border: 3px solid transparent; border-radius: 4px; }
  .face img { width: 96px; height: 96px; image-rendering: pixelated; display: block; background: #ddd; }
  .face .seed { position: absolute; left: 2px; bottom: 2px; font-size: 11px; background: #000a; color: #fff; padding: 0 3px; }
  .face .tag { position: absolute; right: 2px; top: 2px; font-size: 11px; font-weight: bold; color: #fff; padding: 0 4px; border-radius: 3px; }
  .face.row { border-color: #e53935; } .face.row .tag { background: #e53935; }
  .face.col { border-color: #1e88e5; } .face.col .tag { background: #1e88e5; }
  .face.key { border-color: #43a047; } .face.key .tag { background: #43a047; }
  #walk img { image-rendering: pixelated; max-width: 100%; background: #ddd; }
  .scales { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
  .scales figure { margin: 0; } .scales figcaption { font-size: 12px; color: #555; }
  .scales img, #mix img { image-rendering: pixelated; max-width: 100%; background: #ddd; }
  .error { color: #b71c1c; font-weight: bold; }
  .hint { color: #666; font-size: 12px; }
  .picked span { display: inline-block; margin-right: 8px; }
</style>
</head>
<body>
<header><h1>msg-gen</h1><span>MSG-GAN images at every scale</span><span id="status"></span></header>
<main>
<form id="query">
  <label>model <select id="model"></select></label>
  <label>seed or range <input id="seeds" type="text" value="0-11" title="a seed such as 42, or a range such as 10-25"></label>
  <label class="style">psi <input id="psi" type="text" placeholder="model default" size="6"></label>
  <button type="submit">Show</button>
  <span id="info" class="hint"></span>
</form>
<div id="error" class="error"></div>
<section>
  <h2>Faces <span class="hint">click to pick rows, shift-click (or switch below) to pick columns, click again to drop</span></h2>
  <div class="bar">
    <label>a click picks <select id="pickmode"><option value="row">rows</option><option value="col">columns</option><option value="key">walk keyframes</option></select></label>
    <label>styles from the column <select id="styles"></select></label>
    <label>scales <select id="mixscale"><option value="max">largest</option><option value="all">every scale</option></select></label>
    <button id="mixbtn" type="button" disabled>Mix</button>
    <button id="clearbtn" type="button">Clear picks</button>
    <span class="picked"><span id="rowsout">rows: -</span><span id="colsout">columns: -</span></span>
  </div>
  <div id="faces" class="faces"></div>
</section>
<section>
  <h2>The grid at every scale</h2>
  <div id="scales" class="scales"></div>
</section>
<section id="walksec">
  <h2>Walk <span class="hint">pick two or more keyframes (alt-click, or "walk keyframes" above): every scale of every frame</span></h2>
  <div class="bar">
    <label>frames per segment <input id="frames" type="text" value="12" size="4"></label>
    <label>space <select id="space"><option value="z">z (slerp)</option><option value="w">w (linear)</option></select></label>
    <label><span>loop</span><input id="loop" type="checkbox" checked></label>
    <button id="walkbtn" type="button" disabled>Walk</button>
    <span class="picked"><span id="keysout">keyframes: -</span></span>
    <a id="walklink" href="#" target="_blank" class="hint" hidden>WebP</a>
  </div>
  <div id="walk"></div>
</section>
<section id="mixsec" hidden>
  <h2>Style mixing <a id="mixlink" href="#" target="_blank" class="hint">PNG</a></h2>
  <div id="mix"></div>
</section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let models = [], rows = [], cols = [], keys = [];

function current() { return models.find((m) => m.name === $("model").value) || models[0]; }
function isStyle() { const m = current(); return m && m.family === "msg-stylegan"; }
function showError(msg) { $("error").textContent = msg || ""; }

async function errorText(res) {
  try { const j = await res.json(); return j.error || res.statusText; } catch (e) { return res.statusText; }
}

function parseSeeds(text) {
  const t = text.trim(), m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(t);
  if (!m) throw new Error("seeds: type a seed such as 42 or a range such as 10-25");
  const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
  if (a > 4294967295 || b > 4294967295 || b < a) throw new Error("seeds: seeds are 0 ... 4294967295, ranges low-high");
  if (b - a + 1 > 64) throw new Error("seeds: at most 64 seeds at once");
  return { start: a, count: b - a + 1 };
}

function params(extra) {
  const p = new URLSearchParams({ model: current().name, ...extra });
  const psi = $("psi").value.trim();
  if (isStyle() && psi !== "") p.set("psi", psi);
  return p.toString();
}

// Only the style ranges this model's /v1/mix accepts (from /v1/models).
function fillStyles() {
  const sel = $("styles"), names = (current() && current().style_names) || {}, prev = sel.value;
  sel.textContent = "";
  for (const [name, layers] of Object.entries(names)) {
    const o = document.createElement("option"); o.value = name; o.textContent = name + " (layers " + layers + ")";
    sel.append(o);
  }
  if (Object.keys(names).includes(prev)) sel.value = prev;
}

function renderPicks() {
  document.querySelectorAll(".face").forEach((el) => {
    const s = Number(el.dataset.seed);
    el.classList.toggle("row", rows.includes(s));
    el.classList.toggle("col", cols.includes(s));
    el.classList.toggle("key", keys.includes(s));
    el.querySelector(".tag").textContent = rows.includes(s) ? "R" + (rows.indexOf(s) + 1) : cols.includes(s) ? "C" + (cols.indexOf(s) + 1)
      : keys.includes(s) ? "K" + (keys.indexOf(s) + 1) : "";
  });
  $("rowsout").textContent = "rows: " + (rows.join(",") || "-");
  $("colsout").textContent = "columns: " + (cols.join(",") || "-");
  $("mixbtn").disabled = !(isStyle() && rows.length && cols.length && $("styles").options.length);
  $("keysout").textContent = "keyframes: " + (keys.join(",") || "-");
  $("walkbtn").disabled = keys.length < 2;
  $("space").disabled = !isStyle();
  $("mixbtn").title = isStyle() ? "" : "style mixing needs an msg-stylegan model";
}

function pickKey(seed) {
  if (keys.includes(seed)) keys = keys.filter((s) => s !== seed); else if (keys.length < 16) keys.push(seed);
  renderPicks();
}

async function walk() {
  showError("");
  const extra = { seeds: keys.join(","), frames: $("frames").value.trim(), scale: "all", loop: $("loop").checked ? 1 : 0 };
  if (isStyle()) extra.space = $("space").value;
  const url = "/v1/walk?" + params(extra);
  $("walk").textContent = "rendering ...";
  const res = await fetch(url);
  if (!res.ok) { $("walk").textContent = ""; showError(await errorText(res)); return; }
  const img = new Image();
  img.src = URL.createObjectURL(await res.blob()); img.alt = "latent walk at every scale"; img.id = "walkimg";
  img.onload = () => { img.style.width = Math.min(img.naturalWidth * 2, 1100) + "px"; };
  $("walk").textContent = ""; $("walk").append(img);
  $("walklink").href = url; $("walklink").hidden = false;
}

function pick(seed, asCol) {
  const inRows = rows.includes(seed), inCols = cols.includes(seed);
  rows = rows.filter((s) => s !== seed); cols = cols.filter((s) => s !== seed);
  if (!inRows && !inCols) {
    if (asCol) { if (cols.length < 16) cols.push(seed); } else if (rows.length < 16) rows.push(seed);
  }
  renderPicks();
}

async function show(ev) {
  if (ev) ev.preventDefault();
  showError("");
  let q;
  try { q = parseSeeds($("seeds").value); } catch (e) { showError(e.message); return; }
  const m = current();
  fillStyles();
  $("info").textContent = m.family + ", " + m.resolutions.join("/") + " px" + (m.style_layers ? ", " + m.style_layers + " style layers" : "");
  const faces = $("faces"); faces.textContent = "";
  for (let i = 0; i < q.count; i++) {
    const seed = q.start + i, div = document.createElement("div");
    div.className = "face"; div.dataset.seed = seed; div.title = "seed " + seed;
    const img = new Image(); img.alt = "seed " + seed; img.src = "/v1/image?" + params({ seed });
    const lab = document.createElement("span"); lab.className = "seed"; lab.textContent = seed;
    const tag = document.createElement("span"); tag.className = "tag";
    div.append(img, lab, tag);
    div.addEventListener("click", (e) => (e.altKey || $("pickmode").value === "key") ? pickKey(seed)
      : pick(seed, e.shiftKey || $("pickmode").value === "col"));
    faces.append(div);
  }
  const scales = $("scales"); scales.textContent = "";
  for (const r of m.resolutions) {
    const url = "/v1/grid?" + params({ seed: q.start, count: q.count, scale: r });
    const fig = document.createElement("figure"), img = new Image(), cap = document.createElement("figcaption");
    const side = Math.max(r, 48);
    img.src = url; img.alt = r + " px grid"; img.style.width = (side * Math.ceil(Math.sqrt(q.count)) + 4) + "px";
    img.onerror = async () => { const res = await fetch(url); showError(await errorText(res)); };
    cap.textContent = r + " x " + r;
    fig.append(img, cap); scales.append(fig);
  }
  renderPicks();
}

async function mix() {
  showError("");
  const url = "/v1/mix?" + params({ rows: rows.join(","), cols: cols.join(","), styles: $("styles").value, scale: $("mixscale").value });
  const res = await fetch(url);
  if (!res.ok) { showError(await errorText(res)); return; }
  const blob = await res.blob(), img = new Image();
  img.src = URL.createObjectURL(blob); img.alt = "style-mixing figure";
  img.onload = () => { img.style.width = Math.min(img.naturalWidth * 2, 1100) + "px"; };
  $("mix").textContent = ""; $("mix").append(img);
  $("mixlink").href = url; $("mixsec").hidden = false;
}

async function init() {
  try {
    const res = await fetch("/v1/models");
    if (!res.ok) throw new Error(await errorText(res));
    models = (await res.json()).models;
  } catch (e) { showError("cannot list models: " + e.message); return; }
  for (const m of models) {
    const o = document.createElement("option"); o.value = m.name; o.textContent = m.name + " (" + m.family + ")";
    $("model").append(o);
  }
  const fromHash = new URLSearchParams(location.hash.slice(1));
  if (fromHash.get("model")) $("model").value = fromHash.get("model");
  if (fromHash.get("seeds")) $("seeds").value = fromHash.get("seeds");
  if (fromHash.get("rows")) rows = fromHash.get("rows").split(",").map(Number);
  if (fromHash.get("cols")) cols = fromHash.get("cols").split(",").map(Number);
  if (fromHash.get("keys")) keys = fromHash.get("keys").split(",").map(Number);
  $("status").textContent = models.length + " model" + (models.length > 1 ? "s" : "");
  $("model").addEventListener("change", () => { rows = []; cols = []; keys = []; $("mixsec").hidden = true; show(); });
  $("walkbtn").addEventListener("click", walk);
  $("query").addEventListener("submit", show);
  $("mixbtn").addEventListener("click", mix);
  $("clearbtn").addEventListener("click", () => { rows = []; cols = []; keys = []; renderPicks(); });
  await show();
  if (fromHash.get("mix") && !$("mixbtn").disabled) await mix();
  if (fromHash.get("walk") && !$("walkbtn").disabled) await walk();
}
init();
</script>
</body>
</html>
"""#
}
