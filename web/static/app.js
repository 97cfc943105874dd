// The truce console: hash-routed views over the JSON API. No framework and
// nothing fetched from outside the centre.
const $ = (sel, el = document) => el.querySelector(sel);
const state = { token: localStorage.getItem("truce.token") || "", me: null, lang: document.body.dataset.lang, msg: {}, events: null, terms: {} };

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
  if (state.me) links.push(["#/plans", t("ui.nav.plans")], ["#/agreements", t("ui.nav.agreements")], ["#/windows", t("ui.nav.windows")], ["#/hotline", t("ui.nav.hotline")], ["#/restrictions", t("ui.nav.restrictions")], ["#/seats", t("ui.nav.seats")], ["#/alerts", t("ui.nav.alerts")]);
  links.push(["#/sitrep", t("ui.nav.sitrep")]);
  links.push(state.token ? ["#/logout", t("ui.nav.logout")] : ["#/login", t("ui.nav.login")]);
  $("#nav").innerHTML = links.map(([h, l]) => `<a href="${h}">${esc(l)}</a>`).join("");
  $("#who").textContent = state.me ? `${state.me.member.name || state.me.member.id} · ${partyName(state.me.member.party)} · ${list(roles().map((r) => t("ui.role." + r)))}` : t("ui.public");
  $('label[for="lang"]').textContent = t("ui.language");
}

// loadParties keeps the parties' names for display; parties are public.
async function loadParties() {
  if (state.parties) return state.parties;
  const r = await api("GET", "/v1/parties");
  state.parties = Object.fromEntries((r.ok ? r.json.items : []).map((p) => [p.id, p]));
  return state.parties;
}
// partyName is a party's name in the page's language where the party was
// registered with one, else its registered name.
const partyName = (id) => {
  const p = state.parties && state.parties[id];
  return p ? (p.names && p.names[state.lang]) || p.name : id;
};

// pick chooses a text of a document in the UI language, then English, then
// any, and says which language it is in.
function pick(texts) {
  if (!texts) return ["", ""];
  for (const l of [state.lang, "en"]) if (texts[l]) return [texts[l], l];
  const k = Object.keys(texts).sort()[0];
  return k ? [texts[k], k] : ["", ""];
}

// spoken shows free text as written ({lang, text}), marked with its
// language, and names the language when it is not the UI's.
const spoken = (x) => `<span lang="${esc(x.lang)}">${esc(x.text)}</span>${x.lang !== state.lang ? ` <small class="lang-tag">(${esc(x.lang)})</small>` : ""}`;

// textHTML shows a document's text marked with its language, and names
// the language when it is not the UI's.
function textHTML(texts) {
  const [text, lang] = pick(texts);
  return text ? spoken({ lang, text }) : "";
}
const plain = (texts) => pick(texts)[0];
// tagged is plain text that names its language when it is not the UI's.
const tagged = (texts) => {
  const [s, l] = pick(texts);
  return s && l !== state.lang ? `${s} (${l})` : s;
};
const num = (x) => (x === undefined || x === null ? "?" : new Intl.NumberFormat(state.lang, { maximumFractionDigits: 3 }).format(x));
const fmtDate = (s) => (s ? new Intl.DateTimeFormat(state.lang, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(s)) : "—");
const list = (xs) => (Intl.ListFormat ? new Intl.ListFormat(state.lang, { type: "conjunction" }).format(xs) : xs.join(", "));
const problem = (r) => (r.json ? `${r.json.title}${r.json.detail ? ": " + r.json.detail : ""}` : String(r.status));

function showProblem(r) {
  const login = r.status === 401 ? ` <a href="#/login">${esc(t("ui.nav.login"))}</a>` : "";
  $("#main").innerHTML = `<p class="error">${esc(problem(r))}</p>${login}`;
}

const siteKinds = ["nuclear", "energy", "water", "hospital"];

function vertices(g) {
  if (!g) return 0;
  if (g.type === "LineString") return g.coordinates.length;
  if (g.type === "MultiLineString") return g.coordinates.reduce((n, l) => n + l.length, 0);
  return 0;
}

// summary says in a few words what a term requires, in the UI language: the
// same reading as the server's (agreement.Summary), which is English only.
function summary(term) {
  switch (term.type) {
    case "effective":
      return term.duration_days > 0 ? t("ui.sum.effective_for", term.duration_days, fmtDate(term.from)) : t("ui.sum.effective_indefinite", fmtDate(term.from));
    case "reference_line":
      return t("ui.sum.line", vertices(term.geometry), term.party ? partyName(term.party) : t("ui.sum.common"));
    case "disengagement_zone": {
      let s = t("ui.sum.zone", num(term.width_km));
      if (term.areas && term.areas.length) s += "; " + t("ui.sum.areas", list(term.areas.map((a) => a.name)));
      return s;
    }
    case "withdrawal":
      return (term.classes || []).map((c) => t("ui.sum.class", tagged(c.label) || c.class, num(c.min_km))).join("; ");
    case "protected_sites": {
      const kinds = siteKinds.map((k) => [k, (term.sites || []).filter((x) => x.kind === k).length]).filter(([, n]) => n > 0).map(([k, n]) => t("ui.sites." + k, n));
      return term.radius_km ? t("ui.sum.sites", list(kinds), num(term.radius_km)) : t("ui.sum.sites_own", list(kinds));
    }
    case "prohibited_action":
      return t("action." + term.action) + (term.zone ? " " + t("ui.sum.in_zone", term.zone) : "");
    case "precondition":
      return t("ui.sum.precondition", term.days, term.zone, term.before);
    case "monitoring":
      return (term.monitors || []).map((m) => t("ui.sum.monitor", m.representatives, partyName(m.party))).join(", ");
    case "guarantees":
      return t("ui.sum.guarantors", list((term.guarantors || []).map(partyName)));
    case "clause": {
      const [text, lang] = pick(term.text), r = [...text];
      const short = r.length > 80 ? r.slice(0, 79).join("") + "…" : text;
      return lang && lang !== state.lang ? `${short} (${lang})` : short;
    }
  }
  return term.type;
}

// stancesHTML lists the parties' stances on a term. A withdrawal term is
// shown a weapon class a row: there a counter-proposal is shown for the
// row's class (cell.class), and the stance is said to be on the whole term.
function stancesHTML(stances, cell) {
  if (!stances || !stances.length) return "";
  const cls = cell && cell.class;
  return `<ul class="stances">${stances.map((s) => {
    let counter = "";
    if (s.counter) {
      let c = s.counter;
      if (cls && c.type === "withdrawal") {
        const only = (c.classes || []).filter((x) => x.class === cls);
        if (only.length) c = { ...c, classes: only };
      }
      const same = cell && summary(c) === summary(cell.detail);
      counter = ` <span class="counter">${esc(summary(c))}</span>${same ? ` <small>(${esc(t("ui.stance.same"))})</small>` : ""}`;
    }
    const note = s.note ? ` <q class="note">${esc(s.note)}</q>` : "";
    const whole = cls ? ` <small>${esc(t("ui.stance.whole_term", s.term))}</small>` : "";
    return `<li class="stance stance-${esc(s.stance)}" data-party="${esc(s.party)}" title="${esc(s.member + " · " + fmtTime(s.at))}"><strong>${esc(partyName(s.party))}</strong>: <span class="stance-label">${esc(t("ui.stance." + s.stance))}</span>${counter}${note}${whole}</li>`;
  }).join("")}</ul>`;
}

// own notes the ledger index of the member's own statement: the page
// redraws at once and need not again when the event stream brings it.
function own(r) {
  if (r.json && r.json.statement) state.own = Math.max(state.own || 0, r.json.statement.seq);
}

// mayTakeStance: representatives of belligerents and mediators say where
// they stand on a term; the server checks again.
const mayTakeStance = () => has("representative") && ["belligerent", "mediator"].includes(kind());

// stanceFormHTML offers a stance on one term of a plan or agreement draft.
// The counter-proposal is the term itself as JSON, filled in on request
// from state.terms (a line of contact can be long).
function stanceFormHTML(on, target, term, version) {
  const key = `${target}:${on}:${term}`;
  // A withdrawal term spans several rows: each form needs ids of its own.
  stanceFormHTML.n = (stanceFormHTML.n || 0) + 1;
  const id = "st" + stanceFormHTML.n;
  return `<details class="stance-form"><summary>${esc(t("ui.stance.record_on", term))}</summary>
    <form data-stance data-on="${esc(on)}" data-target="${esc(target)}" data-term="${esc(term)}"${version ? ` data-version="${version}"` : ""} data-key="${esc(key)}">
    <label for="${id}-s">${esc(t("ui.stance.field"))}</label> <select id="${id}-s" name="stance">${["accept", "reject", "counter"].map((x) => `<option value="${x}">${esc(t("ui.stance.opt." + x))}</option>`).join("")}</select>
    <div class="counter-field" hidden><label for="${id}-c">${esc(t("ui.stance.counter_json"))}</label><textarea id="${id}-c" name="counter" rows="8" spellcheck="false"></textarea></div>
    <label for="${id}-n">${esc(t("ui.stance.note"))}</label><textarea id="${id}-n" name="note" rows="2"></textarea>
    <button type="submit">${esc(t("ui.stance.submit"))}</button><p class="error" data-error aria-live="polite"></p></form></details>`;
}

function wireStanceForms() {
  for (const f of document.querySelectorAll("form[data-stance]")) {
    f.stance.addEventListener("change", () => {
      const box = $(".counter-field", f);
      box.hidden = f.stance.value !== "counter";
      if (!box.hidden && !f.counter.value && state.terms[f.dataset.key]) f.counter.value = JSON.stringify(state.terms[f.dataset.key], null, 2);
    });
    f.addEventListener("submit", submitStance);
  }
}

async function submitStance(e) {
  e.preventDefault();
  const f = e.currentTarget, err = $("[data-error]", f);
  err.textContent = "";
  const body = { term: f.dataset.term, stance: f.stance.value };
  if (f.dataset.version) body.version = Number(f.dataset.version);
  if (f.note.value.trim()) body.note = f.note.value.trim();
  if (body.stance === "counter") {
    try {
      body.counter = JSON.parse(f.counter.value);
    } catch (x) {
      err.textContent = t("ui.stance.bad_json", x.message);
      return;
    }
  }
  const base = f.dataset.target === "agreement" ? "/v1/agreements/" : "/v1/plans/";
  const r = await api("POST", base + encodeURIComponent(f.dataset.on) + "/stances", body);
  if (!r.ok) {
    err.textContent = problem(r);
    return;
  }
  own(r);
  toast(t("ui.stance.recorded", f.dataset.term));
  state.dirty = false;
  route();
}

const typeLabel = (type) => t("ui.term." + type);

// topicLabel names a row of the comparison: what its terms are about.
function topicLabel(row) {
  const [topic, n] = row.topic.split("#");
  const [, what] = topic.split(/:(.*)/);
  const cell = row.cells.find((c) => c);
  let s = typeLabel(row.type);
  if (row.type === "reference_line") s += ": " + (what === "common" ? t("ui.sum.common") : partyName(what));
  else if (row.type === "withdrawal") s += ": " + ((cell && tagged(cell.detail.classes[0].label)) || what);
  else if (row.type === "prohibited_action") s += ": " + t("action." + what);
  else if (row.type === "clause") s += " " + ((cell && tagged(cell.detail.title)) || what);
  return n ? `${s} (${n})` : s;
}

// viewPlans lists the plans and agreements the member may read and sets
// the chosen ones side by side, term by term.
async function viewPlans(params) {
  await loadParties();
  const [pl, ag] = await Promise.all([api("GET", "/v1/plans"), api("GET", "/v1/agreements")]);
  if (!pl.ok) return showProblem(pl);
  const plans = pl.json.items, agreements = ag.ok ? ag.json.items : [];
  const docs = await Promise.all(plans.map((p) => api("GET", "/v1/plans/" + encodeURIComponent(p.id))));
  const titles = {};
  plans.forEach((p, i) => (titles[p.id] = docs[i].ok ? docs[i].json.document.title : null));
  for (const a of agreements) titles[a.id] = a.document.title;
  const chosen = (params.get("compare") || "").split(",").filter(Boolean);
  const me = state.me && state.me.member;
  const box = (id) => `<label class="pick"><input type="checkbox" name="pick" value="${esc(id)}"${chosen.includes(id) ? " checked" : ""}><span class="sr-only">${esc(t("ui.plans.pick", plain(titles[id]) || id))}</span></label>`;
  const planRows = plans.map((p) => {
    const share = !p.shared && me && me.party === p.party && has("representative") ? `<button type="button" data-share="${esc(p.id)}">${esc(t("ui.plans.share"))}</button>` : "";
    return `<tr data-plan="${esc(p.id)}"><td>${box(p.id)}</td><td>${textHTML(titles[p.id])} <small><code>${esc(p.id)}</code></small></td><td>${esc(partyName(p.party))}</td><td>${p.version}</td>
      <td>${p.shared ? esc(t("ui.plans.shared")) : `<span class="private">${esc(t("ui.plans.private", partyName(p.party)))}</span>`}</td><td>${esc(fmtTime(p.updated))}</td><td>${share}</td></tr>`;
  }).join("");
  const agRows = agreements.map((a) => `<tr data-agreement="${esc(a.id)}"><td>${box(a.id)}</td><td><a href="#/agreement/${encodeURIComponent(a.id)}">${textHTML(a.document.title)}</a> <small><code>${esc(a.id)}</code></small></td><td>${a.version}</td><td>${agreementBadge(a)}</td></tr>`).join("");
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.plans"))}</h1>
    <form id="compare-form">
    <h2>${esc(t("ui.plans.heading"))}</h2>
    ${plans.length ? `<table class="list" id="plans"><thead><tr><th><span class="sr-only">${esc(t("ui.plans.compare_col"))}</span></th><th>${esc(t("ui.plans.plan"))}</th><th>${esc(t("ui.plans.party"))}</th><th>${esc(t("ui.plans.version"))}</th><th>${esc(t("ui.plans.visibility"))}</th><th>${esc(t("ui.plans.updated"))}</th><th><span class="sr-only">${esc(t("ui.actions"))}</span></th></tr></thead><tbody>${planRows}</tbody></table>` : `<p>${esc(t("ui.plans.none"))}</p>`}
    ${agreements.length ? `<h2>${esc(t("ui.plans.agreements"))}</h2><table class="list" id="drafts"><thead><tr><th><span class="sr-only">${esc(t("ui.plans.compare_col"))}</span></th><th>${esc(t("ui.agreement.title"))}</th><th>${esc(t("ui.plans.version"))}</th><th>${esc(t("ui.field.status"))}</th></tr></thead><tbody>${agRows}</tbody></table>` : ""}
    <p><button type="submit">${esc(t("ui.plans.compare"))}</button> <span class="error" id="err-compare" aria-live="polite"></span></p></form>
    <section id="comparison"></section>`;
  $("#compare-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ids = [...document.querySelectorAll('input[name="pick"]:checked')].map((x) => x.value);
    if (ids.length < 2) {
      $("#err-compare").textContent = t("ui.plans.pick_two");
      return;
    }
    location.hash = "#/plans?compare=" + ids.map(encodeURIComponent).join(",");
  });
  for (const b of document.querySelectorAll("button[data-share]")) b.addEventListener("click", async () => {
    const r = await api("POST", `/v1/plans/${encodeURIComponent(b.dataset.share)}/share`, {});
    if (!r.ok) return toast(problem(r));
    own(r);
    toast(t("ui.plans.shared_done", b.dataset.share));
    route();
  });
  if (chosen.length >= 2) await renderComparison(chosen, titles, plans, agreements);
}

async function renderComparison(ids, titles, plans, agreements) {
  const el = $("#comparison");
  const r = await api("GET", "/v1/plans/compare?plans=" + ids.map(encodeURIComponent).join(","));
  if (!r.ok) {
    el.innerHTML = `<p class="error">${esc(problem(r))}</p>`;
    return;
  }
  const cmp = r.json, me = state.me && state.me.member;
  const kindOf = (id) => (agreements.some((a) => a.id === id) ? "agreement" : "plan");
  // The whole term of each column, for counter-proposals: a withdrawal term
  // comes split by weapon class.
  state.terms = {};
  for (const row of cmp.rows) for (const c of row.cells) {
    if (!c) continue;
    const key = `${kindOf(c.plan)}:${c.plan}:${c.term}`;
    const have = state.terms[key];
    if (have && c.detail.type === "withdrawal") have.classes = [...have.classes, ...c.detail.classes];
    else if (!have) state.terms[key] = structuredClone(c.detail);
  }
  const mayStance = (id) => {
    if (!mayTakeStance()) return false;
    if (kindOf(id) === "agreement") return !agreements.find((a) => a.id === id).signed;
    const p = plans.find((x) => x.id === id);
    return p && p.party !== me.party;
  };
  const version = (id) => (kindOf(id) === "agreement" ? agreements.find((a) => a.id === id).version : 0);
  const head = cmp.plans.map((id) => {
    const p = plans.find((x) => x.id === id);
    return `<th scope="col" data-col="${esc(id)}">${textHTML(titles[id]) || esc(id)}<br><small><code>${esc(id)}</code>${p ? " · " + esc(partyName(p.party)) : " · " + esc(t("ui.plans.draft"))}</small></th>`;
  }).join("");
  const body = cmp.rows.map((row) => {
    const cells = row.cells.map((c, i) => {
      if (!c) return `<td class="absent">${esc(t("ui.compare.absent"))}</td>`;
      const title = tagged(c.detail.title);
      const form = mayStance(cmp.plans[i]) ? stanceFormHTML(c.plan, kindOf(c.plan), c.term, version(c.plan)) : "";
      return `<td data-plan="${esc(c.plan)}" data-term="${esc(c.term)}"><div class="term-ref">${esc(t("ui.term_n", c.term))}${title ? " · " + esc(title) : ""}</div>
        <div class="summary" title="${esc(c.summary)}">${esc(summary(c.detail))}</div>${stancesHTML(c.stances, c)}${form}</td>`;
    }).join("");
    const mark = row.agree ? `<div class="agree-mark">✓ ${esc(t("ui.compare.agree"))}</div>` : "";
    return `<tr data-topic="${esc(row.topic)}"${row.agree ? ' class="agree"' : ""}><th scope="row">${esc(topicLabel(row))}${mark}</th>${cells}</tr>`;
  }).join("");
  const agreed = cmp.rows.filter((x) => x.agree).length;
  el.innerHTML = `<h2 id="cmp-h">${esc(t("ui.compare.heading"))}</h2><p>${esc(t("ui.compare.agreed", agreed, cmp.rows.length))}</p>
    <div class="scroll" role="region" tabindex="0" aria-labelledby="cmp-h"><table class="compare"><thead><tr><th scope="col">${esc(t("ui.compare.topic"))}</th>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  wireStanceForms();
}

// agreementState says where a version stands. A draft and a superseded
// version say so; a signed one shares its instrument's state now (in
// force, not yet in force, expired, suspended, terminated or replaced),
// unless another version of the instrument is the one in force.
function agreementState(a) {
  if (a.superseded) return "superseded";
  if (!a.signed) return "draft";
  const st = a.status || {};
  if (st.state === "in_force" && st.version !== a.version) {
    const w = effectiveWindow(a.document);
    return w && w.from > Date.now() ? "pending" : "not_in_force";
  }
  return st.state || "not_in_force";
}

function effectiveWindow(doc) {
  const e = doc.terms.find((x) => x.type === "effective");
  if (!e) return null;
  const from = Date.parse(e.from);
  return { from, until: e.duration_days > 0 ? from + e.duration_days * 86400000 : 0 };
}

const stateBadge = (s) => `<span class="badge badge-${esc(s)}">${esc(t("ui.agreement.state." + s))}</span>`;
const agreementBadge = (a) => stateBadge(agreementState(a));

// remember keeps a version's document, as agreementDoc would fetch it: the
// pages name instruments by their titles.
function remember(a) {
  state.docs = state.docs || {};
  state.docs[a.id + "/" + a.version] = a.document;
}

// instrumentTitle names an instrument in the page's language, from a
// document fetched before (agreementDoc, remember), else by its ID.
function instrumentTitle(id, version) {
  const docs = state.docs || {};
  const doc = docs[id + "/" + version] || Object.entries(docs).find(([k, d]) => d && k.startsWith(id + "/"))?.[1];
  return doc ? tagged(doc.title) || id : id;
}
const instrumentVersion = (id, version) => t("ui.instrument.version", instrumentTitle(id, version), version);

// preloadDocs fetches the documents of [id, version] pairs (0: the latest)
// for their titles; documents are for members only.
async function preloadDocs(pairs) {
  if (!state.token) return;
  await Promise.all(pairs.map(([id, v]) => agreementDoc(id, v || 0)));
}

// statusDetail says since when an instrument stands where it does, and
// who suspended it or what replaced it.
function statusDetail(st) {
  if (!st) return "";
  const since = st.since ? fmtTime(st.since) : "";
  switch (st.state) {
    case "in_force":
      return t("ui.status.in_force", st.version, since);
    case "suspended":
      return t("ui.status.suspended", list((st.suspended_by || []).map(partyName)), since);
    case "terminated":
      return t("ui.status.terminated", since);
    case "replaced":
      return st.replaced_by ? t("ui.status.replaced", instrumentVersion(st.replaced_by.by, st.replaced_by.version), fmtTime(st.replaced_by.from)) : "";
  }
  return "";
}

// instrumentStatusHTML is an instrument's state now as a badge, and since
// when; the latest version may be an amendment still awaiting signatures.
function instrumentStatusHTML(a) {
  const st = a.status || { state: agreementState(a) };
  const detail = statusDetail(st);
  const draft = !a.signed && st.state !== "draft" ? ` <small class="note">${esc(t("ui.agreement.draft_version", a.version))}</small>` : "";
  return `${stateBadge(st.state)}${detail ? ` <small class="status-detail">${esc(detail)}</small>` : ""}${draft}`;
}

async function viewAgreements(params) {
  await loadParties();
  const r = await api("GET", "/v1/agreements");
  if (!r.ok) return showProblem(r);
  const items = r.json.items;
  items.forEach(remember);
  const day = /^\d{4}-\d{2}-\d{2}$/.test(params.get("at") || "") ? params.get("at") : "";
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.agreements"))}</h1>
    <section id="in-force" aria-labelledby="in-force-h"><h2 id="in-force-h">${esc(t("ui.inforce.heading"))}</h2>
      <form id="in-force-form" class="filters"><label for="in-force-at">${esc(t("ui.inforce.on"))}</label> <input type="date" id="in-force-at" name="at" value="${esc(day)}"> <button type="button" id="in-force-now">${esc(t("ui.inforce.now"))}</button></form>
      <div id="in-force-body" aria-live="polite"></div></section>
    <h2>${esc(t("ui.agreement.list_heading"))}</h2>
    ${items.length ? `<table class="list" id="agreements"><thead><tr><th>${esc(t("ui.agreement.title"))}</th><th>${esc(t("ui.plans.version"))}</th><th>${esc(t("ui.field.status"))}</th><th>${esc(t("ui.agreement.signed_by"))}</th><th>${esc(t("ui.agreement.missing"))}</th></tr></thead><tbody>${items
    .map((a) => `<tr data-agreement="${esc(a.id)}" data-state="${esc((a.status || {}).state || "")}"><td><a href="#/agreement/${encodeURIComponent(a.id)}">${textHTML(a.document.title)}</a> <small><code>${esc(a.id)}</code></small></td><td>${a.version}</td><td>${instrumentStatusHTML(a)}</td><td>${esc(list(a.signed_by.map(partyName)))}</td><td>${esc(list(a.missing.map(partyName)))}</td></tr>`).join("")}</tbody></table>` : `<p>${esc(t("ui.agreement.none"))}</p>`}`;
  let asked = 0;
  const show = async (d) => {
    const n = ++asked, html = await inForceHTML(d);
    if (n === asked && $("#in-force-body")) $("#in-force-body").innerHTML = html;
  };
  // The date goes into the address, so that a redraw (new statements on
  // the ledger) or a reload keeps it.
  const pick = (d) => {
    history.replaceState(null, "", "#/agreements" + (d ? "?at=" + d : ""));
    show(d);
  };
  $("#in-force-at").addEventListener("change", (e) => pick(e.currentTarget.value));
  $("#in-force-now").addEventListener("click", () => {
    $("#in-force-at").value = "";
    pick("");
  });
  await show(day);
}

// inForceHTML lists the instruments in force at 00:00 UTC on a day (empty:
// now) and where the others stand then.
async function inForceHTML(day) {
  const r = await api("GET", "/v1/in-force" + (day ? "?at=" + encodeURIComponent(day + "T00:00:00Z") : ""));
  if (!r.ok) return `<p class="error">${esc(problem(r))}</p>`;
  const { at, items } = r.json, others = r.json.not_in_force || [];
  const when = fmtTime(at);
  const rows = items.map((x) => {
    const until = x.until ? t("ui.inforce.until", fmtTime(x.until)) : t("ui.agreement.indefinite");
    const g = x.signing && x.signing.guarantors && x.signing.guarantors.length ? "; " + t("ui.inforce.guarantors", list(x.signing.guarantors.map(partyName))) : "";
    return `<li data-agreement="${esc(x.agreement)}" data-version="${x.version}"><a href="#/agreement/${encodeURIComponent(x.agreement)}?version=${x.version}">${textHTML(x.title)}</a> · ${esc(t("ui.inforce.item", x.version, fmtTime(x.since), until, list(x.parties.map(partyName))) + g)}</li>`;
  }).join("");
  const rest = others.map((x) => `<li data-agreement="${esc(x.agreement)}" data-state="${esc(x.status.state)}"><a href="#/agreement/${encodeURIComponent(x.agreement)}">${esc(instrumentTitle(x.agreement))}</a> ${stateBadge(x.status.state)}${statusDetail(x.status) ? ` <small>${esc(statusDetail(x.status))}</small>` : ""}</li>`).join("");
  return `<p id="in-force-count">${esc(items.length ? t("ui.inforce.count", items.length, when) : t("ui.inforce.none", when))}</p>${rows ? `<ul id="in-force-list">${rows}</ul>` : ""}
    ${rest ? `<p>${esc(t("ui.inforce.others"))}</p><ul id="not-in-force">${rest}</ul>` : ""}`;
}

// sourceHTML says where a term of the draft came from.
function sourceHTML(src, id) {
  if (!src) return esc(t("ui.source.unknown"));
  if (src === "mediator") return esc(t("ui.source.mediator"));
  const [plan, term] = src.split("/");
  return `${esc(t("ui.source.plan_term", term || "?"))} <a href="#/plans?compare=${encodeURIComponent(plan)},${encodeURIComponent(id)}">${esc(plan)}</a>`;
}

// termBody shows what a term says, by its type.
function termBody(term, a) {
  const row = (label, value) => (value ? `<tr><th scope="row">${esc(label)}</th><td>${value}</td></tr>` : "");
  const lines = (ids) => esc(ids && ids.length ? list(ids.map((x) => t("ui.term_n", x))) : t("ui.term.all_lines"));
  let rows = "";
  switch (term.type) {
    case "effective": {
      const w = effectiveWindow(a.document);
      rows += row(t("ui.agreement.from"), esc(fmtTime(term.from)));
      rows += row(t("ui.agreement.until"), esc(w.until ? fmtTime(new Date(w.until).toISOString()) : t("ui.agreement.indefinite")));
      break;
    }
    case "reference_line":
      rows += row(t("ui.term.line_of"), esc(term.party ? partyName(term.party) : t("ui.sum.common")));
      rows += row(t("ui.term.vertices"), esc(num(vertices(term.geometry))) + ` · <a href="#/map">${esc(t("ui.term.on_map"))}</a>`);
      break;
    case "disengagement_zone":
      rows += row(t("ui.term.width"), esc(t("ui.sum.zone", num(term.width_km))));
      rows += row(t("ui.term.from_lines"), lines(term.lines));
      rows += row(t("ui.term.areas"), esc(list((term.areas || []).map((x) => x.name))));
      break;
    case "withdrawal":
      rows += row(t("ui.term.from_lines"), lines(term.lines));
      rows += row(t("ui.term.classes"), `<table class="inner"><thead><tr><th>${esc(t("ui.term.class"))}</th><th>${esc(t("ui.term.min_km"))}</th><th>${esc(t("ui.term.weapons"))}</th></tr></thead><tbody>${(term.classes || [])
        .map((c) => `<tr data-class="${esc(c.class)}"><td>${textHTML(c.label) || esc(c.class)}</td><td>${esc(num(c.min_km))}</td><td>${esc((c.weapons || []).join(", "))}</td></tr>`).join("")}</tbody></table>`);
      break;
    case "protected_sites": {
      const sites = term.sites || [];
      const table = `<table class="inner"><thead><tr><th>${esc(t("ui.term.site"))}</th><th>${esc(t("ui.term.kind"))}</th><th>${esc(t("ui.term.radius"))}</th></tr></thead><tbody>${sites
        .map((x) => `<tr><td>${esc(x.name)}</td><td>${esc(t("ui.site_kind." + x.kind))}</td><td>${esc(num(x.radius_km ?? term.radius_km))}</td></tr>`).join("")}</tbody></table>`;
      rows += row(t("ui.term.radius_default"), term.radius_km ? esc(num(term.radius_km)) : "");
      rows += row(t("ui.term.sites"), sites.length > 12 ? `<details><summary>${esc(summary(term))}</summary>${table}</details>` : table);
      break;
    }
    case "prohibited_action":
      rows += row(t("ui.term.action"), esc(t("action." + term.action)));
      rows += row(t("ui.term.zone"), term.zone ? esc(t("ui.term_n", term.zone)) : "");
      break;
    case "precondition": {
      rows += row(t("ui.term.condition"), esc(summary(term)));
      const p = (a.preconditions || []).find((x) => x.term === term.id);
      if (p) rows += row(t("ui.term.condition_now"), preconditionHTML(p));
      break;
    }
    case "monitoring":
      rows += row(t("ui.term.monitors"), `<ul>${(term.monitors || []).map((m) => `<li>${esc(t("ui.sum.monitor", m.representatives, partyName(m.party)))}${m.access && m.access.length ? ` — ${esc(list(m.access.map((x) => t("ui.access." + x))))}` : ""}</li>`).join("")}</ul>`);
      break;
    case "guarantees":
      rows += row(t("ui.term.guarantors"), esc(list((term.guarantors || []).map(partyName))));
      break;
  }
  if (term.applies_to && term.applies_to.length) rows += row(t("ui.term.applies_to"), esc(list(term.applies_to.map((x) => t("ui.type." + x)))));
  const text = term.text ? `<p class="term-text">${textHTML(term.text)}</p>` : "";
  return (rows ? `<table class="fields">${rows}</table>` : "") + text;
}

// preconditionHTML says how a quiet-days condition stands: met, counting
// or at risk, since when the zone is quiet on the verified record, and the
// incidents still under verification that could restart the count.
function preconditionHTML(p) {
  const st = p.state || (p.met ? "met" : "counting");
  const link = (id) => `<a href="#/incident/${encodeURIComponent(id)}">${esc(id)}</a>`;
  let s = `<span class="badge pre-${esc(st)}" data-state="${esc(st)}">${esc(t("ui.pre." + st))}</span> ${esc(t("ui.pre.quiet", fmtTime(p.quiet_since)))} ${esc(t("ui.pre.required", p.days))}`;
  if (p.last_violation) s += ` ${esc(t("ui.pre.last_violation"))} ${link(p.last_violation)}`;
  const risk = p.at_risk || [];
  if (risk.length) s += `<br><span class="at-risk">${esc(t("ui.pre.at_risk_list", risk.length))}</span> <span class="at-risk-links">${risk.map(link).join(", ")}</span>`;
  return `<span class="precondition" data-term="${esc(p.term)}">${s}</span>`;
}

// viewAgreement shows a version of an agreement term by term, where each
// term came from, who has signed and who has not, where the instrument
// stands and what happened to it; members who may, sign it, suspend,
// resume or terminate it, each after a dry run says what would change.
async function viewAgreement(id, params) {
  await loadParties();
  const v = params.get("version");
  const r = await api("GET", `/v1/agreements/${encodeURIComponent(id)}` + (v ? "?version=" + encodeURIComponent(v) : ""));
  if (!r.ok) return showProblem(r);
  const a = r.json, d = a.document, me = state.me && state.me.member;
  remember(a);
  // The titles of the instruments it names: those it replaces, the one that replaced it.
  const replaces = a.replaces || (d.replaces || []).map((x) => ({ agreement: x }));
  await preloadDocs([...replaces.map((x) => [x.agreement, 0]), ...(a.status && a.status.replaced_by ? [[a.status.replaced_by.by, a.status.replaced_by.version]] : [])]);
  const w = effectiveWindow(d);
  const span = !w ? t("ui.agreement.no_effective") : w.until ? t("ui.agreement.window", fmtDate(w.from), fmtDate(w.until)) : t("ui.agreement.window_open", fmtDate(w.from));
  const versions = a.versions.map((n) => (n === a.version ? `<strong aria-current="page">${n}</strong>` : `<a href="#/agreement/${encodeURIComponent(id)}?version=${n}">${n}</a>`)).join(" ");
  const sigs = a.signatures.map((s) => `<tr data-party="${esc(s.party)}"><td>${esc(partyName(s.party))}</td><td>${esc(s.member)}</td><td>${esc(fmtTime(s.at))}</td><td><code title="${esc(s.signature)}">${esc(s.key)}</code></td></tr>`).join("");
  const canSign = me && has("representative") && a.missing.includes(me.party) && !a.superseded;
  let sign = "";
  // The Sign button waits for the dry run: the member sees what the
  // signature does before giving it.
  if (canSign && state.me.centre_signs)
    sign = `<form id="sign" class="action"><h3>${esc(t("ui.agreement.sign_heading"))}</h3>
      <div id="sign-preview" class="impact" aria-live="polite"><p class="note">${esc(t("ui.impact.asking"))}</p></div>
      <p><label><input type="checkbox" name="confirm" required> ${esc(t("ui.agreement.sign_confirm", a.version, partyName(me.party), a.digest))}</label></p>
      <button type="submit" disabled>${esc(t("ui.agreement.sign", partyName(me.party)))}</button><p class="error" data-error aria-live="polite"></p></form>`;
  else if (canSign) sign = `<p class="note">${esc(t("ui.agreement.sign_cli", id, a.version))}</p>`;
  const stanceOK = mayTakeStance() && !a.signed && !a.superseded;
  state.terms = {};
  const terms = d.terms.map((term) => {
    state.terms[`agreement:${id}:${term.id}`] = term;
    const stances = (a.stances || []).filter((s) => s.term === term.id && s.version === a.version);
    const flagged = a.signed && ["disengagement_zone", "withdrawal", "protected_sites", "prohibited_action"].includes(term.type)
      ? `<p><a href="#/incidents?term=${encodeURIComponent(id + "/" + term.id)}">${esc(t("ui.agreement.flagged"))}</a></p>` : "";
    return `<article class="term" id="term-${esc(term.id)}" data-term="${esc(term.id)}" tabindex="-1" aria-labelledby="term-h-${esc(term.id)}">
      <h3 id="term-h-${esc(term.id)}">${esc(t("ui.term_n", term.id))} · ${term.title ? `${textHTML(term.title)} <small class="type">${esc(typeLabel(term.type))}</small>` : esc(typeLabel(term.type))}</h3>
      <p class="source">${esc(t("ui.agreement.source"))}: ${sourceHTML(a.sources[term.id], id)}</p>
      ${termBody(term, a)}${stancesHTML(stances)}${flagged}${stanceOK ? stanceFormHTML(id, "agreement", term.id, a.version) : ""}</article>`;
  }).join("");
  const detail = statusDetail(a.status);
  const replacesHTML = replaces.map((x) => `<a href="#/agreement/${encodeURIComponent(x.agreement)}" data-replaces="${esc(x.agreement)}">${esc(instrumentTitle(x.agreement))}</a>${x.state ? ` (${esc(t("ui.agreement.state." + x.state))})` : ""}`).join(", ");
  $("#main").innerHTML = `<h1>${textHTML(d.title)}</h1>
    <p id="agreement-status">${agreementBadge(a)}${detail ? ` <span class="status-detail">${esc(detail)}</span>` : ""} ${a.in_force ? "" : `<span>${esc(t("ui.agreement.not_in_force_now"))}</span>`}</p>
    ${a.withheld ? `<p id="withheld" class="note">${esc(t("ui.seats.withheld", list(a.withheld.map((x) => t("ui.seats.access." + x)))))}</p>` : ""}
    <table class="fields">
      ${fieldRow(t("ui.field.id"), `<code>${esc(id)}</code>`)}
      ${fieldRow(t("ui.agreement.versions"), versions + (a.document.amends ? " " + esc(t("ui.agreement.amends", a.document.amends)) : ""))}
      ${fieldRow(t("ui.agreement.effective"), esc(span))}
      ${fieldRow(t("ui.agreement.parties"), esc(list(d.parties.map(partyName))))}
      ${fieldRow(t("ui.agreement.replaces"), replacesHTML)}
      ${fieldRow(t("ui.agreement.drafted"), esc(fmtTime(a.drafted_at) + " · " + a.drafted_by))}
      ${fieldRow(t("ui.agreement.signed_at"), a.signed_at ? esc(fmtTime(a.signed_at)) : "")}
      ${fieldRow(t("ui.agreement.digest"), `<code>${esc(a.digest)}</code>`)}
    </table>
    ${requirementsHTML(a)}
    <h2>${esc(t("ui.agreement.signatures"))}</h2>
    ${sigs ? `<table class="list" id="signatures"><thead><tr><th>${esc(t("ui.plans.party"))}</th><th>${esc(t("ui.agreement.member"))}</th><th>${esc(t("ui.field.time"))}</th><th>${esc(t("ui.agreement.key"))}</th></tr></thead><tbody>${sigs}</tbody></table>` : `<p>${esc(t("ui.agreement.no_signatures"))}</p>`}
    <p id="missing">${a.missing.length ? esc(t("ui.agreement.awaiting", list(a.missing.map(partyName)))) : esc(t("ui.agreement.all_signed"))}</p>
    ${sign}
    ${eventsHTML(a)}
    ${changeFormsHTML(a)}
    <p><button type="button" id="download">${esc(t(a.signed ? "ui.agreement.download" : "ui.agreement.download_draft"))}</button></p>
    <h2>${esc(t("ui.agreement.terms"))}</h2>${terms}`;
  $("#download").addEventListener("click", () => download(`/v1/agreements/${encodeURIComponent(id)}/file?version=${a.version}`, `${id}-v${a.version}.json`));
  if ($("#sign")) {
    const f = $("#sign"), preview = $("#sign-preview");
    api("POST", `/v1/agreements/${encodeURIComponent(id)}/sign`, { version: a.version, dry_run: true }).then(async (p) => {
      const html = p.ok ? await impactHTML(p.json.impact, "sign", a) : "";
      if (!f.isConnected) return;
      preview.innerHTML = html;
      if (!p.ok) $("[data-error]", f).textContent = problem(p);
      preview.dataset.ready = "true";
      $("button", f).disabled = false;
    });
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      const s = await api("POST", `/v1/agreements/${encodeURIComponent(id)}/sign`, { version: a.version });
      if (!s.ok) {
        $("[data-error]", f).textContent = problem(s);
        return;
      }
      own(s);
      toast(t("ui.agreement.signed_done", id));
      state.dirty = false;
      route();
    });
  }
  wireChangeForms(id, a);
  wireStanceForms();
  const focus = params.get("term") && document.getElementById("term-" + params.get("term"));
  if (focus) focus.scrollIntoView(), focus.focus(), focus.classList.add("target");
}

// requirementsHTML lists what entry into force needs: each party's
// signature, or k of n of a group; guarantors countersign, not bound.
function requirementsHTML(a) {
  const rows = (a.requirements || []).map((q) => {
    const who = q.group ? t("ui.req.group", q.group, q.threshold, q.parties.length, list(q.parties.map(partyName))) : partyName(q.parties[0]);
    const role = q.guarantor ? ` <small class="guarantor">${esc(t("ui.req.guarantor"))}</small>` : "";
    const met = q.met ? `<span class="met">✓ ${esc(t("ui.req.met"))}</span>` : esc(t("ui.req.awaiting", Math.max(1, q.threshold - q.signed_by.length)));
    return `<tr data-parties="${esc(q.parties.join(","))}"${q.group ? ` data-group="${esc(q.group)}"` : ""}${q.guarantor ? ' data-guarantor="true"' : ""}><td>${esc(who)}${role}</td><td>${esc(list(q.signed_by.map(partyName))) || "—"}</td><td>${met}</td></tr>`;
  }).join("");
  return rows ? `<h2 id="req-h">${esc(t("ui.req.heading"))}</h2><table class="list" id="requirements" aria-labelledby="req-h"><thead><tr><th>${esc(t("ui.req.who"))}</th><th>${esc(t("ui.agreement.signed_by"))}</th><th>${esc(t("ui.req.state"))}</th></tr></thead><tbody>${rows}</tbody></table>` : "";
}

// eventsHTML lists the instrument's suspensions, resumptions and
// termination: who, why, and from when they take effect.
function eventsHTML(a) {
  const evs = a.events || [];
  if (!evs.length && !a.signed && (!a.status || a.status.state === "draft")) return "";
  const rows = evs.map((e) => `<tr data-kind="${esc(e.kind)}" data-party="${esc(e.party)}" data-seq="${e.seq}"><td>${esc(t("ui.events.kind." + e.kind))}</td><td>${esc(partyName(e.party))} · ${esc(e.member)}</td><td>${esc(e.reason || "—")}</td><td>${esc(fmtTime(e.from))}</td><td>${esc(fmtTime(e.at))}</td><td>${e.seq}</td></tr>`).join("");
  return `<h2 id="events-h">${esc(t("ui.events.heading"))}</h2>${rows ? `<table class="list" id="events" aria-labelledby="events-h"><thead><tr><th>${esc(t("ui.events.what"))}</th><th>${esc(t("ui.events.by"))}</th><th>${esc(t("ui.events.reason"))}</th><th>${esc(t("ui.events.from"))}</th><th>${esc(t("ui.events.at"))}</th><th>${esc(t("ui.events.seq"))}</th></tr></thead><tbody>${rows}</tbody></table>` : `<p id="events-none" class="note">${esc(t("ui.events.none"))}</p>`}`;
}

// mayChange: representatives of the parties that sign an instrument, and
// the centre's coordinators, suspend, resume and terminate it; the server
// checks again.
function mayChange(a) {
  if (!state.me) return false;
  if (kind() === "centre" && has("coordinator")) return true;
  const signers = [...a.document.parties, ...((a.document.signing && a.document.signing.guarantors) || [])];
  return has("representative") && signers.includes(state.me.member.party);
}

// changeFormsHTML offers the changes the member may make now: a party's
// suspension is lifted by that party or the centre.
function changeFormsHTML(a) {
  const st = a.status || {};
  if (!mayChange(a) || ["draft", "terminated", "replaced"].includes(st.state) || a.superseded) return "";
  const mine = kind() === "centre" ? "centre" : state.me.member.party;
  const by = st.suspended_by || [];
  const kinds = [];
  if (!by.includes(mine)) kinds.push("suspend");
  let note = "";
  if (st.state === "suspended" && (mine === "centre" || by.includes(mine))) kinds.push("resume");
  else if (st.state === "suspended") note = `<p class="note" id="resume-note">${esc(t("ui.change.resume_by", list(by.map(partyName))))}</p>`;
  kinds.push("terminate");
  const form = (k) => {
    const f = "chg-" + k;
    return `<details class="change-form" data-kind="${k}"><summary>${esc(t("ui.change." + k))}</summary>
      <form id="${f}" class="action" data-change="${k}" novalidate>
      ${k === "terminate" ? `<p class="note">${esc(t("ui.change.terminate_note"))}</p>` : ""}
      <div class="field"><label for="${f}-reason">${esc(t(k === "resume" ? "ui.change.reason_optional" : "ui.change.reason"))}</label><textarea id="${f}-reason" name="reason" rows="2" aria-describedby="${f}-err"${k === "resume" ? "" : " required"}></textarea></div>
      <div class="field"><label for="${f}-from">${esc(t("ui.change.from"))}</label><input id="${f}-from" name="from" type="datetime-local" aria-describedby="${f}-err"></div>
      <button type="submit">${esc(t("ui.change.preview"))}</button>
      <div class="impact" data-impact aria-live="polite"></div>
      <button type="button" data-confirm hidden>${esc(t("ui.change.confirm." + k))}</button>
      <p class="error" id="${f}-err" data-error aria-live="polite"></p></form></details>`;
  };
  return `<section id="changes-forms" aria-labelledby="chg-h"><h2 id="chg-h">${esc(t("ui.change.heading"))}</h2>${note}${kinds.map(form).join("")}</section>`;
}

// wireChangeForms: a change is first sent as a dry run, whose answer the
// form shows; the member then confirms it. Editing the form withdraws the
// preview.
function wireChangeForms(id, a) {
  for (const f of document.querySelectorAll("form[data-change]")) {
    const k = f.dataset.change, err = $("[data-error]", f), out = $("[data-impact]", f), confirm = $("button[data-confirm]", f);
    const path = `/v1/agreements/${encodeURIComponent(id)}/${k}`;
    const body = () => {
      err.textContent = "";
      for (const el of f.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
      const b = {}, reason = f.reason.value.trim();
      if (reason) b.reason = reason;
      else if (k !== "resume") {
        err.textContent = t("ui.change.reason_required");
        f.reason.setAttribute("aria-invalid", "true");
        f.reason.focus();
        return null;
      }
      if (f.from.value) {
        const at = new Date(f.from.value + "Z");
        if (isNaN(at)) {
          err.textContent = t("ui.form.date");
          f.from.setAttribute("aria-invalid", "true");
          f.from.focus();
          return null;
        }
        b.from = at.toISOString().replace(".000Z", "Z");
      }
      return b;
    };
    const withdraw = () => {
      out.innerHTML = "";
      delete out.dataset.ready;
      confirm.hidden = true;
    };
    // An open form is work in progress: the event stream leaves it alone.
    const box = f.closest("details");
    box.addEventListener("toggle", () => {
      if (box.open) state.dirty = true;
    });
    f.addEventListener("input", withdraw);
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      state.dirty = true;
      withdraw();
      const b = body();
      if (!b) return;
      out.innerHTML = `<p class="note">${esc(t("ui.impact.asking"))}</p>`;
      const p = await api("POST", path, { ...b, dry_run: true });
      const html = p.ok ? await impactHTML(p.json.impact, k, a) : "";
      out.innerHTML = html;
      if (!p.ok) {
        err.textContent = problem(p);
        return;
      }
      out.dataset.ready = "true";
      confirm.hidden = false;
      confirm.focus();
    });
    confirm.addEventListener("click", async () => {
      const b = body();
      if (!b) return;
      confirm.disabled = true;
      const s = await api("POST", path, b);
      confirm.disabled = false;
      if (!s.ok) {
        err.textContent = problem(s);
        return;
      }
      own(s);
      toast(t("ui.change.done." + k, tagged(a.document.title)));
      state.dirty = false;
      route();
    });
  }
}

// download saves what an authenticated GET returns: a plain link would not
// carry the member's token.
async function download(path, name) {
  const resp = await fetch(path, { headers: { Authorization: "Bearer " + state.token } });
  if (!resp.ok) return toast(String(resp.status));
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// The incident types and statuses the API knows, in the order forms offer them.
const incidentTypes = ["shelling", "missile", "drone", "air_strike", "small_arms_fire", "ground_assault", "weapons_in_zone", "infrastructure_damage", "monitor_restriction", "casualties"];
const incidentStatuses = ["reported", "triaged", "assigned", "investigating", "finding", "published"];

const statusBadge = (s) => `<span class="status status-${esc(s)}">${esc(t("ui.status." + s))}</span>`;

async function viewIncidents(params) {
  await loadParties();
  const q = new URLSearchParams({ limit: "100" });
  for (const k of ["status", "type", "party", "term"]) if (params.get(k)) q.set(k, params.get(k));
  const r = await api("GET", "/v1/incidents?" + q);
  const opts = (name, values, label) => `<label>${esc(label)} <select name="${name}"><option value="">${esc(t("ui.any"))}</option>${values
    .map((v) => `<option value="${v}"${params.get(name) === v ? " selected" : ""}>${esc(t("ui." + name + "." + v))}</option>`).join("")}</select></label>`;
  const types = incidentTypes, statuses = incidentStatuses;
  const items = (r.json && r.json.items) || [];
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.incidents"))}</h1>
    <form id="filters" class="filters">${opts("status", statuses, t("ui.field.status"))}${opts("type", types, t("ui.field.type"))}${params.get("term") ? `<input type="hidden" name="term" value="${esc(params.get("term"))}">` : ""}</form>
    ${params.get("term") ? `<p class="note" id="term-filter">${esc(t("ui.incidents.flagged", params.get("term")))} <a href="#/incidents">${esc(t("ui.incidents.all"))}</a></p>` : ""}
    <p class="count">${esc(t("ui.count", items.length))}</p>
    <table class="list"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.field.observed"))}</th><th>${esc(t("ui.field.type"))}</th><th>${esc(t("ui.field.status"))}</th><th>${esc(t("ui.field.party"))}</th><th>${esc(t("ui.field.place"))}</th></tr></thead>
    <tbody id="rows">${items.map((i) => `<tr data-id="${i.id}"><td><a href="#/incident/${i.id}">${i.id}</a></td><td>${esc(fmtTime(i.observed_from))}</td><td>${esc(t("ui.type." + i.report.type))}</td><td>${statusBadge(i.status)}</td><td>${esc(partyName(i.party))}</td><td>${esc(i.report.location.place || "")}</td></tr>`).join("")}</tbody></table>`;
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
  const [r, h] = await Promise.all([api("GET", "/v1/incidents/" + id), api("GET", "/v1/incidents/" + id + "/history"), loadParties()]);
  if (!r.ok) {
    $("#main").innerHTML = `<p class="error">${esc((r.json && r.json.title) || r.status)}</p>`;
    return;
  }
  const i = r.json, rep = i.report;
  const counts = Object.entries(rep.counts || {}).map(([k, v]) => t("ui.count." + k, v)).join(", ");
  const evidence = (i.evidence || []).map((e) => `<li><a href="/v1/evidence/${e.sha256}" download="${esc(e.name)}">${esc(e.name)}</a> <code>${e.sha256}</code> ${esc(e.media_type)}</li>`).join("");
  const who = (p) => (!p || p === "unknown" ? t("ui.unknown") : p === "none" ? t("ui.attribution.none") : partyName(p));
  const finding = i.finding ? `${esc(t("ui.outcome." + i.finding.outcome))} · ${esc(who(i.finding.attribution))} — ${spoken(i.finding.summary)}` : "";
  const responses = (i.responses || []).map((x) => `<li>${esc(partyName(x.party))}: ${spoken(x.text)}</li>`).join("");
  const history = ((h.json && h.json.items) || []).map((s) => {
    const st = s.statement;
    return `<tr><td>${s.seq}</td><td>${esc(fmtTime(st.time))}</td><td>${esc(state.msg["ui.stmt." + st.type] ? t("ui.stmt." + st.type) : st.type)} <small><code>${esc(st.type)}</code></small></td><td>${esc(partyName(st.party))} · ${esc(st.author)}</td><td><code title="${esc(s.signature)}">${esc(s.signature.slice(0, 12))}…</code></td><td><a href="${s.inclusion_proof}">${esc(s.leaf_hash.slice(0, 12))}…</a></td></tr>`;
  }).join("");
  $("#main").innerHTML = `<h1>${esc(i.id)} ${statusBadge(i.status)}</h1>
    <table class="fields">
      ${fieldRow(t("ui.field.type"), esc(t("ui.type." + rep.type)))}
      ${fieldRow(t("ui.field.observed"), esc(fmtTime(i.observed_from) + (i.observed_until !== i.observed_from ? " – " + fmtTime(i.observed_until) : "")) + ` (${esc(t("ui.precision." + rep.time_precision))})`)}
      ${fieldRow(t("ui.field.reported"), esc(fmtTime(i.reported_at) + " · " + partyName(i.party) + " · " + i.reporter))}
      ${fieldRow(t("ui.field.place"), esc((rep.location.place || "") + " " + JSON.stringify(rep.location.geometry.coordinates) + " ±" + new Intl.NumberFormat(state.lang, { style: "unit", unit: "meter" }).format(rep.location.precision_m)))}
      ${fieldRow(t("ui.field.actor"), rep.alleged_actor ? esc(who(rep.alleged_actor)) : "")}
      ${fieldRow(t("ui.field.weapon"), esc(rep.weapon))}
      ${fieldRow(t("ui.field.counts"), esc(counts))}
      ${fieldRow(t("ui.field.description"), spoken(rep.description))}
      ${fieldRow(t("ui.field.event"), (i.linked || []).map((x) => `<a href="#/incident/${x}">${x}</a>`).join(", "))}
      ${fieldRow(t("ui.field.evidence"), evidence ? `<ul>${evidence}</ul>` : "")}
      ${fieldRow(t("ui.field.finding"), finding)}
      ${fieldRow(t("ui.field.responses"), responses ? `<ul>${responses}</ul>` : "")}
      ${fieldRow(t("ui.field.violations"), i.evaluation ? await evaluationHTML(i.evaluation) : "")}
    </table>
    ${i.evaluation ? await changesHTML(i.evaluation) : ""}
    <section id="actions" aria-label="${esc(t("ui.actions"))}"></section>
    <h2>${esc(t("ui.history"))}</h2>
    <table class="list"><thead><tr><th>#</th><th>${esc(t("ui.field.time"))}</th><th>${esc(t("ui.field.statement"))}</th><th>${esc(t("ui.field.author"))}</th><th>${esc(t("ui.field.signature"))}</th><th>${esc(t("ui.field.leaf"))}</th></tr></thead><tbody>${history}</tbody></table>`;
  renderActions(i);
}

// agreementDoc fetches an agreement version once per page load: the
// incident page names its terms and weapon classes in the UI language.
async function agreementDoc(id, version) {
  state.docs = state.docs || {};
  const key = id + "/" + version;
  if (!(key in state.docs)) {
    const r = await api("GET", `/v1/agreements/${encodeURIComponent(id)}?version=${version}`);
    state.docs[key] = r.ok ? r.json.document : null;
  }
  return state.docs[key];
}

// violationText says what a possible violation names, as i18n/violation.go
// does for the CLI, with the weapon class in the UI language when the
// agreement is readable.
function violationText(v, doc) {
  const term = doc && doc.terms.find((x) => x.id === v.term);
  switch (v.rule) {
    case "withdrawal": {
      const c = term && (term.classes || []).find((x) => x.class === v.class);
      const what = (c && plain(c.label)) || v.class_label || v.class;
      return t("violation.withdrawal", what, num(v.measured_km), v.term, num(v.limit_km));
    }
    case "zone":
      return v.area ? t("violation.zone_area", v.area, v.term) : t("violation.zone", num(v.measured_km), v.term, num(v.limit_km));
    case "site":
      return t("violation.site", num(v.measured_km), v.site_name, v.term, num(v.limit_km));
    case "action":
      return t("violation.action", v.term, t("action." + v.action));
  }
  return v.term;
}

// evaluationHTML shows the possible violations of every instrument in
// force at the incident's observed time, grouped by instrument.
async function evaluationHTML(ev) {
  const js = ev.instruments || [];
  await preloadDocs(js.map((j) => [j.agreement, j.version]));
  const about = `<p class="note">${esc(t("ui.evaluation.checked", fmtTime(ev.at)))}</p>`;
  if (!js.length) return `${about}<p id="violations" class="none" data-none="true">${esc(t("ui.evaluation.no_instrument"))}</p>`;
  const blocks = js.map((j) => {
    const doc = state.token ? state.docs[j.agreement + "/" + j.version] : null;
    const page = `#/agreement/${encodeURIComponent(j.agreement)}?version=${j.version}`;
    const items = j.violations.map((v) => {
      const term = doc && doc.terms.find((x) => x.id === v.term);
      const title = term ? tagged(term.title) : "";
      const inside = j.arrangement ? `<span class="inside-window" data-arrangement="${esc(j.agreement)}">${esc(insideText(j.agreement, j.arrangement))}</span>: ` : "";
      return `<li data-term="${esc(v.term)}" data-rule="${esc(v.rule)}">${inside}<span class="violation">${esc(violationText(v, doc))}</span> — <a href="${page}&term=${encodeURIComponent(v.term)}">${esc(t("ui.term_n", v.term))}${title ? " · " + esc(title) : ""}</a></li>`;
    }).join("");
    return `<div class="instrument" data-agreement="${esc(j.agreement)}" data-version="${j.version}">
      <p class="instrument-name"><a href="${page}">${doc ? textHTML(doc.title) : esc(j.agreement)}</a> <small>${esc(t("ui.evaluation.version", j.version))}</small></p>
      ${items ? `<ul class="flags">${items}</ul>` : `<p class="none">${esc(t("ui.evaluation.instrument_none"))}</p>`}</div>`;
  }).join("");
  return `${about}<div id="violations">${blocks}</div>`;
}

// causeText says in words why an incident was judged again: a signature
// that brought a version into force, a suspension, a resumption or a
// termination, or (no cause) the centre's check after a restart.
function causeText(c) {
  if (!c) return t("ui.cause.catch_up");
  const who = partyName(c.party);
  if (c.type === "agreement.sign") return t("ui.cause.agreement.sign", instrumentVersion(c.agreement, c.version), who);
  return state.msg["ui.cause." + c.type] ? t("ui.cause." + c.type, instrumentTitle(c.agreement, c.version), who) : c.type;
}

// changePairs lists the [agreement, version] pairs a change names, for
// their titles.
function changePairs(c) {
  const split = (s) => {
    const i = s.lastIndexOf("/");
    return [s.slice(0, i), Number(s.slice(i + 1))];
  };
  return [...(c.entered || []).map(split), ...(c.left || []).map(split), ...[...(c.added || []), ...(c.removed || [])].map((f) => [f.agreement, f.version]), ...(c.cause ? [[c.cause.agreement, c.cause.version || 0]] : [])];
}

// changeListHTML says what a re-evaluation changes: the instruments that
// now judge the incident or no longer do, and the flags added or removed,
// in the sentences of violationText.
function changeListHTML(c) {
  const name = (s) => {
    const i = s.lastIndexOf("/");
    return instrumentVersion(s.slice(0, i), Number(s.slice(i + 1)));
  };
  const flag = (f) => violationText(f, state.docs && state.docs[f.agreement + "/" + f.version]);
  const parts = [];
  if ((c.entered || []).length) parts.push(`<li class="entered">${esc(t("ui.changes.entered", list(c.entered.map(name))))}</li>`);
  if ((c.left || []).length) parts.push(`<li class="left">${esc(t("ui.changes.left", list(c.left.map(name))))}</li>`);
  for (const f of c.added || []) parts.push(`<li class="added" data-agreement="${esc(f.agreement)}" data-term="${esc(f.term)}">${esc(t("ui.changes.added", instrumentTitle(f.agreement, f.version), flag(f)))}</li>`);
  for (const f of c.removed || []) parts.push(`<li class="removed" data-agreement="${esc(f.agreement)}" data-term="${esc(f.term)}">${esc(t("ui.changes.removed", instrumentTitle(f.agreement, f.version), flag(f)))}</li>`);
  if (!(c.added || []).length && !(c.removed || []).length) parts.push(`<li class="same">${esc(t("ui.changes.no_flags"))}</li>`);
  return `<ul class="change-parts">${parts.join("")}</ul>`;
}

// changesHTML lists an incident's re-evaluations, the latest first: when,
// why, and what changed.
async function changesHTML(ev) {
  const cs = ev.changes || [];
  if (!cs.length) return "";
  await preloadDocs(cs.flatMap(changePairs));
  const items = [...cs].reverse().map((c) => `<li data-seq="${c.seq}" data-cause="${esc(c.cause ? c.cause.type : "catch_up")}">
    <p><strong>${esc(fmtTime(c.at))}</strong> — <span class="cause">${esc(causeText(c.cause))}</span>${c.cause ? ` <small>(${esc(t("ui.changes.ledger", c.cause.seq))})</small>` : ""}</p>${changeListHTML(c)}</li>`).join("");
  return `<section id="changes" aria-labelledby="changes-h"><h2 id="changes-h">${esc(t("ui.changes.heading"))}</h2><p class="note">${esc(t("ui.changes.intro"))}</p><ul class="changes">${items}</ul></section>`;
}

// impactHTML says what a dry run found: whether a signature brings the
// agreement into force and from when, which instruments leave force, and
// how many incidents' evaluations change, the first few in words.
async function impactHTML(m, kind, a) {
  const name = tagged(a.document.title) || a.id;
  const lines = [];
  if (kind === "sign") lines.push(m.completes ? t("ui.impact.completes", name, fmtTime(m.from)) : t("ui.impact.not_complete", name));
  else lines.push(t("ui.impact." + kind, name, fmtTime(m.from)));
  await preloadDocs([...(m.leaves_force || []).map((x) => [x.by, 0]), ...(m.incidents || []).flatMap(changePairs)]);
  for (const x of m.leaves_force || []) lines.push(t("ui.impact.leaves_force", instrumentTitle(x.by), fmtTime(x.from)));
  if (kind !== "sign" || m.completes) lines.push(m.changed ? t("ui.impact.changed", m.changed) : t("ui.impact.unchanged"));
  const shown = (m.incidents || []).slice(0, 5);
  const incs = await Promise.all(shown.map((x) => api("GET", "/v1/incidents/" + encodeURIComponent(x.incident))));
  const items = shown.map((x, i) => {
    const inc = incs[i].ok ? incs[i].json : null;
    const where = inc ? ` (${esc([inc.report.location.place || t("ui.type." + inc.report.type), fmtDate(inc.observed_from)].join(" · "))})` : "";
    return `<li data-incident="${esc(x.incident)}"><a href="#/incident/${encodeURIComponent(x.incident)}">${esc(x.incident)}</a>${where}${changeListHTML(x)}</li>`;
  }).join("");
  const more = m.changed > shown.length ? `<p>${esc(t("ui.impact.more", m.changed - shown.length))}</p>` : "";
  return `<div class="impact-body" data-changed="${m.changed || 0}" data-completes="${!!m.completes}">${lines.map((l) => `<p>${esc(l)}</p>`).join("")}${items ? `<ul class="impact-incidents">${items}</ul>` : ""}${more}</div>`;
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
    own(r);
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
  own(r); // the page redraws now, not again when the event stream brings the statement
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
  const parties = Object.values(await loadParties());
  const types = incidentTypes;
  const now = new Date().toISOString().slice(0, 16);
  // Each field names its error message, so that a screen reader reads it
  // with the field.
  const input = (name, label, html) => `<div class="field"><label for="f-${name}">${esc(label)}</label>${html.replace(`id="f-${name}"`, `id="f-${name}" aria-describedby="err-${name}"`)}<p class="error" id="err-${name}" aria-live="polite"></p></div>`;
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.report"))}</h1><form id="report" novalidate>
    ${input("type", t("ui.field.type"), `<select id="f-type" name="type">${types.map((x) => `<option value="${x}">${esc(t("ui.type." + x))}</option>`).join("")}</select>`)}
    ${input("observed_at", t("ui.field.observed"), `<input id="f-observed_at" name="observed_at" type="datetime-local" value="${now}">`)}
    ${input("time_precision", t("ui.field.precision"), `<select id="f-time_precision" name="time_precision">${["minute", "hour", "day"].map((p) => `<option value="${p}">${esc(t("ui.precision." + p))}</option>`).join("")}</select>`)}
    ${input("lon", t("ui.field.lon"), `<input id="f-lon" name="lon" inputmode="decimal" required>`)}
    ${input("lat", t("ui.field.lat"), `<input id="f-lat" name="lat" inputmode="decimal" required>`)}
    ${input("precision_m", t("ui.field.precision_m"), `<input id="f-precision_m" name="precision_m" inputmode="numeric" value="500">`)}
    ${input("place", t("ui.field.place"), `<input id="f-place" name="place">`)}
    ${input("alleged_actor", t("ui.field.actor"), `<select id="f-alleged_actor" name="alleged_actor"><option value="">${esc(t("ui.unknown"))}</option>${parties.filter((p) => p.kind === "belligerent").map((p) => `<option value="${p.id}">${esc(partyName(p.id))}</option>`).join("")}</select>`)}
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
    for (const el of document.querySelectorAll("#report [aria-invalid]")) el.removeAttribute("aria-invalid");
    const d = Object.fromEntries(new FormData(e.currentTarget));
    // Checked here first, in the page's language; the server checks again.
    const errs = {};
    const number = (name, { min, max, whole, required }) => {
      const v = (d[name] || "").trim().replace(",", "."); // a decimal comma, as in uk and ru
      if (v === "") {
        if (required) errs[name] = t("ui.form.required");
        return undefined;
      }
      const n = /^[-+]?(\d+\.?\d*|\.\d+)$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(n)) errs[name] = t("ui.form.number");
      else if (whole && !Number.isInteger(n)) errs[name] = t("ui.form.whole");
      else if (n < min || n > max) errs[name] = t("ui.form.range", num(min), num(max));
      return n;
    };
    const lon = number("lon", { min: -180, max: 180, required: true }), lat = number("lat", { min: -90, max: 90, required: true });
    const precision = number("precision_m", { min: 0, max: 1000000 });
    const launched = number("launched", { min: 0, max: 1e6, whole: true }), intercepted = number("intercepted", { min: 0, max: 1e6, whole: true });
    const observed = d.observed_at ? new Date(d.observed_at + "Z") : null;
    if (!observed) errs.observed_at = t("ui.form.required");
    else if (isNaN(observed)) errs.observed_at = t("ui.form.date");
    else if (observed.getTime() > Date.now() + 60000) errs.observed_at = t("ui.form.future");
    if (!(d.text || "").trim()) errs.text = t("ui.form.required");
    const bad = Object.keys(errs);
    if (bad.length) {
      for (const k of bad) {
        $("#err-" + k).textContent = errs[k];
        $("#f-" + k).setAttribute("aria-invalid", "true");
      }
      document.querySelector("#report [aria-invalid]").focus(); // the first in the form's order
      return;
    }
    const body = {
      type: d.type, observed_at: observed.toISOString().replace(".000Z", "Z"), time_precision: d.time_precision,
      location: { geometry: { type: "Point", coordinates: [lon, lat] }, precision_m: precision || 0, place: d.place || undefined },
      alleged_actor: d.alleged_actor || undefined,
      description: { lang: d.lang, text: d.text },
    };
    if (launched !== undefined || intercepted !== undefined) body.counts = { launched, intercepted };
    const r = await api("POST", "/v1/incidents", body);
    if (!r.ok) {
      const p = r.json || {};
      const target = fieldFor(p.field);
      const el = target ? $("#err-" + target) : $("#err-form");
      // The server's words are English; the lead-in says what happened.
      let detail = p.detail || p.title || String(r.status);
      if (target && p.field && detail.startsWith(p.field + ": ")) detail = detail.slice(p.field.length + 2); // the field is where it shows
      el.textContent = t("ui.form.refused", detail);
      if (target) $("#f-" + target).setAttribute("aria-invalid", "true");
      return;
    }
    toast(t("ui.reported", r.json.record.id));
    location.hash = "#/incident/" + r.json.record.id;
  });
}

const statusColours = ["match", ["get", "status"], "published", "#24292f", "finding", "#1f6f43", "investigating", "#9c1c1c",
  "assigned", "#0b5cad", "triaged", "#7a2e8e", "reported", "#8a4b00", "#57606a"];

// recogniseBorders moves Crimea back into Ukraine. Natural Earth, and so
// world-atlas, draws it inside Russia; a centre that both parties use shows
// internationally recognised borders, and the occupied areas are the
// agreement's business, drawn from its terms.
function recogniseBorders(world) {
  const geoms = world.objects.countries.geometries;
  const ua = geoms.find((g) => g.id === "804"), ru = geoms.find((g) => g.id === "643");
  if (!ua || !ru || ru.type !== "MultiPolygon") return;
  const inCrimea = (poly) => {
    const ring = topojson.feature(world, { type: "Polygon", arcs: [poly[0]] }).geometry.coordinates[0];
    return ring.every(([x, y]) => x > 32.2 && x < 36.9 && y > 44.2 && y < 46.4);
  };
  const crimea = ru.arcs.filter(inCrimea);
  if (crimea.length === 0) return;
  ru.arcs = ru.arcs.filter((p) => !inCrimea(p));
  const merged = topojson.mergeArcs(world, [ua, { type: "MultiPolygon", arcs: crimea }]);
  ua.type = merged.type;
  ua.arcs = merged.arcs;
}

// newMap draws the borders from world-atlas (no tile server: the centre may
// be air-gapped) and an incidents layer filled from /v1/map per viewport.
async function newMap(container, opts = {}) {
  const countries = await basemap("110m");
  const map = new maplibregl.Map({
    container, center: opts.center || [34, 48.5], zoom: opts.zoom || 4.5, attributionControl: false,
    fadeDuration: 0,
    style: {
      version: 8,
      transition: { duration: 0, delay: 0 },
      sources: { countries: { type: "geojson", data: countries }, incidents: { type: "geojson", data: { type: "FeatureCollection", features: [] } } },
      layers: [
        { id: "sea", type: "background", paint: { "background-color": "#dbe9f4" } },
        { id: "land", type: "fill", source: "countries", paint: landPaint },
        { id: "borders", type: "line", source: "countries", paint: bordersPaint },
        { id: "incidents", type: "circle", source: "incidents", paint: {
          "circle-radius": ["interpolate", ["linear"], ["get", "count"], 1, 5, 100, 14, 10000, 28],
          "circle-color": statusColours, "circle-opacity": 0.85, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
      ],
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  // The coarse borders draw fast. The detailed ones, a second source drawn
  // from zoom 5, are read once someone zooms in far enough to see the
  // difference; the coarse ones are drawn there until then.
  const detail = async () => {
    if (map.getZoom() < 5 || map.truceDetail) return;
    map.truceDetail = true;
    const fine = await basemap("50m");
    if (map._removed) return;
    map.addSource("countries-50m", { type: "geojson", data: fine });
    map.addLayer({ id: "land-50m", type: "fill", source: "countries-50m", minzoom: 5, paint: landPaint }, "land");
    map.addLayer({ id: "borders-50m", type: "line", source: "countries-50m", minzoom: 5, paint: bordersPaint }, "borders");
    map.setLayerZoomRange("land", 0, 5);
    map.setLayerZoomRange("borders", 0, 5);
    map.truceBorders = "50m";
  };
  map.truceBorders = "110m";
  map.on("zoomend", detail);
  map.once("idle", detail);
  return map;
}

const landPaint = { "fill-color": "#f4f1ea" };
const bordersPaint = { "line-color": "#8c8c8c", "line-width": 0.7 };

// basemap fetches world-atlas borders at a scale ("110m" or "50m"), each
// once per page.
const basemaps = {};
function basemap(scale) {
  basemaps[scale] ||= fetch(`/static/vendor/countries-${scale}.json`).then((r) => r.json()).then((world) => {
    recogniseBorders(world);
    return topojson.feature(world, world.objects.countries);
  });
  return basemaps[scale];
}

// viewBox is what the map shows as [west, south, east, north], widened by
// pad times its size on each side and clamped to the world.
function viewBox(map, pad = 0) {
  const b = map.getBounds(), clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const w = (b.getEast() - b.getWest()) * pad, h = (b.getNorth() - b.getSouth()) * pad;
  return [clamp(b.getWest() - w, -180, 180), clamp(b.getSouth() - h, -90, 90), clamp(b.getEast() + w, -180, 180), clamp(b.getNorth() + h, -90, 90)];
}

// mapLevel is the grid level the server clusters the map's zoom on.
const mapLevel = (map) => Math.max(0, Math.min(22, Math.round(map.getZoom())));

// mapData fetches the map's incidents in boxes larger than the view and
// keeps the last few: a pan inside a box, or a zoom to a level fetched
// ahead, draws without a round trip to the server. ahead() fetches what a
// person is likely to ask next: the surroundings at this level, the view
// one level closer, and the area one level further out.
function mapData(map) {
  const boxes = []; // newest first: {level, key, box, ready, json}
  let generation = 0;
  const inside = (a, b) => a[0] >= b[0] && a[1] >= b[1] && a[2] <= b[2] && a[3] <= b[3];
  const find = (level, key, box) => boxes.find((x) => x.level === level && x.key === key && inside(box, x.box));
  const load = (level, filters, box) => {
    const key = JSON.stringify(filters), have = find(level, key, box);
    if (have) return have;
    const q = new URLSearchParams({ zoom: String(level), bbox: box.map((v) => v.toFixed(5)).join(",") });
    for (const [k, v] of filters) if (v) q.set(k, v);
    const e = { level, key, box, json: null }, gen = generation;
    e.ready = api("GET", "/v1/map?" + q).then((r) => {
      if (!r.ok || gen !== generation) {
        const i = boxes.indexOf(e);
        if (i >= 0) boxes.splice(i, 1);
        return null;
      }
      e.json = r.json;
      return e;
    });
    boxes.unshift(e);
    boxes.length = Math.min(boxes.length, 8);
    return e;
  };
  return {
    // get is the entry for the view, fetching it (with a margin) if needed.
    get: (filters) => {
      const have = find(mapLevel(map), JSON.stringify(filters), viewBox(map));
      if (have) return have;
      map.truceMisses = (map.truceMisses || 0) + 1; // views that waited for the server, for the tests
      return load(mapLevel(map), filters, viewBox(map, 0.5));
    },
    ahead: (filters) => {
      const level = mapLevel(map);
      if (!find(level, JSON.stringify(filters), viewBox(map, 0.25))) load(level, filters, viewBox(map, 0.5));
      if (level < 22) load(level + 1, filters, viewBox(map, 0.1));
      if (level > 0) load(level - 1, filters, viewBox(map, 1));
    },
    // clear forgets every box: new incidents came in.
    clear: () => {
      generation++;
      boxes.length = 0;
    },
  };
}

// mapInstruments finds what the map draws: every instrument in force now,
// each at its version in force. When none is, it draws the version signed
// last, and says where that stands.
async function mapInstruments() {
  const r = await api("GET", "/v1/in-force");
  if (r.ok && r.json.items.length) {
    const docs = await Promise.all(r.json.items.map((x) => agreementDoc(x.agreement, x.version)));
    return r.json.items.map((x, i) => ({ id: x.agreement, version: x.version, document: docs[i], state: "in_force" })).filter((x) => x.document);
  }
  const a = await lastSigned();
  return a ? [{ id: a.id, version: a.version, document: a.document, state: agreementState(a) }] : [];
}

// lastSigned finds the version signed last. An agreement's latest version
// may be an unsigned amendment; its signed version is earlier.
async function lastSigned() {
  const r = await api("GET", "/v1/agreements");
  if (!r.ok) return null;
  const found = [];
  for (const a of r.json.items) {
    if (a.signed) {
      found.push(a);
      continue;
    }
    for (const n of a.versions.filter((x) => x < a.version).sort((x, y) => y - x)) {
      const v = await api("GET", `/v1/agreements/${encodeURIComponent(a.id)}?version=${n}`);
      if (v.ok && v.json.signed) {
        found.push(v.json);
        break;
      }
    }
  }
  found.sort((x, y) => Date.parse(y.signed_at) - Date.parse(x.signed_at));
  return found[0] || null;
}

// Rough geometry for drawing only (the evaluation is the server's): a
// local equirectangular projection around the line, in kilometres.
const KM_LAT = 110.574;
const kmLon = (lat) => 111.32 * Math.cos((lat * Math.PI) / 180);

// band outlines a line widened by w km on each side: vertices offset along
// the joints' bisectors, the mitres clamped to twice the width. It sketches
// the zone; the evaluation measures the real distance on the server.
function band(coords, w) {
  const lat0 = coords.reduce((a, c) => a + c[1], 0) / coords.length, kx = kmLon(lat0);
  const p = coords.map(([x, y]) => [x * kx, y * KM_LAT]);
  const seg = [];
  for (let i = 0; i + 1 < p.length; i++) seg.push(norm(p[i], p[i + 1]));
  const left = [], right = [];
  for (let i = 0; i < p.length; i++) {
    const a = seg[Math.max(0, i - 1)], b = seg[Math.min(seg.length - 1, i)];
    let mx = a[0] + b[0], my = a[1] + b[1];
    const ml = Math.hypot(mx, my) || 1;
    mx /= ml;
    my /= ml;
    const d = w / Math.max(0.5, mx * a[0] + my * a[1]);
    left.push([(p[i][0] + mx * d) / kx, (p[i][1] + my * d) / KM_LAT]);
    right.push([(p[i][0] - mx * d) / kx, (p[i][1] - my * d) / KM_LAT]);
  }
  return [[...left, ...right.reverse(), left[0]]];
}

// norm is the left-hand unit normal of the segment from a to b.
function norm(a, b) {
  const dx = b[0] - a[0], dy = b[1] - a[1], l = Math.hypot(dx, dy) || 1;
  return [-dy / l, dx / l];
}

function circle(lon, lat, r) {
  const ring = [];
  for (let i = 0; i <= 48; i++) {
    const a = (i / 48) * 2 * Math.PI;
    ring.push([lon + (r * Math.cos(a)) / kmLon(lat), lat + (r * Math.sin(a)) / KM_LAT]);
  }
  return [ring];
}

const partsOf = (g) => (g.type === "LineString" ? [g.coordinates] : g.type === "MultiLineString" ? g.coordinates : []);

// agreementFeatures turns the geographic terms of the instruments drawn
// ([{id, document}]) into GeoJSON, each feature naming its instrument.
function agreementFeatures(instruments) {
  const fc = () => ({ type: "FeatureCollection", features: [] });
  const out = { lines: fc(), zones: fc(), sites: fc(), radii: fc() };
  for (const { id, document: doc } of instruments) {
    // A line the caller's access withholds (zone) comes without geometry.
    const lines = doc.terms.filter((x) => x.type === "reference_line" && x.geometry);
    for (const l of lines) out.lines.features.push({ type: "Feature", geometry: l.geometry, properties: { agreement: id, term: l.id, party: l.party || "" } });
    for (const z of doc.terms.filter((x) => x.type === "disengagement_zone")) {
      for (const l of lines.filter((x) => !z.lines || !z.lines.length || z.lines.includes(x.id)))
        for (const part of partsOf(l.geometry)) if (z.width_km) out.zones.features.push({ type: "Feature", geometry: { type: "Polygon", coordinates: band(part, z.width_km) }, properties: { agreement: id, term: z.id, kind: "band" } });
      for (const a of z.areas || []) out.zones.features.push({ type: "Feature", geometry: a.geometry, properties: { agreement: id, term: z.id, kind: "area", name: a.name } });
    }
    for (const ps of doc.terms.filter((x) => x.type === "protected_sites"))
      for (const x of ps.sites || []) {
        const r = x.radius_km ?? ps.radius_km;
        out.sites.features.push({ type: "Feature", geometry: { type: "Point", coordinates: [x.lon, x.lat] }, properties: { agreement: id, term: ps.id, name: x.name, kind: x.kind, radius: r } });
        if (r) out.radii.features.push({ type: "Feature", geometry: { type: "Polygon", coordinates: circle(x.lon, x.lat, r) }, properties: { agreement: id, term: ps.id, kind: x.kind } });
      }
  }
  return out;
}

const agreementLayerGroups = {
  lines: ["ag-lines"],
  zones: ["ag-zones-fill", "ag-zones-line"],
  sites: ["ag-radii", "ag-sites"],
};

// addAgreementLayers draws the instruments under the incidents.
function addAgreementLayers(map, f) {
  for (const [k, data] of Object.entries(f)) map.addSource("ag-" + k, { type: "geojson", data });
  const layers = [
    { id: "ag-zones-fill", type: "fill", source: "ag-zones", paint: { "fill-color": ["match", ["get", "kind"], "area", "#d9822b", "#e3c04a"], "fill-opacity": ["match", ["get", "kind"], "area", 0.35, 0.2] } },
    { id: "ag-zones-line", type: "line", source: "ag-zones", paint: { "line-color": "#8a5a00", "line-width": 1, "line-dasharray": [3, 2] } },
    { id: "ag-lines", type: "line", source: "ag-lines", paint: { "line-color": ["match", ["get", "party"], "", "#b3261e", "#6f2da8"], "line-width": 2.5 } },
    { id: "ag-radii", type: "line", source: "ag-radii", paint: { "line-color": "#1f6f43", "line-width": 1, "line-dasharray": [2, 2] } },
    { id: "ag-sites", type: "circle", source: "ag-sites", paint: { "circle-radius": 5, "circle-color": ["match", ["get", "kind"], "nuclear", "#6f2da8", "energy", "#1f6f43", "water", "#0b5cad", "#57606a"], "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } },
  ];
  for (const l of layers) map.addLayer(l, "incidents");
  map.on("click", "ag-sites", (e) => {
    const p = e.features[0].properties;
    new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<strong>${esc(p.name)}</strong><br>${esc(t("ui.site_kind." + p.kind))} · ${esc(t("ui.map.site_radius", num(p.radius)))} · ${esc(t("ui.term_n", p.term))} · ${esc(instrumentTitle(p.agreement))}`).addTo(map);
  });
}

const DAY = 86400000;

// Localized arrangements (repair windows, corridors, evacuations,
// exchanges): their live status is computed by the server when read.
const arrStateColour = { active: "#1f6f43", guaranteed: "#0b5cad", requested: "#d9822b", declined: "#b3261e", lapsed: "#b3261e", withdrawn: "#b3261e", cancelled: "#57606a", ended: "#57606a", closed: "#57606a", suspended: "#8a5a00" };

const insideText = (id, ref) => t("window.inside", t("purpose." + ref.purpose), id, list(ref.guarantees.map((g) => t("window.guaranteed_by", g.party, new Date(g.at).toISOString().slice(11, 16)))));

function arrStateHTML(st) {
  let s = `<span class="badge arr-state" data-state="${esc(st.state)}" style="border-color:${arrStateColour[st.state] || "#57606a"}">${esc(t("arr.state." + st.state))}</span>`;
  if (st.overdue && st.state !== "lapsed") s += ` <span class="badge overdue">${esc(t("arr.overdue"))}</span>`;
  if (st.extension_pending) s += ` <small>${esc(t("arr.extension_pending", st.extension_pending))}</small>`;
  return s;
}

function guaranteesHTML(gs) {
  return gs.map((g) => `<span class="guarantee" data-party="${esc(g.party)}" data-state="${esc(g.state)}">${esc(partyName(g.party))}: ${esc(t("guarantee." + g.state))}${g.at ? " " + esc(fmtTime(g.at)) : ""}</span>`).join("; ");
}

async function viewWindows(params) {
  await loadParties();
  const r = await api("GET", "/v1/arrangements");
  if (!r.ok) return showProblem(r);
  const items = r.json.items;
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.windows"))}</h1><p class="note">${esc(t("ui.window.about"))}</p>
    ${items.length ? `<table class="list" id="windows"><thead><tr><th>${esc(t("ui.agreement.title"))}</th><th>${esc(t("ui.window.purpose"))}</th><th>${esc(t("ui.field.status"))}</th><th>${esc(t("ui.window.window"))}</th><th>${esc(t("ui.window.guarantees"))}</th><th>${esc(t("ui.window.deadline"))}</th></tr></thead><tbody>${items
    .map((a) => `<tr data-arrangement="${esc(a.id)}" data-state="${esc(a.status.state)}"><td><a href="#/window/${encodeURIComponent(a.id)}">${textHTML(a.request.title)}</a> <small><code>${esc(a.id)}</code></small></td><td>${esc(t("purpose." + a.request.purpose))}</td><td>${arrStateHTML(a.status)}</td><td>${esc(fmtTime(a.status.from))} – ${esc(fmtTime(a.status.until))}</td><td>${guaranteesHTML(a.status.guarantees)}</td><td${a.status.overdue ? ' class="late"' : ""}>${esc(fmtTime(a.status.deadline))}</td></tr>`).join("")}</tbody></table>` : `<p>${esc(t("ui.window.none"))}</p>`}
    ${mayRequest() ? requestFormHTML() : ""}`;
  if ($("#window-request")) $("#window-request").addEventListener("submit", submitRequest);
}

// Representatives of belligerents and mediators, and the mediators' and
// the centre's coordinators, request arrangements.
const mayRequest = () => (has("representative") && ["belligerent", "mediator", "centre"].includes(kind())) || (has("coordinator") && ["mediator", "centre"].includes(kind()));

function requestFormHTML() {
  const local = (ms) => new Date(Date.now() + ms).toISOString().slice(0, 16);
  const field = (name, label, html) => `<div class="field"><label for="w-${name}">${esc(label)}</label>${html}</div>`;
  const belligerents = Object.values(state.parties || {}).filter((p) => p.kind === "belligerent").map((p) => p.id);
  return `<h2>${esc(t("ui.window.request"))}</h2><form id="window-request" novalidate>
    ${field("id", t("ui.window.id"), `<input id="w-id" name="id" required>`)}
    ${field("title", t("ui.agreement.title"), `<input id="w-title" name="title" required>`)}
    ${field("purpose", t("ui.window.purpose"), `<select id="w-purpose" name="purpose">${["repair", "corridor", "evacuation", "exchange"].map((x) => `<option value="${x}">${esc(t("purpose." + x))}</option>`).join("")}</select>`)}
    ${field("shape", t("ui.window.where"), `<select id="w-shape" name="shape">${["line", "route", "area"].map((x) => `<option value="${x}">${esc(t("shape." + x))}</option>`).join("")}</select>`)}
    ${field("geometry", t("ui.window.geometry"), `<textarea id="w-geometry" name="geometry" required placeholder='{"type":"LineString","coordinates":[[34.58,47.51],[34.86,47.73]]}'></textarea>`)}
    ${field("buffer_m", t("ui.window.buffer"), `<input id="w-buffer_m" name="buffer_m" inputmode="numeric" value="1000">`)}
    ${field("parties", t("ui.window.parties"), `<input id="w-parties" name="parties" value="${esc(belligerents.join(","))}">`)}
    ${field("from", t("ui.window.from"), `<input id="w-from" name="from" type="datetime-local" value="${local(60000)}">`)}
    ${field("until", t("ui.window.until"), `<input id="w-until" name="until" type="datetime-local" value="${local(6 * 3600000)}">`)}
    ${field("deadline", t("ui.window.deadline"), `<input id="w-deadline" name="deadline" type="datetime-local" value="${local(3600000)}">`)}
    ${field("crew", t("ui.window.crew"), `<input id="w-crew" name="crew">`)}
    ${field("crew_size", t("ui.window.crew_size"), `<input id="w-crew_size" name="crew_size" inputmode="numeric">`)}
    ${field("note", t("ui.window.note"), `<textarea id="w-note" name="note"></textarea>`)}
    <button type="submit">${esc(t("ui.window.request"))}</button><p class="error" id="err-window" aria-live="polite"></p></form>`;
}

async function submitRequest(e) {
  e.preventDefault();
  const f = new FormData(e.currentTarget);
  const utc = (v) => (v ? new Date(v + ":00Z").toISOString().replace(".000Z", "Z") : undefined);
  let geometry;
  try { geometry = JSON.parse(f.get("geometry")); } catch { return ($("#err-window").textContent = t("ui.window.bad_geometry")); }
  const body = { id: f.get("id"), title: { [state.lang]: f.get("title") || f.get("id") }, purpose: f.get("purpose"), shape: f.get("shape"), geometry,
    parties: String(f.get("parties")).split(",").map((x) => x.trim()).filter(Boolean), from: utc(f.get("from")), until: utc(f.get("until")), deadline: utc(f.get("deadline")) };
  if (f.get("shape") !== "area") body.buffer_m = Number(f.get("buffer_m"));
  for (const k of ["crew", "note"]) if (f.get(k)) body[k] = f.get(k);
  if (f.get("crew_size")) body.crew_size = Number(f.get("crew_size"));
  const r = await api("POST", "/v1/arrangements", body);
  if (!r.ok) {
    $("#err-window").textContent = problem(r);
    $("#err-window").dataset.field = (r.json && r.json.field) || "";
    return;
  }
  location.hash = "#/window/" + encodeURIComponent(body.id);
}

async function viewWindow(id) {
  await loadParties();
  const r = await api("GET", "/v1/arrangements/" + encodeURIComponent(id));
  if (!r.ok) return showProblem(r);
  const a = r.json, q = a.request, st = a.status;
  const events = a.record.events.map((e) => `<li data-kind="${esc(e.kind)}">${esc(fmtTime(e.at))} · ${esc(t("arr.event." + e.kind))} · ${esc(partyName(e.party))}${e.side ? " → " + esc(partyName(e.side)) : ""}${e.outcome ? " · " + esc(t("outcome." + e.outcome)) : ""}${e.until ? " · " + esc(fmtTime(e.until)) : ""}${e.text ? ": " + esc(e.text) : ""}</li>`).join("");
  // A pending extension seeks guarantees of its own; the window holds on the current ones meanwhile.
  const sought = st.extension_pending ? st.extension_guarantees : st.guarantees;
  const mine = state.me && sought.find((g) => g.party === state.me.member.party);
  const open = !["closed", "cancelled", "withdrawn", "ended"].includes(st.state);
  let actions = "";
  if (mine && has("representative") && open) {
    if (mine.state !== "guaranteed") actions += `<button type="button" id="window-guarantee">${esc(t("ui.window.guarantee"))}</button> `;
    else actions += `<button type="button" id="window-withdraw">${esc(t("ui.window.withdraw"))}</button> `;
  }
  if (mine && has("representative") && open && mine.state !== "guaranteed")
    actions += `<form id="window-respond" class="inline"><select name="response" aria-label="${esc(t("ui.window.response"))}"><option value="conditions">${esc(t("guarantee.conditions"))}</option><option value="decline">${esc(t("guarantee.declined"))}</option></select> <input name="text" required aria-label="${esc(t("ui.window.reason"))}" placeholder="${esc(t("ui.window.reason"))}"> <button>${esc(t("ui.window.respond"))}</button></form> `;
  if (open && has("monitor") && kind() === "monitor")
    actions += `<form id="window-checkin" class="inline"><select name="side" aria-label="${esc(t("ui.window.side"))}">${q.parties.map((p) => `<option value="${esc(p)}">${esc(partyName(p))}</option>`).join("")}</select> <input name="note" aria-label="${esc(t("ui.window.note"))}" placeholder="${esc(t("ui.window.note"))}"> <button>${esc(t("ui.window.checkin"))}</button></form> `;
  if (open && kind() === "centre" && has("coordinator"))
    actions += `<button type="button" id="window-cancel">${esc(t("ui.window.cancel"))}</button> `;
  // Extended (a new version, guaranteed again) or cut short by the
  // requesting party or the centre's coordinators.
  if (open && state.me && ((state.me.member.party === a.record.party && has("representative")) || (kind() === "centre" && has("coordinator"))))
    actions += `<form id="window-extend" class="inline"><label for="w-ext-until">${esc(t("ui.window.extend_until"))}</label> <input id="w-ext-until" name="until" type="datetime-local" required> <input name="reason" placeholder="${esc(t("ui.window.reason"))}" aria-label="${esc(t("ui.window.reason"))}"> <button>${esc(t("ui.window.extend"))}</button></form>
      <form id="window-cut" class="inline"><label for="w-cut-until">${esc(t("ui.window.cut_until"))}</label> <input id="w-cut-until" name="until" type="datetime-local" required> <input name="reason" required placeholder="${esc(t("ui.window.reason"))}" aria-label="${esc(t("ui.window.reason"))}"> <button>${esc(t("ui.window.cut"))}</button></form> `;
  if (open && state.me && (state.me.member.party === a.record.party || (kind() === "centre" && has("coordinator"))))
    actions += `<form id="window-close" class="inline"><select name="outcome" aria-label="${esc(t("ui.window.outcome"))}">${["done", "partly_done", "aborted"].map((o) => `<option value="${o}">${esc(t("outcome." + o))}</option>`).join("")}</select> <input name="reason" required placeholder="${esc(t("ui.window.reason"))}" aria-label="${esc(t("ui.window.reason"))}"> <button>${esc(t("ui.window.close"))}</button></form>`;
  $("#main").innerHTML = `<h1>${textHTML(q.title)} <small><code>${esc(a.id)}</code></small></h1>
    <table class="fields" id="window-detail" data-state="${esc(st.state)}">
      ${fieldRow(t("ui.window.purpose"), esc(t("purpose." + q.purpose)))}
      ${fieldRow(t("ui.field.status"), arrStateHTML(st))}
      ${fieldRow(t("ui.window.window"), esc(fmtTime(st.from) + " – " + fmtTime(st.until)))}
      ${fieldRow(t("ui.window.deadline"), `<span${st.overdue ? ' class="late"' : ""} id="window-deadline">${esc(fmtTime(st.deadline))}</span>`)}
      ${fieldRow(t("ui.window.guarantees"), `<span id="window-guarantees">${guaranteesHTML(st.guarantees)}</span>`)}
      ${st.extension_pending ? fieldRow(t("ui.window.extension"), `<span id="window-extension">${esc(t("arr.extension", st.extension_pending, fmtTime(st.extension_until), ""))}${guaranteesHTML(st.extension_guarantees)}</span>`) : ""}
      ${fieldRow(t("ui.window.where"), esc(t("shape." + q.shape)) + (q.buffer_m ? " ± " + esc(num(q.buffer_m)) + " m" : "") + ` · <a href="#/map">${esc(t("ui.term.on_map"))}</a>`)}
      ${q.site || q.incident ? fieldRow(t("ui.window.serves"), esc([q.site, q.incident].filter(Boolean).join(" · "))) : ""}
      ${q.crew || q.crew_size ? fieldRow(t("ui.window.crew"), esc(q.crew || "") + (q.crew_size ? " (" + esc(num(q.crew_size)) + ")" : "")) : ""}
      ${q.note ? fieldRow(t("ui.window.note"), esc(q.note)) : ""}
      ${fieldRow(t("ui.window.requested"), esc(partyName(a.record.party) + " · " + fmtTime(a.record.requested_at)))}
    </table>
    <h2>${esc(t("ui.window.events"))}</h2>${events ? `<ol id="window-events">${events}</ol>` : `<p>—</p>`}
    <p><a href="#/agreement/${encodeURIComponent(a.id)}">${esc(t("ui.window.instrument"))}</a></p>
    <div id="window-actions">${actions}</div>`;
  const act = async (path, body) => {
    const res = await api("POST", "/v1/arrangements/" + encodeURIComponent(id) + path, body);
    if (!res.ok) return toast(problem(res));
    viewWindow(id);
  };
  if ($("#window-guarantee")) $("#window-guarantee").addEventListener("click", () => act("/guarantee", {}));
  if ($("#window-withdraw")) $("#window-withdraw").addEventListener("click", () => {
    const reason = prompt(t("ui.window.reason"));
    if (reason) act("/withdraw", { reason });
  });
  if ($("#window-cancel")) $("#window-cancel").addEventListener("click", () => {
    const reason = prompt(t("ui.window.reason"));
    if (reason) act("/cancel", { reason });
  });
  if ($("#window-respond")) $("#window-respond").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    act("/respond", { response: f.get("response"), text: f.get("text") });
  });
  if ($("#window-checkin")) $("#window-checkin").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    act("/checkins", { side: f.get("side"), note: f.get("note") || undefined });
  });
  // The times are typed in UTC, as the console shows them.
  const utc = (v) => new Date(v + "Z").toISOString().replace(".000Z", "Z");
  if ($("#window-extend")) $("#window-extend").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    act("/extend", { until: utc(f.get("until")), reason: f.get("reason") || undefined });
  });
  if ($("#window-cut")) $("#window-cut").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    act("/cut", { until: utc(f.get("until")), reason: f.get("reason") });
  });
  if ($("#window-close")) $("#window-close").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    act("/close", { outcome: f.get("outcome"), reason: f.get("reason") });
  });
}

// addArrangementLayers draws every arrangement coloured by its live status.
async function addArrangementLayers(map) {
  const r = await api("GET", "/v1/arrangements");
  if (!r.ok || state.map !== map) return;
  const features = r.json.items.map((a) => ({ type: "Feature", geometry: a.request.geometry,
    properties: { id: a.id, state: a.status.state, title: plain(a.request.title) || a.id, purpose: a.request.purpose, colour: arrStateColour[a.status.state] || "#57606a" } }));
  map.addSource("arrangements", { type: "geojson", data: { type: "FeatureCollection", features } });
  map.addLayer({ id: "arr-areas", type: "fill", source: "arrangements", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.25 } }, "incidents");
  map.addLayer({ id: "arr-lines", type: "line", source: "arrangements", paint: { "line-color": ["get", "colour"], "line-width": 4, "line-opacity": 0.8 } }, "incidents");
  map.truceArrangements = r.json.items.map((a) => a.id + ":" + a.status.state); // for the tests
  map.on("click", "arr-lines", (e) => {
    const p = e.features[0].properties;
    new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<a href="#/window/${encodeURIComponent(p.id)}"><strong>${esc(p.title)}</strong></a><br>${esc(t("purpose." + p.purpose))} · ${esc(t("arr.state." + p.state))}`).addTo(map);
  });
}

async function viewMap(params) {
  if (!window.maplibregl) {
    $("#main").innerHTML = `<h1>${esc(t("ui.nav.map"))}</h1><p>${esc(t("ui.map.no_assets"))}</p>`;
    return;
  }
  await loadParties();
  const sel = (name, values, label) => `<label>${esc(label)} <select name="${name}"><option value="">${esc(t("ui.any"))}</option>${values
    .map(([v, l]) => `<option value="${esc(v)}"${params.get(name) === v ? " selected" : ""}>${esc(l)}</option>`).join("")}</select></label>`;
  const day = (name, label) => `<label>${esc(label)} <input type="date" name="${name}" value="${esc(params.get(name) || "")}"></label>`;
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.map"))}</h1>
    <form id="map-filters" class="filters" aria-label="${esc(t("ui.map.filters"))}">
      ${day("from", t("ui.map.from"))}${day("to", t("ui.map.to"))}
      ${sel("type", incidentTypes.map((x) => [x, t("ui.type." + x)]), t("ui.field.type"))}
      ${sel("status", incidentStatuses.map((x) => [x, t("ui.status." + x)]), t("ui.field.status"))}
      ${sel("party", Object.values(state.parties).map((p) => [p.id, partyName(p.id)]), t("ui.field.party"))}
    </form>
    <fieldset id="replay" class="filters"><legend>${esc(t("ui.map.replay"))}</legend>
      <label>${esc(t("ui.map.window"))} <select id="replay-window"><option value="1">${esc(t("ui.map.day"))}</option><option value="7">${esc(t("ui.map.week"))}</option></select></label>
      <label class="grow">${esc(t("ui.map.replay_end"))} <input type="range" id="replay-at" min="0" max="1" step="1" value="0" disabled></label>
      <button type="button" id="replay-toggle" aria-pressed="false">${esc(t("ui.map.replay_start"))}</button>
      <button type="button" id="replay-play" disabled>${esc(t("ui.map.play"))}</button>
      <output id="replay-label" for="replay-at" aria-live="polite"></output>
    </fieldset>
    <fieldset id="layers" class="filters" hidden><legend id="layers-legend"></legend>
      ${Object.keys(agreementLayerGroups).map((k) => `<label><input type="checkbox" data-layer="${k}" checked> <span class="swatch swatch-${k}"></span>${esc(t("ui.map.layer." + k))}</label>`).join("")}
      <small>${esc(t("ui.map.band_note"))}</small>
    </fieldset>
    <div id="map" class="map" role="region" aria-label="${esc(t("ui.nav.map"))}"></div><p id="map-status" aria-live="polite"></p>`;
  const map = await newMap("map");
  state.map = map;
  window.truceMap = map; // for the performance harness, the tests and the curious
  const replay = { on: false, end: 0, timer: null };
  state.replay = replay;
  let asked = 0;
  const filters = () => {
    const f = new FormData($("#map-filters"));
    const q = [["type", f.get("type")], ["status", f.get("status")], ["party", f.get("party")]];
    if (replay.on) {
      const days = Number($("#replay-window").value);
      q.push(["from", new Date(replay.end - days * DAY).toISOString()], ["to", new Date(replay.end).toISOString()]);
    } else {
      if (f.get("from")) q.push(["from", f.get("from")]);
      if (f.get("to")) q.push(["to", new Date(Date.parse(f.get("to")) + DAY - 1000).toISOString()]);
    }
    return q;
  };
  const data = mapData(map);
  let shown = null;
  const refresh = async () => {
    const n0 = ++asked, f = filters();
    const e = data.get(f);
    if (!e.json && !(await e.ready)) return;
    if (state.map !== map || n0 !== asked) return;
    if (e !== shown) map.getSource("incidents").setData(e.json);
    else map.triggerRepaint(); // the same data: one frame, so that idle follows
    shown = e;
    // Marks for the performance harness: data in, then the frame drawn.
    performance.mark("truce-map-data");
    map.once("idle", () => {
      performance.mark("truce-map-idle");
      if (n0 === asked && !replay.timer) data.ahead(f); // a playing replay asks for the next window itself
    });
    const [w, s, east, n] = viewBox(map);
    const count = e.json.features.reduce((a, x) => {
      const [lon, lat] = x.geometry.coordinates;
      return lon >= w && lon <= east && lat >= s && lat <= n ? a + x.properties.count : a;
    }, 0);
    state.mapShown = count;
    $("#map-status").textContent = t("ui.map.shown", count);
  };
  // New incidents: what was fetched is out of date.
  state.mapRefresh = () => {
    data.clear();
    return refresh();
  };
  map.truceRefresh = refresh; // for the performance harness
  // The view's incidents are asked for while the map loads, and drawn as
  // soon as its style is there, in the same pass as the borders.
  data.get(filters());
  if (map.getSource("incidents")) refresh();
  else map.once("style.load", refresh);
  map.on("load", async () => {
    if (!state.token) return;
    addArrangementLayers(map);
    const ins = await mapInstruments();
    if (!ins.length || state.map !== map) return;
    addAgreementLayers(map, agreementFeatures(ins));
    map.truceInstruments = ins.map((x) => x.id + "/" + x.version); // for the tests
    const a = ins[0];
    $("#layers-legend").textContent = a.state === "in_force"
      ? t("ui.map.layers_in_force", list(ins.map((x) => t("ui.instrument.version", tagged(x.document.title) || x.id, x.version))))
      : t("ui.map.layers", tagged(a.document.title), a.version, t("ui.agreement.state." + a.state));
    $("#layers").hidden = false;
  });
  map.on("moveend", refresh);
  map.on("click", "incidents", (e) => {
    const p = e.features[0].properties;
    if (p.id) location.hash = "#/incident/" + p.id;
    else map.easeTo({ center: e.lngLat, zoom: map.getZoom() + 2 });
  });
  map.on("mouseenter", "incidents", () => (map.getCanvas().style.cursor = "pointer"));
  map.on("mouseleave", "incidents", () => (map.getCanvas().style.cursor = ""));
  // Filters go into the address (to share or reload) without a new view.
  $("#map-filters").addEventListener("change", () => {
    const f = new URLSearchParams(new FormData($("#map-filters")));
    for (const [k, v] of [...f]) if (!v) f.delete(k);
    history.replaceState(null, "", "#/map" + (f.size ? "?" + f : ""));
    if (replay.on) setupReplay();
    refresh();
  });
  for (const box of document.querySelectorAll("#layers input[data-layer]"))
    box.addEventListener("change", () => {
      for (const id of agreementLayerGroups[box.dataset.layer]) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
    });
  // Replay: a window of a day or a week whose end the slider moves, one
  // hour a step, between the filter's dates (or the 30 days to the latest
  // incident).
  const slider = $("#replay-at"), label = () => {
    const days = Number($("#replay-window").value);
    $("#replay-label").textContent = replay.on ? t("ui.map.showing", fmtTime(new Date(replay.end - days * DAY).toISOString()), fmtTime(new Date(replay.end).toISOString())) : "";
  };
  const setupReplay = async () => {
    const f = new FormData($("#map-filters"));
    let to = f.get("to") ? Date.parse(f.get("to")) + DAY : 0;
    if (!to) {
      const last = await api("GET", "/v1/incidents?limit=1");
      const it = last.ok && last.json.items[0];
      to = it ? Math.ceil(Date.parse(it.observed_until || it.observed_from) / DAY) * DAY : Math.ceil(Date.now() / DAY) * DAY;
    }
    const from = f.get("from") ? Date.parse(f.get("from")) : to - 30 * DAY;
    slider.min = String(from / 3600000);
    slider.max = String(to / 3600000);
    const days = Number($("#replay-window").value);
    replay.end = Math.min(to, from + days * DAY);
    slider.value = String(replay.end / 3600000);
    label();
  };
  $("#replay-toggle").addEventListener("click", async (e) => {
    replay.on = !replay.on;
    e.currentTarget.setAttribute("aria-pressed", String(replay.on));
    e.currentTarget.textContent = t(replay.on ? "ui.map.replay_stop" : "ui.map.replay_start");
    if (!replay.on) stopReplay();
    else await setupReplay();
    // Enabled once the slider's range is set.
    slider.disabled = $("#replay-play").disabled = !replay.on;
    label();
    refresh();
  });
  $("#replay-window").addEventListener("change", () => {
    label();
    if (replay.on) refresh();
  });
  slider.addEventListener("input", () => {
    replay.end = Number(slider.value) * 3600000;
    label();
    refresh();
  });
  $("#replay-play").addEventListener("click", (e) => {
    if (replay.timer) return stopReplay();
    e.currentTarget.textContent = t("ui.map.pause");
    // Each tick moves the window by an hour for a day, six for a week.
    replay.timer = setInterval(() => {
      const step = Number($("#replay-window").value) === 1 ? 1 : 6;
      if (Number(slider.value) + step > Number(slider.max)) return stopReplay();
      slider.value = String(Number(slider.value) + step);
      slider.dispatchEvent(new Event("input"));
    }, 700);
  });
}

function stopReplay() {
  const r = state.replay;
  if (!r || !r.timer) return;
  clearInterval(r.timer);
  r.timer = null;
  const b = $("#replay-play");
  if (b) b.textContent = t("ui.map.play");
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
  const [r] = await Promise.all([api("GET", "/v1/me"), loadParties()]); // the header names the party
  state.me = r.ok ? r.json : null;
  return r.ok;
}

// listen follows the event stream: new statements refresh what is shown.
function listen() {
  if (state.events) state.events.close();
  const url = "/v1/events" + (state.token ? "?access_token=" + encodeURIComponent(state.token) : "");
  state.events = new EventSource(url);
  let timer, latest = 0;
  state.events.addEventListener("statement", (e) => {
    const s = JSON.parse(e.data);
    if (s.statement.type === "incident.report") toast(t("ui.new_report", "inc-" + s.seq));
    latest = Math.max(latest, s.seq);
    clearTimeout(timer);
    timer = setTimeout(() => {
      // The page redrew after the member's own statement, with everything
      // before it: nothing newer, nothing to draw.
      if (latest <= (state.own || 0)) return;
      // Never redraw under someone's typing: a half-filled form stays, and
      // the news waits for the next view.
      if (state.dirty || $("#main").contains(document.activeElement) && document.activeElement.matches("input, select, textarea")) return;
      if (location.hash.startsWith("#/map") && state.mapRefresh) return state.mapRefresh();
      route();
    }, 300);
  });
  // An alert for this member: said at once, wherever the member is.
  state.events.addEventListener("alert", (e) => {
    const a = JSON.parse(e.data);
    toast(t("ui.alerts.toast", t("alert.kind." + a.event.kind), a.event.record));
  });
}

// The hotline: an inbox of the threads the member may read, each with its
// next acknowledgement deadline or how many are overdue (judged by the
// centre's clock, which the API returns as "now").
const mySide = (th) => (state.me && state.me.member.party === th.party ? th.party : "centre");
const dur = (s) => {
  if (s === undefined || s === null) return "—";
  const m = Math.round(s / 60);
  return m < 120 ? t("ui.minutes", m) : t("ui.hours", Math.round(m / 60));
};

async function viewHotline() {
  const [r, st] = await Promise.all([api("GET", "/v1/hotline"), api("GET", "/v1/hotline/stats"), loadParties()]);
  if (!r.ok) return showProblem(r);
  const rows = r.json.items.map((th) => {
    const due = th.overdue ? `<span class="late">${esc(t("ui.hotline.overdue", th.overdue))}</span>` : th.next_due ? esc(fmtTime(th.next_due)) : "—";
    return `<tr data-thread="${esc(th.id)}" data-overdue="${th.overdue || 0}" data-status="${esc(th.status)}"><td><a href="#/hotline/${encodeURIComponent(th.id)}">${esc(th.id)}</a></td><td>${esc(t("ui.hotline.kind." + th.kind))}</td><td>${esc(partyName(th.party))}</td><td>${esc(t("ui.hotline.status." + th.status))}</td><td>${th.messages.length}</td><td>${due}</td><td>${esc(th.subject)}</td></tr>`;
  }).join("");
  const stats = (st.ok ? st.json.parties : []).map((f) => `<tr data-party="${esc(f.party)}"><td>${esc(f.party === "centre" ? t("ui.hotline.centre") : partyName(f.party))}</td><td>${f.messages}</td><td>${f.acknowledged}</td><td>${f.late}</td><td>${f.overdue}</td><td>${esc(dur(f.ack_median_s))}</td><td>${f.threads}</td><td>${f.resolved}</td><td>${esc(dur(f.resolve_median_s))}</td><td>${f.escalated || 0}</td></tr>`).join("");
  const staff = (has("coordinator") || has("monitor")) && kind() !== "belligerent";
  const canOpen = has("representative") && kind() !== "centre" || staff;
  const targets = [];
  if (has("representative") && kind() !== "centre") targets.push(["centre", t("ui.hotline.centre")]);
  if (staff) for (const p of Object.values(state.parties)) if (p.kind !== "centre" && p.id !== state.me.member.party) targets.push([p.id, partyName(p.id)]);
  const kinds = ["violation", "repair", "movement", "other"];
  const form = canOpen ? `<h2>${esc(t("ui.hotline.open_heading"))}</h2><form id="open-thread">
    <div class="field"><label for="h-kind">${esc(t("ui.hotline.kind"))}</label><select id="h-kind" name="kind">${kinds.map((k) => `<option value="${k}">${esc(t("ui.hotline.kind." + k))}</option>`).join("")}</select></div>
    <div class="field"><label for="h-to">${esc(t("ui.hotline.to"))}</label><select id="h-to" name="to">${targets.map(([v, l]) => `<option value="${esc(v)}">${esc(l)}</option>`).join("")}</select></div>
    <div class="field"><label for="h-subject">${esc(t("ui.hotline.subject"))}</label><input id="h-subject" name="subject" required maxlength="200"></div>
    <div class="field"><label for="h-text">${esc(t("ui.hotline.text"))}</label><textarea id="h-text" name="text" required></textarea></div>
    <div class="field"><label for="h-lon">${esc(t("ui.field.lon"))}</label><input id="h-lon" name="lon" inputmode="decimal"></div>
    <div class="field"><label for="h-lat">${esc(t("ui.field.lat"))}</label><input id="h-lat" name="lat" inputmode="decimal"></div>
    <button type="submit">${esc(t("ui.hotline.open_button"))}</button><p class="error" id="err-open" aria-live="polite"></p></form>` : "";
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.hotline"))}</h1>
    ${rows ? `<table class="list" id="threads"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.hotline.kind"))}</th><th>${esc(t("ui.field.party"))}</th><th>${esc(t("ui.field.status"))}</th><th>${esc(t("ui.hotline.messages"))}</th><th>${esc(t("ui.field.deadline"))}</th><th>${esc(t("ui.hotline.subject"))}</th></tr></thead><tbody>${rows}</tbody></table>` : `<p id="threads-none">${esc(t("ui.hotline.none"))}</p>`}
    <h2 id="stats-h">${esc(t("ui.hotline.stats"))}</h2>
    <table class="list" id="hotline-stats"><thead><tr><th>${esc(t("ui.field.party"))}</th><th>${esc(t("ui.hotline.messages"))}</th><th>${esc(t("ui.hotline.col.acknowledged"))}</th><th>${esc(t("ui.hotline.col.late"))}</th><th>${esc(t("ui.hotline.col.overdue"))}</th><th>${esc(t("ui.hotline.col.ack_median"))}</th><th>${esc(t("ui.hotline.col.threads"))}</th><th>${esc(t("ui.hotline.col.resolved"))}</th><th>${esc(t("ui.hotline.col.resolve_median"))}</th><th>${esc(t("ui.hotline.col.escalated"))}</th></tr></thead><tbody>${stats}</tbody></table>
    ${form}`;
  const f = $("#open-thread");
  if (f) f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { kind: f.kind.value, to: f.to.value, subject: f.subject.value, text: { lang: state.lang, text: f.text.value } };
    if (f.lon.value || f.lat.value) body.place = { geometry: { type: "Point", coordinates: [Number(f.lon.value), Number(f.lat.value)] } };
    const r = await api("POST", "/v1/hotline", body);
    if (!r.ok) return ($("#err-open").textContent = problem(r));
    state.own = r.json.statement.seq;
    location.hash = "#/hotline/" + r.json.record.id;
  });
}

async function viewThread(id) {
  const [r] = await Promise.all([api("GET", "/v1/hotline/" + encodeURIComponent(id)), loadParties()]);
  if (!r.ok) return showProblem(r);
  const th = r.json, side = mySide(th), open = th.status === "open";
  const sideName = (s) => (s === "centre" ? t("ui.hotline.centre") : partyName(s));
  const msgs = th.messages.map((m) => {
    let st;
    if (m.ack) st = t(m.late ? "ui.hotline.acked_late" : "ui.hotline.acked", m.ack.by, fmtTime(m.ack.at));
    else if (m.overdue) st = t("ui.hotline.missed", fmtTime(m.due));
    else st = t("ui.hotline.awaiting", fmtTime(m.due));
    if (m.escalated) st += " · " + t("ui.hotline.escalated", fmtTime(m.escalated.at));
    const ack = !m.ack && open && m.to === side ? ` <button type="button" class="ack" data-n="${m.n}">${esc(t("ui.hotline.ack"))}</button>` : "";
    const place = m.place ? ` <small>${esc(m.place.name || "")} ${esc(JSON.stringify(m.place.geometry.coordinates))}</small>` : "";
    const ev = (m.evidence || []).map((e) => `<a href="/v1/evidence/${e.sha256}" download="${esc(e.name)}">${esc(e.name)}</a>`).join(", ");
    return `<li data-n="${m.n}" data-acked="${m.ack ? 1 : 0}" data-overdue="${m.overdue ? 1 : 0}" data-escalated="${m.escalated ? 1 : 0}"><p><strong>#${m.n}</strong> ${esc(fmtTime(m.at))} · ${esc(partyName(m.party))} · ${esc(m.by)} → ${esc(sideName(m.to))}</p><p>${spoken(m.text)}${place}</p>${ev ? `<p>${ev}</p>` : ""}<p class="${m.overdue ? "late" : ""} ack-state">${esc(st)}${ack}</p></li>`;
  }).join("");
  const incs = (th.incidents || []).map((x) => `<a href="#/incident/${encodeURIComponent(x)}">${esc(x)}</a>`).join(", ");
  const res = th.resolution ? `<p id="resolution">${esc(t("ui.hotline.resolved", th.resolution.by, fmtTime(th.resolution.at)))}${th.resolution.note && th.resolution.note.text ? " — " + spoken(th.resolution.note) : ""}</p>` : "";
  const canWrite = open && (side !== "centre" ? has("representative") || has("coordinator") : (has("coordinator") || has("monitor")) && kind() !== "belligerent");
  $("#main").innerHTML = `<h1>${esc(th.id)} <span class="badge" id="thread-status" data-status="${esc(th.status)}">${esc(t("ui.hotline.status." + th.status))}</span></h1>
    <p>${esc(th.subject)} · ${esc(t("ui.hotline.kind." + th.kind))} · ${esc(sideName(th.opened_by))} → ${esc(sideName(th.opened_by === "centre" ? th.party : "centre"))} · ${esc(t("ui.hotline.deadline", dur(th.ack_within_s)))}</p>
    ${incs ? `<p>${esc(t("ui.hotline.incidents"))} ${incs}</p>` : ""}
    <ol id="messages" class="messages">${msgs}</ol>${res}
    ${canWrite ? `<form id="reply"><div class="field"><label for="r-text">${esc(t("ui.hotline.reply"))}</label><textarea id="r-text" name="text" required></textarea></div><button type="submit">${esc(t("ui.hotline.send"))}</button> <button type="button" id="resolve">${esc(t("ui.hotline.resolve"))}</button><p class="error" id="err-reply" aria-live="polite"></p></form>` : ""}`;
  const done = (r) => {
    if (!r.ok) return (($("#err-reply") || {}).textContent = problem(r)), toast(problem(r));
    state.own = r.json.statement.seq;
    route();
  };
  for (const b of document.querySelectorAll("#messages button.ack")) b.addEventListener("click", async () => done(await api("POST", `/v1/hotline/${encodeURIComponent(id)}/ack`, { message: Number(b.dataset.n) })));
  const f = $("#reply");
  if (f) {
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      done(await api("POST", `/v1/hotline/${encodeURIComponent(id)}/messages`, { text: { lang: state.lang, text: f.text.value } }));
    });
    $("#resolve").addEventListener("click", async () => {
      const body = f.text.value ? { note: { lang: state.lang, text: f.text.value } } : {};
      done(await api("POST", `/v1/hotline/${encodeURIComponent(id)}/resolve`, body));
    });
  }
}

// The freedom-of-movement register: every restriction, counts per party
// and subtype, and for the centre's staff a form to record one.
// Alerts: the member's subscriptions and what they were told, with each
// webhook delivery and receipt; everyone's with ?member=all (who was told
// what, and when, is public to members, as the ledger is).
const alertKinds = ["near_site", "window_violation", "violation", "guarantee_missed", "guarantee_withdrawn", "hotline_missed", "incident"];

function alertRecord(e) {
  const id = encodeURIComponent(e.record);
  if (e.record.startsWith("inc-")) return `<a href="#/incident/${id}">${esc(e.record)}</a>`;
  if (e.record.startsWith("hl-")) return `<a href="#/hotline/${id}">${esc(e.record)}${e.message ? " #" + e.message : ""}</a>`;
  return `<a href="#/window/${id}">${esc(e.record)}</a>`;
}

function alertDetail(e) {
  if (e.site && e.measured_km !== undefined) return t("alert.detail.site", e.site_name || e.site, Number(e.measured_km).toFixed(1));
  if (e.kind === "window_violation") return t("alert.detail.window", e.agreement);
  if (e.message && e.due) return t("alert.detail.message", e.message, fmtTime(e.due));
  if (e.kind === "guarantee_missed" || e.kind === "guarantee_withdrawn") return (e.parties || []).map(partyName).join(", ");
  if (e.type) return t("ui.type." + e.type) + " · " + t("alert.severity." + e.severity);
  return "—";
}

function alertDelivery(a) {
  if (!a.webhook) return t("alert.delivery.stream");
  if (!a.delivery) return t("alert.delivery.pending");
  return t("alert.delivery." + a.delivery.outcome, a.delivery.status || 0) + (a.delivery.attempts > 1 ? " · " + t("ui.alerts.attempts", a.delivery.attempts) : "");
}

function filterText(f) {
  const parts = ["events=" + f.events.join(",")];
  if (f.parties) parts.push("parties=" + f.parties.join(","));
  if (f.types) parts.push("types=" + f.types.join(","));
  if (f.bbox) parts.push("bbox=" + f.bbox.join(","));
  if (f.near_km) parts.push("near_km=" + f.near_km);
  if (f.severity) parts.push("severity=" + f.severity);
  return parts.join(" ");
}

async function viewAlerts(params) {
  if (!state.me) return showProblem({ status: 401, json: { title: t("ui.nav.login") } });
  const everyone = params.get("member") === "all";
  const q = everyone ? "?member=all" : "";
  const [r, subs] = await Promise.all([api("GET", "/v1/alerts" + q), api("GET", "/v1/alerts/subscriptions" + q), loadParties()]);
  if (!r.ok) return showProblem(r);
  const me = state.me.member.id;
  const rows = r.json.items.map((a) => `<tr data-alert="${esc(a.id)}" data-kind="${esc(a.event.kind)}" data-read="${a.receipt ? 1 : 0}" data-delivery="${esc(a.delivery ? a.delivery.outcome : a.webhook ? "pending" : "stream")}"><td>${esc(a.id)}</td><td>${esc(fmtTime(a.at))}</td><td>${esc(a.member)}</td><td>${esc(t("alert.kind." + a.event.kind))}</td><td>${alertRecord(a.event)}</td><td>${esc(alertDetail(a.event))}</td><td>${esc(alertDelivery(a))}</td><td>${a.receipt ? esc(fmtTime(a.receipt.at)) : a.member === me ? `<button type="button" class="ack" data-id="${esc(a.id)}">${esc(t("ui.alerts.ack"))}</button>` : "—"}</td></tr>`).join("");
  const subRows = (subs.ok ? subs.json.items : []).map((x) => `<tr data-subscription="${esc(x.id)}" data-status="${esc(x.status)}"><td>${esc(x.id)}</td><td>${esc(x.member)}</td><td>${esc(x.name)}</td><td><code>${esc(filterText(x.filter))}</code></td><td>${esc(x.webhook ? x.webhook.url : "—")}</td><td>${esc(t("alert.status." + x.status))}${x.status === "active" && (x.member === me) ? ` <button type="button" class="end" data-id="${esc(x.id)}">${esc(t("ui.alerts.end"))}</button>` : ""}</td></tr>`).join("");
  const writer = has("representative") || has("monitor") || has("coordinator");
  const form = writer ? `<h2>${esc(t("ui.alerts.subscribe"))}</h2><form id="subscribe" novalidate>
    <div class="field"><label for="a-name">${esc(t("ui.alerts.name"))}</label><input id="a-name" name="name" required maxlength="200"></div>
    <fieldset class="field" id="a-events"><legend>${esc(t("ui.alerts.events"))}</legend>${alertKinds.map((k) => `<label><input type="checkbox" name="events" value="${k}"> ${esc(t("alert.kind." + k))}</label>`).join(" ")}</fieldset>
    <div class="field"><label for="a-parties">${esc(t("ui.alerts.parties"))}</label><input id="a-parties" name="parties" placeholder="ru,ua"></div>
    <div class="field"><label for="a-bbox">${esc(t("ui.alerts.bbox"))}</label><input id="a-bbox" name="bbox" placeholder="33,46,37.5,48.5"></div>
    <div class="field"><label for="a-near">${esc(t("ui.alerts.near_km"))}</label><input id="a-near" name="near_km" inputmode="decimal"></div>
    <div class="field"><label for="a-severity">${esc(t("ui.alerts.severity"))}</label><select id="a-severity" name="severity"><option value="">${esc(t("ui.alerts.severity_any"))}</option><option value="serious">${esc(t("alert.severity.serious"))}</option></select></div>
    <div class="field"><label for="a-webhook">${esc(t("ui.alerts.webhook"))}</label><input id="a-webhook" name="webhook" type="url" placeholder="https://"></div>
    <button type="submit">${esc(t("ui.alerts.subscribe_button"))}</button><p class="error" id="err-subscribe" aria-live="polite"></p></form>` : "";
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.alerts"))}</h1><p class="note">${esc(t("ui.alerts.about"))}</p>
    <p><a href="#/alerts" id="alerts-mine">${esc(t("ui.alerts.mine"))}</a> · <a href="#/alerts?member=all" id="alerts-all">${esc(t("ui.alerts.everyone"))}</a></p>
    <p id="webhook-secret" class="note" aria-live="polite"></p>
    <h2>${esc(t("ui.alerts.list"))}</h2>
    ${rows ? `<table class="list" id="alerts"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.field.time"))}</th><th>${esc(t("ui.alerts.member"))}</th><th>${esc(t("ui.alerts.event"))}</th><th>${esc(t("ui.alerts.record"))}</th><th>${esc(t("ui.alerts.detail"))}</th><th>${esc(t("ui.alerts.delivery"))}</th><th>${esc(t("ui.alerts.receipt"))}</th></tr></thead><tbody>${rows}</tbody></table>` : `<p id="alerts-none">${esc(t("ui.alerts.none"))}</p>`}
    <h2>${esc(t("ui.alerts.subscriptions"))}</h2>
    ${subRows ? `<table class="list" id="subscriptions"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.alerts.member"))}</th><th>${esc(t("ui.alerts.name"))}</th><th>${esc(t("ui.alerts.filter"))}</th><th>${esc(t("ui.alerts.webhook_col"))}</th><th>${esc(t("ui.field.status"))}</th></tr></thead><tbody>${subRows}</tbody></table>` : `<p id="subscriptions-none">${esc(t("ui.alerts.none_subscriptions"))}</p>`}
    ${form}`;
  const after = (r) => {
    if (!r.ok) return toast(problem(r));
    state.own = r.json.statement.seq;
    route();
  };
  for (const b of document.querySelectorAll("#alerts button.ack")) b.addEventListener("click", async () => after(await api("POST", `/v1/alerts/${encodeURIComponent(b.dataset.id)}/receipt`, {})));
  for (const b of document.querySelectorAll("#subscriptions button.end")) b.addEventListener("click", async () => after(await api("POST", `/v1/alerts/subscriptions/${encodeURIComponent(b.dataset.id)}/end`, {})));
  const f = $("#subscribe");
  if (f) f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const list = (v) => v.split(",").map((x) => x.trim()).filter(Boolean);
    const filter = { events: [...f.querySelectorAll("input[name=events]:checked")].map((x) => x.value) };
    if (f.parties.value.trim()) filter.parties = list(f.parties.value);
    if (f.bbox.value.trim()) filter.bbox = list(f.bbox.value).map(Number);
    if (f.near_km.value.trim()) filter.near_km = Number(f.near_km.value);
    if (f.severity.value) filter.severity = f.severity.value;
    const body = { name: f.name.value, filter };
    if (f.webhook.value.trim()) body.webhook = { url: f.webhook.value.trim() };
    const r = await api("POST", "/v1/alerts/subscriptions", body);
    if (!r.ok) return ($("#err-subscribe").textContent = problem(r));
    state.own = r.json.statement.seq;
    await route();
    if (r.json.webhook_secret) $("#webhook-secret").innerHTML = esc(t("ui.alerts.secret")) + ` <code id="secret">${esc(r.json.webhook_secret)}</code>`;
  });
}

const subtypes = ["denial_of_access", "conditional_access", "delay", "uav_jamming", "other"];

async function viewRestrictions() {
  const [r] = await Promise.all([api("GET", "/v1/restrictions"), loadParties()]);
  if (!r.ok) return showProblem(r);
  const { items, counts } = r.json;
  const actor = (a) => (a === "unknown" ? t("ui.unknown") : partyName(a));
  const staff = (has("coordinator") || has("monitor")) && kind() !== "belligerent";
  const rows = items.map((x) => `<tr data-id="${esc(x.id)}" data-status="${esc(x.status)}"><td>${esc(x.id)}</td><td>${esc(t("ui.restrictions.subtype." + x.subtype))}</td><td>${esc(actor(x.actor))}</td><td>${esc(x.checkpoint || x.place.name || "")}</td><td>${esc(fmtTime(x.started))}</td><td>${esc(t("ui.restrictions.status." + x.status))}</td><td>${esc(dur(x.resolution_s ?? x.open_for_s))}</td><td>${x.thread ? `<a href="#/hotline/${encodeURIComponent(x.thread)}">${esc(x.thread)}</a>` : "—"}${staff && x.status === "open" ? ` <button type="button" class="end" data-id="${esc(x.id)}">${esc(t("ui.restrictions.end"))}</button>` : ""}</td></tr>`).join("");
  const actors = Object.keys(counts.by_party).sort();
  const countRows = actors.map((a) => `<tr data-party="${esc(a)}"><th scope="row">${esc(actor(a))}</th>${subtypes.map((s) => `<td data-subtype="${s}">${counts.by_party[a][s] || 0}</td>`).join("")}<td data-subtype="total">${Object.values(counts.by_party[a]).reduce((n, x) => n + x, 0)}</td></tr>`).join("");
  const form = staff ? `<h2>${esc(t("ui.restrictions.record"))}</h2><form id="record-restriction">
    <div class="field"><label for="x-subtype">${esc(t("ui.restrictions.subtype"))}</label><select id="x-subtype" name="subtype">${subtypes.map((s) => `<option value="${s}">${esc(t("ui.restrictions.subtype." + s))}</option>`).join("")}</select></div>
    <div class="field"><label for="x-actor">${esc(t("ui.restrictions.actor"))}</label><select id="x-actor" name="actor"><option value="unknown">${esc(t("ui.unknown"))}</option>${Object.values(state.parties).filter((p) => p.kind !== "centre").map((p) => `<option value="${esc(p.id)}">${esc(partyName(p.id))}</option>`).join("")}</select></div>
    <div class="field"><label for="x-checkpoint">${esc(t("ui.restrictions.checkpoint"))}</label><input id="x-checkpoint" name="checkpoint"></div>
    <div class="field"><label for="x-lon">${esc(t("ui.field.lon"))}</label><input id="x-lon" name="lon" inputmode="decimal" required></div>
    <div class="field"><label for="x-lat">${esc(t("ui.field.lat"))}</label><input id="x-lat" name="lat" inputmode="decimal" required></div>
    <div class="field"><label for="x-started">${esc(t("ui.restrictions.started"))}</label><input id="x-started" name="started" type="datetime-local" required></div>
    <button type="submit">${esc(t("ui.restrictions.submit"))}</button><p class="error" id="err-record" aria-live="polite"></p></form>` : "";
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.restrictions"))}</h1>
    <p id="restrictions-total">${esc(t("ui.restrictions.total", counts.total, counts.open))}</p>
    <h2 id="counts-h">${esc(t("ui.restrictions.counts"))}</h2>
    <table class="list" id="counts"><thead><tr><th>${esc(t("ui.restrictions.actor"))}</th>${subtypes.map((s) => `<th>${esc(t("ui.restrictions.subtype." + s))}</th>`).join("")}<th>${esc(t("ui.restrictions.all"))}</th></tr></thead><tbody>${countRows}</tbody></table>
    <table class="list" id="restrictions"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.restrictions.subtype"))}</th><th>${esc(t("ui.restrictions.actor"))}</th><th>${esc(t("ui.field.place"))}</th><th>${esc(t("ui.restrictions.started"))}</th><th>${esc(t("ui.field.status"))}</th><th>${esc(t("ui.restrictions.resolution"))}</th><th>${esc(t("ui.restrictions.thread"))}</th></tr></thead><tbody>${rows}</tbody></table>
    ${form}`;
  const after = (r, err) => {
    if (!r.ok) return ($(err) || {}).textContent = problem(r), toast(problem(r));
    state.own = r.json.statement.seq;
    route();
  };
  for (const b of document.querySelectorAll("#restrictions button.end")) b.addEventListener("click", async () => after(await api("POST", `/v1/restrictions/${encodeURIComponent(b.dataset.id)}/end`, { ended_at: new Date().toISOString() }), "#err-record"));
  const f = $("#record-restriction");
  if (f) f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { subtype: f.subtype.value, actor: f.actor.value, place: { geometry: { type: "Point", coordinates: [Number(f.lon.value), Number(f.lat.value)] } },
      started_at: f.started.value ? new Date(f.started.value + "Z").toISOString() : "" };
    if (f.checkpoint.value) body.checkpoint = f.checkpoint.value;
    after(await api("POST", "/v1/restrictions", body), "#err-record");
  });
}

// The seats: which countries sit in the centre under the monitoring terms in
// force (or the founding parties), how many representatives each, what each
// may access, each belligerent's consent or objection, and every member
// with its accreditations: holders, dates, rotations.
const accessKinds = ["incidents", "evidence", "sites", "zone", "hotline"];

async function viewSeats() {
  const [r] = await Promise.all([api("GET", "/v1/seats"), loadParties()]);
  if (!r.ok) return showProblem(r);
  const v = r.json;
  const founding = v.basis === "founding";
  const belligerents = Object.values(state.parties).filter((p) => p.kind === "belligerent").map((p) => p.id).sort();
  const word = (w) => (w ? `<span class="decision-${esc(w.decision)}" title="${esc(fmtTime(w.at))}">${esc(t("ui.seats.decision." + w.decision))}</span>` : "—");
  const access = (co) => (founding ? t("ui.seats.all") : co.access.length ? list(co.access.map((a) => t("ui.seats.access." + a))) : "—");
  const countries = v.countries.map((co) => `<tr data-country="${esc(co.party.id)}"><th scope="row">${esc(partyName(co.party.id))}</th>
    <td data-col="seats">${!co.named ? esc(t("ui.seats.not_named")) : co.seats ? co.seats : esc(t("ui.seats.unlimited"))}</td><td data-col="held">${co.held}</td><td data-col="members">${co.members}</td>
    <td data-col="access">${esc(access(co))}</td>${belligerents.map((b) => `<td data-consent="${esc(b)}">${word(co.consent.parties[b])}</td>`).join("")}</tr>`).join("");
  const seats = v.countries.flatMap((co) => co.seated.flatMap((s) => (s.accreditations.length ? s.accreditations : [null]).map((a) => {
    const note = a ? [a.rotates ? t("ui.seats.rotates", a.rotates) : a.renews ? t("ui.seats.renews", a.renews) : "", a.note || ""].filter(Boolean).join(" ") : "";
    const st = a ? accState(a, v.at) : "none";
    return `<tr data-member="${esc(s.member.id)}" data-state="${esc(st)}"><td>${esc(s.member.name || s.member.id)} <small>${esc(s.member.id)}</small></td><td>${esc(partyName(co.party.id))}</td>
      <td>${esc(t("ui.seats.state." + st))}</td><td>${a ? esc(fmtDate(a.from)) : "—"}</td><td>${a ? esc(fmtDate(a.ended || a.until)) : "—"}</td><td>${a ? esc(a.basis === "founding" ? t("ui.seats.founding_short") : a.basis) : "—"}</td><td>${a ? esc(a.id) : "—"}</td><td>${esc(note)}</td></tr>`;
  }))).join("");
  const cases = v.countries.flatMap((co) => co.consent.cases.map((w) => `<li data-case="${esc(w.incident)}" class="decision-${esc(w.decision)}">${esc(t("ui.seats.case." + w.decision, partyName(w.party), w.monitor, w.incident))}${w.note ? ` — ${esc(w.note)}` : ""} <small>(${esc(fmtTime(w.at))})</small></li>`)).join("");
  $("#main").innerHTML = `<h1>${esc(t("ui.nav.seats"))}</h1>
    <p id="seats-basis">${esc(founding ? t("ui.seats.founding") : t("ui.seats.under", v.terms.join(", ")))}</p>
    <table class="list" id="countries"><thead><tr><th>${esc(t("ui.seats.country"))}</th><th>${esc(t("ui.seats.seats"))}</th><th>${esc(t("ui.seats.held"))}</th><th>${esc(t("ui.seats.members"))}</th><th>${esc(t("ui.seats.access"))}</th>${belligerents.map((b) => `<th>${esc(partyName(b))}</th>`).join("")}</tr></thead><tbody>${countries}</tbody></table>
    <h2>${esc(t("ui.seats.holders"))}</h2>
    <table class="list" id="seats"><thead><tr><th>${esc(t("ui.seats.member"))}</th><th>${esc(t("ui.seats.country"))}</th><th>${esc(t("ui.seats.state"))}</th><th>${esc(t("ui.seats.from"))}</th><th>${esc(t("ui.seats.until"))}</th><th>${esc(t("ui.seats.basis"))}</th><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.seats.note"))}</th></tr></thead><tbody>${seats}</tbody></table>
    ${cases ? `<h2>${esc(t("ui.seats.cases"))}</h2><ul id="cases">${cases}</ul>` : ""}`;
}

// accState is where an accreditation stands at time at (as the API says).
function accState(a, at) {
  const now = new Date(at), end = new Date(a.ended && a.ended < a.until ? a.ended : a.until);
  if (now < new Date(a.from)) return "pending";
  if (now < end) return "current";
  return a.replaced_by ? "replaced" : "expired";
}

// The daily report: a day closing at the centre's cut-off, its early
// warnings, the last 30 days drawn, its counts against the previous
// period and its sections; downloads as PDF, HTML or CSV (fetched with
// the token, saved from a blob); issuing it (coordinators of a party that
// is not a belligerent); and the reports issued.
async function viewSitrep(params) {
  const staffRole = roles().some((r) => r !== "viewer");
  const audience = staffRole ? params.get("audience") || "internal" : "public";
  const q = new URLSearchParams({ audience });
  if (params.get("date")) q.set("date", params.get("date"));
  const [r, issued] = await Promise.all([api("GET", "/v1/reports/daily?" + q), api("GET", "/v1/reports/issued")]);
  if (!r.ok) return showProblem(r);
  const d = r.json;
  const lbl = (prefix, key) => { const s = t("ui." + prefix + key); return s === "ui." + prefix + key ? key : s; };
  const sign = (n) => (n > 0 ? "+" + n : n === 0 ? "±0" : String(n));
  const counts = (id, title, rows, prefix) => rows && rows.length ? `<h3>${esc(title)}</h3><table class="list" id="${id}"><thead><tr><th></th><th>${esc(t("sitrep.count"))}</th><th>${esc(t("sitrep.previous"))}</th><th>${esc(t("sitrep.delta"))}</th></tr></thead><tbody>${rows
    .map((c) => `<tr data-key="${esc(c.key)}"><td>${esc(prefix ? lbl(prefix, c.key) : c.key)}</td><td>${c.count}</td><td>${c.previous}</td><td>${esc(sign(c.delta))}</td></tr>`).join("")}</tbody></table>` : "";
  const peak = Math.max(1, ...d.series.map((x) => x.count));
  const bars = d.series.map((x, i) => {
    const h = (100 * x.count) / peak;
    return `<rect x="${i * 20 + 1}" y="${110 - h}" width="18" height="${h}" class="${i === d.series.length - 1 ? "today" : ""}"><title>${esc(x.date)}: ${x.count}</title></rect>`;
  }).join("");
  const plot = `<figure id="sitrep-series"><svg viewBox="0 0 ${d.series.length * 20} 112" width="100%" height="120" role="img" aria-label="${esc(t("sitrep.plot_label", d.series.length))}">${bars}</svg><figcaption>${esc(t("sitrep.plot_label", d.series.length))}</figcaption></figure>`;
  const warnText = (w) => {
    const sub = w.region && w.type ? w.region + " · " + lbl("type.", w.type) : w.region || (w.type ? lbl("type.", w.type) : t("warn.all"));
    switch (w.kind) {
      case "trend": return t("warn.trend", sub, w.count, w.baseline_7, w.baseline_28);
      case "hotspot": return t("warn.hotspot", w.cell, w.count, w.baseline_7);
      case "spillover": return t("warn.spillover", w.incident, w.distance_km, w.country);
      default: return t("warn.nuclear_site", w.incident, w.distance_km == null ? "—" : w.distance_km.toFixed(1), w.site);
    }
  };
  const warnings = d.warnings.length ? `<ul id="sitrep-warnings">${d.warnings.map((w) => `<li data-kind="${esc(w.kind)}" class="warn-${esc(w.severity)}"><strong>${esc(t("warn.severity." + w.severity))}</strong> · ${esc(warnText(w))}</li>`).join("")}</ul>` : `<p id="sitrep-warnings">${esc(t("sitrep.none"))}</p>`;
  const ids = (xs) => xs.map((id) => `<a href="#/incident/${encodeURIComponent(id)}">${esc(id)}</a>`).join(", ");
  const violations = d.violations.length ? `<table class="list" id="sitrep-violations"><thead><tr><th>${esc(t("sitrep.instrument"))}</th><th>${esc(t("sitrep.term"))}</th><th>${esc(t("sitrep.count"))}</th><th>${esc(t("sitrep.incidents"))}</th></tr></thead><tbody>${d.violations
    .map((v) => `<tr><td>${esc(v.agreement)}</td><td>${esc(v.term)}</td><td>${v.count}</td><td>${ids(v.incidents)}</td></tr>`).join("")}</tbody></table>` : `<p>${esc(t("sitrep.none"))}</p>`;
  const c = d.casualties, m = d.restrictions;
  const findings = d.findings.length ? `<ul>${d.findings.map((f) => `<li>${ids([f.incident])}: ${esc(lbl("outcome.", f.finding))}${f.attribution ? ` (${esc(f.attribution)})` : ""}${(f.views || []).map((v) => `<br><small>${esc(t("sitrep.view", partyName(v.party)))}: ${esc(v.text)}</small>`).join("")}</li>`).join("")}</ul>` : `<p>${esc(t("sitrep.none"))}</p>`;
  const incidents = d.incidents.length ? `<table class="list" id="sitrep-incidents"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("sitrep.observed"))}</th><th>${esc(t("sitrep.type"))}</th><th>${esc(t("sitrep.actor"))}</th><th>${esc(t("sitrep.status"))}</th>${d.regions ? `<th>${esc(t("sitrep.region"))}</th>` : ""}</tr></thead><tbody>${d.incidents
    .map((i) => `<tr><td>${ids([i.id])}</td><td>${esc(fmtTime(i.observed))}</td><td>${esc(lbl("type.", i.type))}</td><td>${esc(i.actor ? partyName(i.actor) : "—")}</td><td>${esc(lbl("status.", i.status))}</td>${d.regions ? `<td>${esc(i.region || "—")}</td>` : ""}</tr>`).join("")}</tbody></table>` : `<p>${esc(t("sitrep.none"))}</p>`;
  const history = issued.ok && issued.json.items.length ? `<table class="list" id="sitrep-issued"><thead><tr><th>${esc(t("ui.field.id"))}</th><th>${esc(t("ui.sitrep.kind"))}</th><th>${esc(t("ui.sitrep.date"))}</th><th>${esc(t("ui.sitrep.audience"))}</th><th>${esc(t("ui.sitrep.format"))}</th><th>${esc(t("ui.sitrep.issued_by"))}</th><th>SHA-256</th></tr></thead><tbody>${issued.json.items
    .map((x) => `<tr data-report="${esc(x.id)}"><td>${esc(x.id)}</td><td>${esc(x.kind === "spot" ? x.incident : t("ui.sitrep.daily"))}</td><td>${esc(x.date)}</td><td>${esc(t("sitrep.audience_short." + x.audience))}</td><td>${esc(x.lang)} · ${esc(x.format)}</td><td>${esc(x.by)} · ${esc(fmtTime(x.at))}</td><td><button type="button" class="link fetch-issued" data-sha="${esc(x.sha256)}" data-name="truce-${esc(x.kind)}-${esc(x.date)}-${esc(x.audience)}-${esc(x.lang)}.${esc(x.format)}"><code>${esc(x.sha256.slice(0, 16))}…</code></button></td></tr>`).join("")}</tbody></table>` : `<p>${esc(t("sitrep.none"))}</p>`;
  const canIssue = has("coordinator") && kind() !== "belligerent";
  $("#main").innerHTML = `<h1 id="sitrep-title">${esc(t("sitrep.title", d.date))}</h1>
    <form id="sitrep-pick" class="inline"><label for="sitrep-date">${esc(t("ui.sitrep.date"))}</label> <input id="sitrep-date" name="date" type="date" value="${esc(d.date)}">
      ${staffRole ? `<label for="sitrep-audience">${esc(t("ui.sitrep.audience"))}</label> <select id="sitrep-audience" name="audience">${["internal", "public"].map((a) => `<option value="${a}"${a === d.audience ? " selected" : ""}>${esc(t("sitrep.audience_short." + a))}</option>`).join("")}</select>` : ""}
      <button>${esc(t("ui.sitrep.show"))}</button></form>
    <p class="note" id="sitrep-period">${esc(t("sitrep.period", fmtTime(d.from), fmtTime(d.to), d.cut_off, d.zone))} · ${esc(t("sitrep.audience." + d.audience))}</p>
    <p id="sitrep-downloads">${["pdf", "html", "csv"].map((f) => `<button type="button" class="download" data-format="${f}">${esc(t("ui.sitrep.download", f.toUpperCase()))}</button>`).join(" ")}
      ${canIssue ? ` <button type="button" id="sitrep-issue">${esc(t("ui.sitrep.issue"))}</button>` : ""}</p>
    <h2>${esc(t("sitrep.warnings"))}</h2>${warnings}
    ${plot}
    <p id="sitrep-total"><strong>${esc(t("sitrep.total"))}:</strong> ${d.total.count} (${esc(t("sitrep.previous"))} ${d.total.previous}, ${esc(sign(d.total.delta))})</p>
    ${counts("sitrep-regions", t("sitrep.by_region"), d.by_region, "")}${counts("sitrep-types", t("sitrep.by_type"), d.by_type, "type.")}${counts("sitrep-actors", t("sitrep.by_actor"), d.by_actor, "")}${counts("sitrep-statuses", t("sitrep.by_status"), d.by_status, "status.")}
    <h2>${esc(t("sitrep.violations"))}</h2>${violations}
    <h2>${esc(t("sitrep.casualties"))}</h2><p>${esc(t("sitrep.civilian", c.civilian_killed, c.civilian_injured))}; ${esc(t("sitrep.military", c.military_killed, c.military_injured))}</p>
    <h2>${esc(t("sitrep.movement"))}</h2><p>${esc(t("sitrep.movement_counts", m.recorded, m.ended, m.open))}</p>
    <h2>${esc(t("sitrep.arrangements"))}</h2>${d.arrangements.length ? `<ul>${d.arrangements.map((a) => `<li><a href="#/window/${encodeURIComponent(a.id)}">${esc(a.id)}</a>: ${esc(t("arr.state." + a.state))}${a.outcome ? " · " + esc(t("outcome." + a.outcome)) : ""}</li>`).join("")}</ul>` : `<p>${esc(t("sitrep.none"))}</p>`}
    <h2>${esc(t("sitrep.findings"))}</h2>${findings}
    <h2>${esc(t("sitrep.incidents"))}</h2>${incidents}
    <h2>${esc(t("ui.sitrep.history"))}</h2>${history}`;
  const save = async (path, name) => {
    const headers = { "Accept-Language": state.lang };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    const resp = await fetch(path, { headers });
    if (!resp.ok) {
      let j = null;
      try { j = await resp.json(); } catch { /* not JSON */ }
      return toast(problem({ status: resp.status, json: j }));
    }
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await resp.blob());
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  };
  for (const b of document.querySelectorAll("#sitrep-downloads button.download"))
    b.addEventListener("click", () => save(`/v1/reports/daily?date=${d.date}&audience=${d.audience}&format=${b.dataset.format}&lang=${state.lang}`, `truce-daily-${d.date}-${d.audience}-${state.lang}.${b.dataset.format}`));
  for (const b of document.querySelectorAll("button.fetch-issued")) b.addEventListener("click", () => save("/v1/reports/issued/" + b.dataset.sha, b.dataset.name));
  $("#sitrep-pick").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target, p = new URLSearchParams({ date: f.date.value });
    if (f.audience) p.set("audience", f.audience.value);
    location.hash = "#/sitrep?" + p;
  });
  if ($("#sitrep-issue")) $("#sitrep-issue").addEventListener("click", async () => {
    const res = await api("POST", "/v1/reports/daily/issue", { date: d.date, audience: d.audience, format: "pdf", lang: state.lang });
    if (!res.ok) return toast(problem(res));
    state.own = res.json.statement.seq;
    toast(t("ui.sitrep.issued", res.json.record.id));
    route();
  });
}

async function route() {
  state.dirty = false;
  stopReplay();
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
  if (path === "/plans") return viewPlans(params);
  if (path === "/agreements") return viewAgreements(params);
  if (path === "/windows") return viewWindows(params);
  if (path.startsWith("/window/")) return viewWindow(decodeURIComponent(path.slice("/window/".length)));
  if (path === "/hotline") return viewHotline();
  if (path.startsWith("/hotline/")) return viewThread(decodeURIComponent(path.slice("/hotline/".length)));
  if (path === "/restrictions") return viewRestrictions();
  if (path === "/seats") return viewSeats();
  if (path === "/sitrep") return viewSitrep(params);
  if (path === "/alerts") return viewAlerts(params);
  if (path.startsWith("/agreement/")) return viewAgreement(decodeURIComponent(path.slice("/agreement/".length)), params);
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

// The map's borders and its worker load while the rest of the page starts.
if (window.maplibregl) maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-csp-worker.js");
if (location.hash.startsWith("#/map") && typeof topojson !== "undefined") {
  basemap("110m");
  maplibregl.prewarm();
}
await loadMessages();
await whoami();
listen();
route();
