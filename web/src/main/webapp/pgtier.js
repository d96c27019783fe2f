// The pgtier status page: polls api/status every second and draws every pool and tier, each
// instance's view of the tiers (with many instances on one data grid), and the recent events. An
// operator logs in with a user of the server's realm; the page then sends that user's credentials
// (HTTP Basic, kept in this page's memory only, never stored) with the action POSTs, together with
// the X-Requested-By header the API asks for. All text is set with textContent, so nothing from the
// server is ever parsed as HTML. Those requests omit the browser's own credentials: a 401 (a wrong
// password) then reaches this script instead of opening the browser's login prompt.
"use strict";

const REFRESH_MS = 1000;
const ACTIONS = ["drain", "prefer", "resume"];
let authorization = null;   // "Basic ..." while an operator is logged in
let operator = null;        // that operator's name
let lastStatus = null;      // the last answer of api/status, redrawn when the login changes
const previous = new Map(); // "resource/tier" -> {checkouts, at}: for checkouts per second

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined) {
      node.setAttribute(name, value);
    }
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(child == null ? "" : String(child)));
  }
  return node;
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "";
}

function bytes(n) {
  if (n < 0) return "unknown";
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1024 / 1024).toFixed(1) + " MiB";
}

function show(text, ok) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.classList.toggle("ok", !!ok);
  message.hidden = !text;
}

function until(tier) {
  if (tier.state === "PROBATION" && tier.probationEndsAt) return "probation until " + time(tier.probationEndsAt);
  if (tier.breaker === "OPEN" && tier.breakerRetryAt) return "breaker retries at " + time(tier.breakerRetryAt);
  return "";
}

// Checkouts per second between the last two answers of api/status (a redraw reuses the last rate).
function rate(resource, tier, checkouts, now) {
  const key = resource + "/" + tier;
  const before = previous.get(key);
  if (before && before.at === now) return before.rate;
  const value = !before || now <= before.at ? "" : ((checkouts - before.checkouts) * 1000 / (now - before.at)).toFixed(1);
  previous.set(key, {checkouts, at: now, rate: value});
  return value;
}

// Sections, rows and buttons are made once and then updated in place, so a click never lands on
// a button that the next refresh replaced.
const COLUMNS = ["Tier", "Endpoint", "State", "Role", "Breaker", "Until", "Lag", "Open / cap",
  "This pool's sessions", "Checkouts/s", "XA in doubt"];

function tierRow(pool, tierId) {
  const row = el("tr", {"data-tier": tierId});
  row.cells_ = COLUMNS.map((_, i) => el(i === 0 ? "th" : "td", i === 0 ? {scope: "row"} : {}));
  row.append(...row.cells_);
  if (operator) {
    const cell = el("td", {class: "actions"});
    for (const action of ACTIONS) {
      const button = el("button", {type: "button", "data-action": action}, action);
      button.addEventListener("click", () => act(pool, tierId, action));
      cell.append(button);
    }
    row.append(cell);
  }
  return row;
}

function badge(cell, kind, value) {
  const span = cell.firstChild || cell.appendChild(el("span"));
  span.className = "state " + kind + "-" + value;
  span.textContent = value;
}

function updateRow(row, pool, tier, now) {
  const [name, endpoint, state, role, breaker, untilCell, lag, open, sessions, rateCell, inDoubt] = row.cells_;
  row.dataset.state = tier.state;
  row.dataset.breaker = tier.breaker;
  name.textContent = tier.id + (pool.preferred === tier.id ? " (preferred)" : "");
  endpoint.textContent = tier.endpoint;
  badge(state, "state", tier.state);
  role.textContent = tier.role;
  badge(breaker, "breaker", tier.breaker);
  untilCell.textContent = until(tier);
  lag.textContent = bytes(tier.lagBytes);
  open.textContent = tier.open + " / " + tier.max;
  sessions.textContent = (pool.sessions || {})[tier.id] ?? 0;
  rateCell.textContent = rate(pool.resource, tier.id, (pool.checkouts || {})[tier.id] || 0, now);
  inDoubt.textContent = tier.inDoubt;
  for (const cell of [lag, open, sessions, rateCell, inDoubt]) cell.className = "num";
}

function poolSection(pool) {
  const section = el("section", {class: "pool", "data-pool": pool.pool, "data-resource": pool.resource});
  section.title_ = el("h2");
  const head = el("tr", {}, ...COLUMNS.map(h => el("th", {scope: "col"}, h)));
  if (operator) head.append(el("th", {scope: "col"}, "Actions"));
  section.rows_ = el("tbody");
  section.meta_ = el("p", {class: "meta"});
  section.append(section.title_, el("table", {class: "tiers"}, el("thead", {}, head), section.rows_), section.meta_);
  return section;
}

function updatePool(section, pool, now) {
  if (pool.pool) section.dataset.pool = pool.pool;
  const serving = pool.error ? el("span", {class: "pool-down"}, pool.error + ": " + (pool.message || ""))
      : pool.canServe ? el("span", {}, "serving") : el("span", {class: "pool-down"}, "NO TIER CAN SERVE");
  section.title_.replaceChildren((pool.pool || pool.resource) + " ",
      el("small", {}, "(" + pool.resource + ", " + (pool.purpose || "").toLowerCase() + ") "), serving);
  section.rows_.parentElement.hidden = !!pool.error;
  const rows = [];
  for (const tier of pool.tiers || []) {
    let row = section.rows_.querySelector(":scope > tr[data-tier='" + CSS.escape(tier.id) + "']");
    if (!row) row = tierRow(pool.pool, tier.id);
    updateRow(row, pool, tier, now);
    rows.push(row);
  }
  if (rows.some((row, i) => section.rows_.children[i] !== row) || section.rows_.children.length !== rows.length) {
    section.rows_.replaceChildren(...rows);
  }
  section.meta_.textContent = "Last health check " + (time(pool.lastHealthCheck) || "not yet")
      + " · leaks reclaimed " + (pool.leaksReclaimed ?? 0);
}

function drawEvents(pools) {
  // A tier shared by two pools reports its events in both: show each once, newest first.
  const seen = new Set();
  const all = [];
  for (const pool of pools) {
    for (const e of pool.events || []) {
      const key = [e.at, e.id, e.pool, e.tier, e.reason].join("|");
      if (!seen.has(key)) {
        seen.add(key);
        all.push(e);
      }
    }
  }
  all.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const rows = all.slice(0, 100).map(e => el("tr", {"data-event": e.id},
      el("td", {title: e.at}, time(e.at)), el("td", {}, e.id), el("td", {}, e.pool || ""),
      el("td", {}, e.tier || ""), el("td", {}, e.reason), el("td", {}, e.actor || ""), el("td", {}, e.instance || "")));
  document.getElementById("events").replaceChildren(...rows);
}

// One row per instance and tier: how each instance of the grid sees each tier.
function drawInstances(instances) {
  const rows = [];
  for (const view of instances || []) {
    for (const t of view.tiers || []) {
      rows.push(el("tr", {"data-instance": view.instance, "data-tier": t.id},
          el("th", {scope: "row", title: "shared at " + (view.at || "")}, view.instance), el("td", {}, t.id),
          el("td", {}, t.endpoint), el("td", {class: "state-" + t.state}, t.state), el("td", {}, t.role),
          el("td", {class: "breaker-" + t.breaker}, t.breaker),
          el("td", {title: t.lastProbe || ""}, time(t.lastProbe) || "not yet")));
    }
  }
  document.getElementById("instances").replaceChildren(...rows);
}

function draw(status) {
  lastStatus = status;
  const now = status.receivedAt_;
  const pools = status.pools || [];
  const container = document.getElementById("pools");
  const sections = pools.map(pool => {
    let section = container.querySelector(":scope > section[data-resource='" + CSS.escape(pool.resource) + "']");
    if (!section) section = poolSection(pool);
    updatePool(section, pool, now);
    return section;
  });
  if (sections.some((s, i) => container.children[i] !== s) || container.children.length !== sections.length) {
    container.replaceChildren(...sections);
  }
  drawEvents(pools);
  drawInstances(status.instances);
}

async function refresh() {
  const live = document.getElementById("live");
  try {
    const response = await fetch("api/status", {cache: "no-store", signal: AbortSignal.timeout(5000)});
    if (!response.ok) throw new Error("HTTP " + response.status);
    const status = await response.json();
    status.receivedAt_ = Date.now();
    draw(status);
    live.textContent = "live · " + new Date().toLocaleTimeString();
    live.classList.remove("stale");
  } catch (e) {
    live.textContent = "not updating: " + e.message;
    live.classList.add("stale");
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

async function act(pool, tier, action) {
  const buttons = document.querySelectorAll("button[data-action]");
  buttons.forEach(b => b.disabled = true);
  try {
    const response = await fetch("api/pools/" + encodeURIComponent(pool) + "/tiers/" + encodeURIComponent(tier)
        + "/" + action, {method: "POST", credentials: "omit", signal: AbortSignal.timeout(30000),
      headers: {"Authorization": authorization, "X-Requested-By": "pgtier-page"}});
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      show(action + " " + tier + " of " + pool + ": done", true);
    } else {
      show(action + " " + tier + " of " + pool + " refused (" + response.status + "): " + (body.message || ""), false);
    }
  } catch (e) {
    show(action + " " + tier + " of " + pool + " not sent: " + e.message, false);
  } finally {
    document.querySelectorAll("button[data-action]").forEach(b => b.disabled = false);
  }
}

async function logIn(event) {
  event.preventDefault();
  const user = document.getElementById("user").value;
  const password = document.getElementById("password").value;
  const candidate = "Basic " + btoa(unescape(encodeURIComponent(user + ":" + password)));
  document.getElementById("password").value = "";
  let response;
  try {
    response = await fetch("api/operator", {headers: {"Authorization": candidate}, credentials: "omit",
      cache: "no-store", signal: AbortSignal.timeout(10000)});
  } catch (e) {
    show("Login not sent: " + e.message, false);
    return;
  }
  if (response.status === 200) {
    authorization = candidate;
    operator = (await response.json()).user;
    document.getElementById("who").textContent = "Operator " + operator + ".";
    document.getElementById("credentials").hidden = true;
    document.getElementById("logout-button").hidden = false;
    redraw();
    show("", true);
  } else if (response.status === 403) {
    show(user + " is not in role pgtier-operator: the page stays read only.", false);
  } else {
    show("Login failed (" + response.status + "): wrong user or password.", false);
  }
}

function logOut() {
  authorization = null;
  operator = null;
  document.getElementById("who").textContent = "Read only.";
  document.getElementById("credentials").hidden = false;
  document.getElementById("logout-button").hidden = true;
  redraw();
}

function redraw() {
  document.getElementById("pools").replaceChildren();
  if (lastStatus) draw(lastStatus);
}

document.getElementById("login").addEventListener("submit", logIn);
document.getElementById("logout-button").addEventListener("click", logOut);
refresh();
