/* What the managers' overview, statistics and evaluation pages share: signing in, the hall's name,
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

  /* An API this server does not offer (an older server): 404 (every page here is signed in to its own
     hall, so nothing else is missing), 405 or 501. */
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

  function boot(onReady) {
    $("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = event.target;
      try {
        await api("POST", "/api/auth/token", { hall: hall, login: f.login.value.trim(), password: f.password.value });
        start();
      } catch (e) { $("login-error").textContent = e.message; }
    });
    let started = false;
    async function start() {
      const me = await api("GET", "/api/auth/me").catch(() => null);
      if (!me) return showLogin();
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

  return { hall, base, $, say, guard, load, missing, boot, preset, dateTime, minutes, percent, count, table, exports, query };
})();
