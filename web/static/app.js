// The truce console: hash-routed views over the JSON API. No framework and
// nothing fetched from outside the centre.
const $ = (sel, el = document) => el.querySelector(sel);
const state = { token: localStorage.getItem("truce.token") || "", me: null, lang: document.body.dataset.lang, msg: {}, events: null };

// t renders a catalogue message, filling %s/%d/%v in order.
function t(key, ...args) {
  let s = state.msg[key];
  if (s === undefined) return key;
  if (typeof s === "object") s = plural(s, args[0]);
  let i = 0;
  return s.replace(/%(\[\d+\])?[-+# 0-9.]*[sdvqf]/g, (m, idx) => {
    const v = idx ? args[parseInt(idx.slice(1, -1), 10) - 1] : args[i++];
    return v === undefined ? m : String(v);
  });
}

// plural picks the CLDR category of n for the current language.
function plural(forms, n) {
  const cat = new Intl.PluralRules(state.lang).select(n);
  return forms[cat] || forms.other;
}

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const fmtTime = (s) => (s ? new Intl.DateTimeFormat(state.lang, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(new Date(s)) + " UTC" : "—");

async function api(method, path, body) {
  const headers = { "Accept-Language": state.lang };
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let json = null;
  try { json = await resp.json(); } catch { /* not JSON */ }
  return { status: resp.status, ok: resp.ok, json };
}

async function loadMessages() {
  const r = await fetch("/ui/messages?lang=" + encodeURIComponent(state.lang));
  const j = await r.json();
  state.lang = j.lang;
  state.msg = j.messages;
  document.documentElement.lang = state.lang;
  document.title = t("ui.title");
}

const roles = () => (state.me ? state.me.member.roles : []);
const has = (r) => roles().includes(r);
const kind = () => (state.me ? state.me.party_kind : "");

function toast(text) {
  const el = $("#toast");
  el.textContent = text;
  el.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove("show"), 4000);
}

function nav() {
  const links = [["#/map", t("ui.nav.map")], ["#/incidents", t("ui.nav.incidents")]];
  if (has("monitor") || has("coordinator")) links.push(["#/queue", t("ui.nav.queue")]);
  if (has("representative") || has("monitor") || has("coordinator")) links.push(["#/report", t("ui.nav.report")]);
  links.push(state.token ? ["#/logout", t("ui.nav.logout")] : ["#/login", t("ui.nav.login")]);
  $("#nav").innerHTML = links.map(([h, l]) => `<a href="${h}">${esc(l)}</a>`).join("");
  $("#who").textContent = state.me ? `${state.me.member.id} · ${state.me.member.party} · ${roles().join(", ")}` : t("ui.public");
}

const statusBadge = (s) => `<span class="status status-${esc(s)}">${esc(t("ui.status." + s))}</span>`;

async function viewIncidents(params) {
  const q = new URLSearchParams({ limit: "100" });
  for (const k of ["status", "type", "party"]) if (params.get(k)) q.set(k, params.get(k));
  const r = await api("GET", "/v1/incidents?" + q);
  const opts = (name, values, label) => `<label>${esc(label)} <select name="${name}"><option value="">${esc(t("ui.any"))}</option>${values
    .map((v) => `<option value="${v}"${params.get(name) === v ? " selected" : ""}>${esc(t("ui." + name + "." + v))}</option>`).join("")}</select></label>`;
  const types = ["shelling", "missile", "drone", "air_strike", "small_arms_fire", "ground_assault", "weapons_in_zone", "infrastructure_damage", "monitor_restriction", "casualties"];
  const statuses = ["reported", "triaged", "assigned", "investigating", "finding", "published"];
  const items = (r.json && r.json.items) || [];
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.incidents"))}</h1>
    <form id="filters" class="filters">${opts("status", statuses, t("ui.field.status"))}${opts("type", types, t("ui.field.type"))}</form>
    <p class="count">${esc(t("ui.count", items.length))}</p>
    <table class="list"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.field.observed"))}</th><th>${esc(t("ui.field.type"))}</th><th>${esc(t("ui.field.status"))}</th><th>${esc(t("ui.field.party"))}</th><th>${esc(t("ui.field.place"))}</th></tr></thead>
    <tbody id="rows">${items.map((i) => `<tr data-id="${i.id}"><td><a href="#/incident/${i.id}">${i.id}</a></td><td>${esc(fmtTime(i.observed_from))}</td><td>${esc(t("ui.type." + i.report.type))}</td><td>${statusBadge(i.status)}</td><td>${esc(i.party)}</td><td>${esc(i.report.location.place || "")}</td></tr>`).join("")}</tbody></table>`;
  $("#filters").addEventListener("change", (e) => {
    const f = new URLSearchParams(new FormData(e.currentTarget));
    for (const [k, v] of [...f]) if (!v) f.delete(k);
    location.hash = "#/incidents?" + f;
  });
}

const priorityHours = { urgent: 2, high: 6, normal: 24, low: 72 };

async function viewQueue() {
  const r = await api("GET", "/v1/incidents?limit=1000&status=reported,triaged,assigned,investigating,finding");
  const items = ((r.json && r.json.items) || []).sort((a, b) => a.reported_at.localeCompare(b.reported_at));
  const now = Date.now();
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.queue"))}</h1><table class="list"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.field.age"))}</th><th>${esc(t("ui.field.deadline"))}</th><th>${esc(t("ui.field.status"))}</th><th>${esc(t("ui.field.type"))}</th><th>${esc(t("ui.field.place"))}</th></tr></thead><tbody>${items
    .map((i) => {
      const age = Math.floor((now - Date.parse(i.reported_at)) / 3600000);
      const due = Date.parse(i.reported_at) + (priorityHours[i.priority || "normal"] || 24) * 3600000;
      const late = due < now ? ' class="late"' : "";
      return `<tr><td><a href="#/incident/${i.id}">${i.id}</a></td><td>${esc(t("ui.hours", age))}</td><td${late}>${esc(fmtTime(new Date(due).toISOString()))}</td><td>${statusBadge(i.status)}</td><td>${esc(t("ui.type." + i.report.type))}</td><td>${esc(i.report.location.place || "")}</td></tr>`;
    }).join("")}</tbody></table>`;
}

function fieldRow(label, value) {
  return value === undefined || value === "" || value === null ? "" : `<tr><th>${esc(label)}</th><td>${value}</td></tr>`;
}

async function viewIncident(id) {
  const [r, h] = await Promise.all([api("GET", "/v1/incidents/" + id), api("GET", "/v1/incidents/" + id + "/history")]);
  if (!r.ok) {
    $("#main").innerHTML = `<p class="error">${esc((r.json && r.json.title) || r.status)}</p>`;
    return;
  }
  const i = r.json, rep = i.report;
  const counts = Object.entries(rep.counts || {}).map(([k, v]) => t("ui.count." + k, v)).join(", ");
  const evidence = (i.evidence || []).map((e) => `<li><a href="/v1/evidence/${e.sha256}" download="${esc(e.name)}">${esc(e.name)}</a> <code>${e.sha256}</code> ${esc(e.media_type)}</li>`).join("");
  const finding = i.finding ? `${esc(t("ui.outcome." + i.finding.outcome))} · ${esc(i.finding.attribution)} — <span lang="${esc(i.finding.summary.lang)}">${esc(i.finding.summary.text)}</span>` : "";
  const responses = (i.responses || []).map((x) => `<li>${esc(x.party)}: <span lang="${esc(x.text.lang)}">${esc(x.text.text)}</span></li>`).join("");
  const history = ((h.json && h.json.items) || []).map((s) => {
    const st = s.statement;
    return `<tr><td>${s.seq}</td><td>${esc(fmtTime(st.time))}</td><td>${esc(st.type)}</td><td>${esc(st.party)}/${esc(st.author)}</td><td><code title="${esc(s.signature)}">${esc(s.signature.slice(0, 12))}…</code></td><td><a href="${s.inclusion_proof}">${esc(s.leaf_hash.slice(0, 12))}…</a></td></tr>`;
  }).join("");
  $("#main").innerHTML = `<h1>${esc(i.id)} ${statusBadge(i.status)}</h1>
    <table class="fields">
      ${fieldRow(t("ui.field.type"), esc(t("ui.type." + rep.type)))}
      ${fieldRow(t("ui.field.observed"), esc(fmtTime(i.observed_from) + (i.observed_until !== i.observed_from ? " – " + fmtTime(i.observed_until) : "")) + ` (${esc(rep.time_precision)})`)}
      ${fieldRow(t("ui.field.reported"), esc(fmtTime(i.reported_at) + " · " + i.party + "/" + i.reporter))}
      ${fieldRow(t("ui.field.place"), esc((rep.location.place || "") + " " + JSON.stringify(rep.location.geometry.coordinates) + " ±" + rep.location.precision_m + " m"))}
      ${fieldRow(t("ui.field.actor"), esc(rep.alleged_actor))}
      ${fieldRow(t("ui.field.weapon"), esc(rep.weapon))}
      ${fieldRow(t("ui.field.counts"), esc(counts))}
      ${fieldRow(t("ui.field.description"), `<span lang="${esc(rep.description.lang)}">${esc(rep.description.text)}</span> <small>(${esc(rep.description.lang)})</small>`)}
      ${fieldRow(t("ui.field.event"), (i.linked || []).map((x) => `<a href="#/incident/${x}">${x}</a>`).join(", "))}
      ${fieldRow(t("ui.field.evidence"), evidence ? `<ul>${evidence}</ul>` : "")}
      ${fieldRow(t("ui.field.finding"), finding)}
      ${fieldRow(t("ui.field.responses"), responses ? `<ul>${responses}</ul>` : "")}
    </table>
    <section id="actions" aria-label="${esc(t("ui.actions"))}"></section>
    <h2>${esc(t("ui.history"))}</h2>
    <table class="list"><thead><tr><th>#</th><th>${esc(t("ui.field.time"))}</th><th>${esc(t("ui.field.statement"))}</th><th>${esc(t("ui.field.author"))}</th><th>${esc(t("ui.field.signature"))}</th><th>${esc(t("ui.field.leaf"))}</th></tr></thead><tbody>${history}</tbody></table>`;
  renderActions(i);
}

// renderActions offers the steps the member's role allows; the server
// checks again, this only spares people buttons that would be refused.
function renderActions(i) {
  const el = $("#actions");
  const neutral = kind() !== "belligerent";
  const forms = [];
  const form = (name, inner) => forms.push(`<form data-step="${name}" class="action"><h3>${esc(t("ui.action." + name))}</h3>${inner}<button type="submit">${esc(t("ui.action." + name))}</button><p class="error" data-error></p></form>`);
  if (i.status === "reported" && neutral && (has("coordinator") || has("monitor")))
    form("triage", `<label>${esc(t("ui.field.priority"))} <select name="priority">${["low", "normal", "high", "urgent"].map((p) => `<option value="${p}"${p === "normal" ? " selected" : ""}>${esc(t("ui.priority." + p))}</option>`).join("")}</select></label>`);
  if (["triaged", "assigned", "investigating"].includes(i.status) && neutral && has("coordinator"))
    form("assign", `<label>${esc(t("ui.field.monitors"))} <input name="monitors" required></label>`);
  const assigned = (i.monitors || []).includes(state.me && state.me.member.id);
  if (i.status === "assigned" && assigned && has("monitor")) form("investigate", "");
  if (i.status === "investigating" && assigned && has("monitor"))
    form("finding", `<label>${esc(t("ui.field.outcome"))} <select name="outcome">${["not_incident", "no_violation", "minor_violation", "serious_violation", "inconclusive"].map((o) => `<option value="${o}">${esc(t("ui.outcome." + o))}</option>`).join("")}</select></label>
      <label>${esc(t("ui.field.attribution"))} <input name="attribution" value="unknown" required></label>
      <label>${esc(t("ui.field.summary"))} <textarea name="summary" required></textarea></label>`);
  if (i.status === "finding" && neutral && has("coordinator")) form("publish", "");
  if (state.me && i.report.alleged_actor === state.me.member.party && has("representative"))
    form("respond", `<label>${esc(t("ui.field.response"))} <textarea name="text" required></textarea></label>`);
  const me = state.me && state.me.member;
  const mayAttach = me && i.status !== "published" && (
    (me.party === i.party && (has("representative") || has("monitor"))) ||
    (me.party === i.report.alleged_actor && has("representative")) || (assigned && has("monitor")) || (has("coordinator") && neutral));
  if (mayAttach)
    form("evidence", `<label>${esc(t("ui.field.file"))} <input type="file" name="file" required></label> <progress value="0" max="1" hidden></progress>`);
  el.innerHTML = forms.join("");
  for (const f of el.querySelectorAll("form")) f.addEventListener("submit", (e) => (f.dataset.step === "evidence" ? attachEvidence(e, i) : submitStep(e, i)));
}

// attachEvidence uploads a file with a progress bar, then attaches it by
// its SHA-256: the file is stored unmodified, the record names its hash.
function attachEvidence(e, i) {
  e.preventDefault();
  const f = e.currentTarget, file = f.file.files[0], bar = $("progress", f), err = $("[data-error]", f);
  if (!file) return;
  bar.hidden = false;
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/v1/evidence");
  xhr.setRequestHeader("Authorization", "Bearer " + state.token);
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  xhr.upload.onprogress = (p) => { if (p.lengthComputable) bar.value = p.loaded / p.total; };
  xhr.onerror = () => { err.textContent = t("ui.upload_failed"); };
  xhr.onload = async () => {
    const up = JSON.parse(xhr.responseText || "{}");
    if (xhr.status !== 201) {
      err.textContent = up.detail || up.title || String(xhr.status);
      return;
    }
    const r = await api("POST", `/v1/incidents/${i.id}/evidence`, { evidence: { sha256: up.sha256, size: up.size, name: file.name, media_type: file.type || "application/octet-stream" } });
    if (!r.ok) {
      err.textContent = r.json ? `${r.json.title}: ${r.json.detail || ""}` : String(r.status);
      return;
    }
    toast(t("ui.done", t("ui.action.evidence")));
    state.dirty = false;
    viewIncident(i.id);
  };
  xhr.send(file);
}

async function submitStep(e, i) {
  e.preventDefault();
  const f = e.currentTarget, step = f.dataset.step, d = Object.fromEntries(new FormData(f));
  const body = {
    triage: () => ({ priority: d.priority }),
    assign: () => ({ monitors: d.monitors.split(",").map((s) => s.trim()).filter(Boolean) }),
    investigate: () => ({}),
    finding: () => ({ outcome: d.outcome, attribution: d.attribution, summary: { lang: state.lang, text: d.summary } }),
    publish: () => ({}),
    respond: () => ({ text: { lang: state.lang, text: d.text } }),
  }[step]();
  const path = step === "respond" ? "responses" : step;
  const r = await api("POST", `/v1/incidents/${i.id}/${path}`, body);
  if (!r.ok) {
    $("[data-error]", f).textContent = r.json ? `${r.json.title}: ${r.json.detail || ""}` : String(r.status);
    return;
  }
  toast(t("ui.done", t("ui.action." + step)));
  state.dirty = false;
  viewIncident(i.id);
}

// fieldFor maps a problem's field to the form input it concerns.
function fieldFor(field) {
  if (!field) return null;
  if (/coordinates(\[\d+\])?\[1\]$/.test(field)) return "lat";
  if (/coordinates(\[\d+\])?\[0\]$/.test(field) || field.endsWith("coordinates")) return "lon";
  const m = { type: "type", observed_at: "observed_at", time_precision: "time_precision", "location.precision_m": "precision_m", "description.text": "text", "description.lang": "lang", alleged_actor: "alleged_actor", "counts.launched": "launched", "counts.intercepted": "intercepted" };
  return m[field] || null;
}

async function viewReport() {
  const parties = ((await api("GET", "/v1/parties")).json || { items: [] }).items;
  const types = ["shelling", "missile", "drone", "air_strike", "small_arms_fire", "ground_assault", "weapons_in_zone", "infrastructure_damage", "monitor_restriction", "casualties"];
  const now = new Date().toISOString().slice(0, 16);
  const input = (name, label, html) => `<div class="field"><label for="f-${name}">${esc(label)}</label>${html}<p class="error" id="err-${name}" aria-live="polite"></p></div>`;
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.report"))}</h1><form id="report" novalidate>
    ${input("type", t("ui.field.type"), `<select id="f-type" name="type">${types.map((x) => `<option value="${x}">${esc(t("ui.type." + x))}</option>`).join("")}</select>`)}
    ${input("observed_at", t("ui.field.observed"), `<input id="f-observed_at" name="observed_at" type="datetime-local" value="${now}">`)}
    ${input("time_precision", t("ui.field.precision"), `<select id="f-time_precision" name="time_precision">${["minute", "hour", "day"].map((p) => `<option value="${p}">${esc(t("ui.precision." + p))}</option>`).join("")}</select>`)}
    ${input("lon", t("ui.field.lon"), `<input id="f-lon" name="lon" inputmode="decimal" required>`)}
    ${input("lat", t("ui.field.lat"), `<input id="f-lat" name="lat" inputmode="decimal" required>`)}
    ${input("precision_m", t("ui.field.precision_m"), `<input id="f-precision_m" name="precision_m" inputmode="numeric" value="500">`)}
    ${input("place", t("ui.field.place"), `<input id="f-place" name="place">`)}
    ${input("alleged_actor", t("ui.field.actor"), `<select id="f-alleged_actor" name="alleged_actor"><option value="">${esc(t("ui.unknown"))}</option>${parties.filter((p) => p.kind === "belligerent").map((p) => `<option value="${p.id}">${esc(p.name)}</option>`).join("")}</select>`)}
    ${input("launched", t("ui.field.launched"), `<input id="f-launched" name="launched" inputmode="numeric">`)}
    ${input("intercepted", t("ui.field.intercepted"), `<input id="f-intercepted" name="intercepted" inputmode="numeric">`)}
    ${input("text", t("ui.field.description"), `<textarea id="f-text" name="text" required></textarea>`)}
    ${input("lang", t("ui.field.text_lang"), `<input id="f-lang" name="lang" value="${esc(state.lang)}">`)}
    <button type="submit">${esc(t("ui.submit"))}</button><p class="error" id="err-form"></p></form>`;
  if (window.maplibregl) {
    // The map opens on request: on a phone, in the field, it costs data and battery.
    $("#f-lon").closest(".field").insertAdjacentHTML("beforebegin", `<button type="button" id="pick-open">${esc(t("ui.map.pick"))}</button><div id="pick" class="map small" role="region" aria-label="${esc(t("ui.map.pick"))}" hidden></div>`);
    $("#pick-open").addEventListener("click", async () => {
      $("#pick-open").hidden = true;
      $("#pick").hidden = false;
      const map = await newMap("pick");
      state.pickMap = map;
      map.on("click", (e) => {
        $("#f-lon").value = e.lngLat.lng.toFixed(5);
        $("#f-lat").value = e.lngLat.lat.toFixed(5);
        state.dirty = true;
      });
    });
  }
  $("#report").addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const el of document.querySelectorAll("#report .error")) el.textContent = "";
    const d = Object.fromEntries(new FormData(e.currentTarget));
    const num = (v) => (v === "" || v === undefined ? undefined : Number(v));
    const body = {
      type: d.type, observed_at: new Date(d.observed_at + "Z").toISOString().replace(".000Z", "Z"), time_precision: d.time_precision,
      location: { geometry: { type: "Point", coordinates: [num(d.lon), num(d.lat)] }, precision_m: num(d.precision_m) || 0, place: d.place || undefined },
      alleged_actor: d.alleged_actor || undefined,
      description: { lang: d.lang, text: d.text },
    };
    if (d.launched || d.intercepted) body.counts = { launched: num(d.launched), intercepted: num(d.intercepted) };
    const r = await api("POST", "/v1/incidents", body);
    if (!r.ok) {
      const p = r.json || {};
      const target = fieldFor(p.field);
      const el = target ? $("#err-" + target) : $("#err-form");
      el.textContent = p.detail || p.title || String(r.status);
      if (target) $("#f-" + target).setAttribute("aria-invalid", "true");
      return;
    }
    toast(t("ui.reported", r.json.record.id));
    location.hash = "#/incident/" + r.json.record.id;
  });
}

const statusColours = ["match", ["get", "status"], "published", "#24292f", "finding", "#1f6f43", "investigating", "#9c1c1c",
  "assigned", "#0b5cad", "triaged", "#7a2e8e", "reported", "#8a4b00", "#57606a"];

// newMap draws the borders from world-atlas (no tile server: the centre may
// be air-gapped) and an incidents layer filled from /v1/map per viewport.
async function newMap(container, opts = {}) {
  maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-csp-worker.js");
  const world = await (await fetch("/static/vendor/countries-50m.json")).json();
  const countries = topojson.feature(world, world.objects.countries);
  const map = new maplibregl.Map({
    container, center: opts.center || [34, 48.5], zoom: opts.zoom || 4.5, attributionControl: false,
    style: {
      version: 8,
      sources: { countries: { type: "geojson", data: countries }, incidents: { type: "geojson", data: { type: "FeatureCollection", features: [] } } },
      layers: [
        { id: "sea", type: "background", paint: { "background-color": "#dbe9f4" } },
        { id: "land", type: "fill", source: "countries", paint: { "fill-color": "#f4f1ea" } },
        { id: "borders", type: "line", source: "countries", paint: { "line-color": "#8c8c8c", "line-width": 0.7 } },
        { id: "incidents", type: "circle", source: "incidents", paint: {
          "circle-radius": ["interpolate", ["linear"], ["get", "count"], 1, 5, 100, 14, 10000, 28],
          "circle-color": statusColours, "circle-opacity": 0.85, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
      ],
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  return map;
}

// viewportQuery is the /v1/map query for what the map shows.
function viewportQuery(map, extra) {
  const b = map.getBounds(), clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map((v) => v.toFixed(5));
  const q = new URLSearchParams({ zoom: String(Math.max(0, Math.min(22, Math.round(map.getZoom())))), bbox: bbox.join(",") });
  for (const [k, v] of extra || []) if (v) q.set(k, v);
  return q;
}

async function viewMap(params) {
  if (!window.maplibregl) {
    $("#main").innerHTML = `<h1>${esc(t("ui.nav.map"))}</h1><p>${esc(t("ui.map.no_assets"))}</p>`;
    return;
  }
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.map"))}</h1><div id="map" class="map" role="region" aria-label="${esc(t("ui.nav.map"))}"></div><p id="map-status" aria-live="polite"></p>`;
  const map = await newMap("map");
  state.map = map;
  window.truceMap = map; // for the performance harness and the curious
  const refresh = async () => {
    const r = await api("GET", "/v1/map?" + viewportQuery(map, [["status", params.get("status")], ["type", params.get("type")]]));
    if (!r.ok || state.map !== map) return;
    map.getSource("incidents").setData(r.json);
    // Marks for the performance harness: data in, then the frame drawn.
    performance.mark("truce-map-data");
    map.once("idle", () => performance.mark("truce-map-idle"));
    const n = r.json.features.reduce((a, f) => a + f.properties.count, 0);
    state.mapShown = n;
    $("#map-status").textContent = t("ui.map.shown", n);
  };
  state.mapRefresh = refresh;
  map.on("load", refresh);
  map.on("moveend", refresh);
  map.on("click", "incidents", (e) => {
    const p = e.features[0].properties;
    if (p.id) location.hash = "#/incident/" + p.id;
    else map.easeTo({ center: e.lngLat, zoom: map.getZoom() + 2 });
  });
  map.on("mouseenter", "incidents", () => (map.getCanvas().style.cursor = "pointer"));
  map.on("mouseleave", "incidents", () => (map.getCanvas().style.cursor = ""));
}

function viewLogin() {
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.login"))}</h1><form id="login"><label for="token">${esc(t("ui.token"))}</label> <input id="token" name="token" autocomplete="off" required> <button type="submit">${esc(t("ui.nav.login"))}</button><p class="error" id="err-token"></p></form>`;
  $("#login").addEventListener("submit", async (e) => {
    e.preventDefault();
    state.token = $("#token").value.trim();
    if (!(await whoami())) {
      $("#err-token").textContent = t("ui.bad_token");
      state.token = "";
      return;
    }
    localStorage.setItem("truce.token", state.token);
    listen();
    location.hash = "#/incidents";
  });
}

async function whoami() {
  if (!state.token) return (state.me = null), true;
  const r = await api("GET", "/v1/me");
  state.me = r.ok ? r.json : null;
  return r.ok;
}

// listen follows the event stream: new statements refresh what is shown.
function listen() {
  if (state.events) state.events.close();
  const url = "/v1/events" + (state.token ? "?access_token=" + encodeURIComponent(state.token) : "");
  state.events = new EventSource(url);
  let timer;
  state.events.addEventListener("statement", (e) => {
    const s = JSON.parse(e.data);
    if (s.statement.type === "incident.report") toast(t("ui.new_report", "inc-" + s.seq));
    clearTimeout(timer);
    timer = setTimeout(() => {
      // Never redraw under someone's typing: a half-filled form stays, and
      // the news waits for the next view.
      if (state.dirty || $("#main").contains(document.activeElement) && document.activeElement.matches("input, select, textarea")) return;
      if (location.hash.startsWith("#/map") && state.mapRefresh) return state.mapRefresh();
      route();
    }, 300);
  });
}

async function route() {
  state.dirty = false;
  if (state.map) state.map.remove(), (state.map = null), (state.mapRefresh = null);
  if (state.pickMap) state.pickMap.remove(), (state.pickMap = null);
  const [path, query] = (location.hash.slice(1) || "/incidents").split("?");
  const params = new URLSearchParams(query || "");
  nav();
  if (path === "/logout") {
    localStorage.removeItem("truce.token");
    state.token = "";
    state.me = null;
    listen();
    location.hash = "#/incidents";
    return;
  }
  if (path === "/login") return viewLogin();
  if (path === "/map") return viewMap(params);
  if (path === "/queue") return viewQueue();
  if (path === "/report") return viewReport();
  if (path.startsWith("/incident/")) return viewIncident(path.slice("/incident/".length));
  return viewIncidents(params);
}

$("#lang").addEventListener("change", async (e) => {
  state.lang = e.target.value;
  document.cookie = "lang=" + state.lang + "; path=/; max-age=31536000; samesite=strict";
  await loadMessages();
  route();
});
window.addEventListener("hashchange", route);
$("#main").addEventListener("input", () => { state.dirty = true; });

await loadMessages();
await whoami();
listen();
route();
