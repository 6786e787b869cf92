/* What the managers' overview, statistics and evaluation pages share: signing in, the hall's name,
   the hall switcher (a city or county manager reads the halls below theirs: ?hall= of this page),
   messages, dates in the hall's time zone, number formats, tables and export links. */
"use strict";

const mgr = (() => {
  const { api, el, clear } = hallq;
  const hall = document.body.dataset.hall;
  const base = "/api/halls/" + hall;
  const $ = (id) => document.getElementById(id);
  // Halls are in China (Asia/Shanghai, no daylight saving): dates are the hall's, whatever the browser's zone.
  const HALL_OFFSET_MS = 8 * 3600 * 1000;

  function say(text, bad) {
    const box = $("message");
    if (!box) return;
    box.textContent = text;
    box.className = "message" + (bad ? " bad" : "");
  }

  function showLogin() { $("main").hidden = true; $("login").hidden = false; }

  /* An API this server does not offer (an older server): 404 (a hall out of reach answers 403, so
     nothing else is missing), 405 or 501. */
  function missing(e) {
    return e && (e.status === 404 || e.status === 405 || e.status === 501);
  }

  async function guard(fn) {
    try { return await fn(); } catch (e) {
      if (e.status === 401) showLogin();
      else say(e.message, true);
      return null;
    }
  }

  /* Like guard, but an API the server does not offer, or answers in another shape (``valid`` says
     no), shows ``box``'s "not available" state instead of a broken table. */
  async function load(fn, box, what, valid) {
    const unavailable = (text) => {
      clear(box).classList.add("unavailable");
      box.append(el("p", { class: "unavailable-note", text: text }));
      return null;
    };
    let data = null;
    try { data = await fn(); } catch (e) {
      if (e.status === 401) { showLogin(); return null; }
      return unavailable(missing(e) ? what + "暂不可用：服务器尚未提供该功能。" : what + "加载失败：" + e.message);
    }
    if (valid && !valid(data)) return unavailable(what + "暂不可用：服务器尚未提供该功能。");
    box.classList.remove("unavailable");
    return data;
  }

  // --- the halls: the switcher and the sign-in's hall ------------------------------------------------

  const LEVEL_ZH = { city: "市", county: "县", township: "乡" };
  // The pages that read a hall below one's own; the others (case supervision, catalogue, settings) are
  // of the hall one signed in at.
  const VIEWER_PAGES = ["/console/overview", "/console/stats", "/console/evaluation"];
  const HOME_KEY = "hallq.managerHome"; // where this browser's manager last signed in
  const state = { home: hall, halls: [] };

  /* The halls of ``codes`` in tree order (each followed by the halls below it, by code), with depth. */
  function tree(halls, codes) {
    const shown = halls.filter((h) => codes.includes(h.code));
    const inside = new Set(shown.map((h) => h.code));
    const children = (parent) => shown.filter((h) => h.parent === parent).sort((a, b) => (a.code < b.code ? -1 : 1));
    const out = [];
    const walk = (h, depth) => { out.push({ hall: h, depth: depth }); for (const c of children(h.code)) walk(c, depth + 1); };
    for (const root of shown.filter((h) => !inside.has(h.parent))) walk(root, 0);
    return out;
  }

  function option(h, depth, selected) {
    const text = "\u3000".repeat(depth) + h.name + "（" + (LEVEL_ZH[h.level] || h.level) + "）";
    return el("option", { value: h.code, "data-level": h.level, selected: selected, text: text });
  }

  /* The sign-in form names the hall one signs in at: this page's, or where this browser's manager
     last signed in (a city manager reading a township signs in at the city). */
  async function fillLoginHalls() {
    if (!$("login-hall")) return; // a page without the managers' sign-in form
    const list = await api("GET", "/api/halls").catch(() => null);
    if (!list || list.halls.length < 2) return;
    let home = hall;
    try { home = window.localStorage.getItem(HOME_KEY) || hall; } catch (e) { home = hall; }
    if (!list.halls.some((h) => h.code === home)) home = hall;
    const select = clear($("login-hall"));
    for (const { hall: h, depth } of tree(list.halls, list.halls.map((x) => x.code))) select.append(option(h, depth, h.code === home));
    $("login-hall-box").hidden = false;
  }

  /* The switcher lists the halls the server says this manager may read (``visible``). */
  async function fillSwitcher() {
    if (!$("hall-switch")) return; // a page without the managers' bar
    const list = await api("GET", "/api/halls").catch(() => null);
    if (!list || !list.visible) return;
    state.home = list.home || hall;
    state.halls = list.halls;
    try { window.localStorage.setItem(HOME_KEY, state.home); } catch (e) { /* private mode: no memory */ }
    const select = clear($("hall-switch"));
    for (const { hall: h, depth } of tree(list.halls, list.visible)) select.append(option(h, depth, h.code === hall));
    select.disabled = select.options.length < 2;
    $("hall-switch-box").hidden = false;
    // The pages of one's own hall alone always open at it.
    for (const a of document.querySelectorAll(".bar nav.pages a")) {
      const url = new URL(a.href, window.location.href);
      if (!VIEWER_PAGES.includes(url.pathname)) { url.searchParams.set("hall", state.home); a.href = url.pathname + url.search; }
    }
  }

  function switchTo(code) {
    const url = new URL(window.location.href);
    url.searchParams.set("hall", code);
    window.location.assign(url.pathname + url.search);
  }

  /* Whether this page shows the hall one signed in at (else a hall below it, read only). */
  function ownHall() { return state.home === hall; }

  function boot(onReady) {
    $("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = event.target;
      const at = f.hall && f.hall.value ? f.hall.value : hall;
      try {
        await api("POST", "/api/auth/token", { hall: at, login: f.login.value.trim(), password: f.password.value });
        start();
      } catch (e) { $("login-error").textContent = e.message; }
    });
    // Pages without the managers' bar (the guide desk, the hall settings) have no switcher.
    const switcher = $("hall-switch");
    if (switcher) switcher.addEventListener("change", (event) => switchTo(event.target.value));
    let started = false;
    async function start() {
      const me = await api("GET", "/api/auth/me").catch(() => null);
      if (!me) { fillLoginHalls(); return showLogin(); }
      // The switcher first (it knows whether this page is one's own hall: ownHall), then the page is
      // shown and started in one go: a page shown before its script built it could be clicked half-made.
      await fillSwitcher();
      $("login").hidden = true;
      $("main").hidden = false;
      $("who").textContent = me.name;
      api("GET", base + "/state").then((s) => { $("hall-name").textContent = s.hall_name; }, () => null);
      if (!started) { started = true; onReady(me); }
    }
    for (const button of document.querySelectorAll("[data-print]")) button.addEventListener("click", () => window.print());
    start();
  }

  // --- dates (YYYY-MM-DD, the hall's calendar) ------------------------------------------------------

  function iso(d) { return d.toISOString().slice(0, 10); }
  function hallToday() { const d = new Date(Date.now() + HALL_OFFSET_MS); d.setUTCHours(0, 0, 0, 0); return d; }
  function addDays(d, n) { const r = new Date(d.getTime()); r.setUTCDate(r.getUTCDate() + n); return r; }

  /* [from, to] of a preset: day, week (Monday on), month, quarter, year, last_month; to = today. */
  function preset(name) {
    const today = hallToday();
    const y = today.getUTCFullYear(), m = today.getUTCMonth();
    if (name === "day") return [iso(today), iso(today)];
    if (name === "week") return [iso(addDays(today, -((today.getUTCDay() + 6) % 7))), iso(today)];
    if (name === "month") return [iso(new Date(Date.UTC(y, m, 1))), iso(today)];
    if (name === "quarter") return [iso(new Date(Date.UTC(y, m - (m % 3), 1))), iso(today)];
    if (name === "last_month") return [iso(new Date(Date.UTC(y, m - 1, 1))), iso(new Date(Date.UTC(y, m, 0)))];
    return [iso(new Date(Date.UTC(y, 0, 1))), iso(today)];
  }

  function dateTime(seconds) {
    if (!seconds) return "";
    return new Date(seconds * 1000).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false,
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  // --- numbers --------------------------------------------------------------------------------------

  function minutes(seconds) { return seconds === null || seconds === undefined ? "—" : (seconds / 60).toFixed(1); }
  function percent(share) { return share === null || share === undefined ? "—" : (share * 100).toFixed(1) + "%"; }
  function count(n) { return n === null || n === undefined ? "—" : String(n); }

  /* A table of ``rows`` with ``columns`` [{key, label, fmt}], and an optional total row. */
  function table(columns, rows, total, rowAttrs) {
    const head = el("tr", {}, ...columns.map((c) => el("th", { text: c.label, class: c.num ? "num" : null })));
    const body = el("tbody");
    const cell = (c, r) => el("td", { class: c.num ? "num" : null, text: (c.fmt || String)(r[c.key] === undefined ? null : r[c.key], r) });
    for (const r of rows) body.append(el("tr", rowAttrs ? rowAttrs(r) : {}, ...columns.map((c) => cell(c, r))));
    const foot = total ? el("tfoot", {}, el("tr", { class: "total" }, ...columns.map((c, i) => i === 0 ? el("td", { text: "合计" }) : cell(c, total)))) : null;
    return el("table", { class: "list data" }, el("thead", {}, head), body, foot);
  }

  /* "导出 Excel" and "导出 CSV" links to the API's own files of the same query. */
  function exports(url, id) {
    const sep = url.includes("?") ? "&" : "?";
    return el("span", { class: "exports" },
      el("a", { class: "button", id: id + "-xlsx", href: url + sep + "format=xlsx", download: "" }, "导出 Excel"),
      el("a", { class: "button", id: id + "-csv", href: url + sep + "format=csv", download: "" }, "导出 CSV"));
  }

  function query(params) {
    return Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "")
      .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&");
  }

  return { hall, base, $, say, guard, load, missing, boot, ownHall, preset, dateTime, minutes, percent, count, table, exports, query };
})();
