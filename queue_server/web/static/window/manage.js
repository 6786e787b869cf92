/* Managers' window page: promised cases per department, rectification of bad ratings, special
   tickets, door-to-door visits, ratings and window printers. Refreshes on live events. */
"use strict";

(() => {
  const { api, el, clear, dateText, timeText, live } = hallq;
  const hall = document.body.dataset.hall;
  const base = "/api/halls/" + hall;
  const $ = (id) => document.getElementById(id);
  let tab = "promised";

  function say(text, bad) { $("message").textContent = text; $("message").className = "message" + (bad ? " bad" : ""); }

  async function guard(fn) {
    try { return await fn(); } catch (e) { say(e.message, true); if (e.status === 401) showLogin(); return null; }
  }

  function showLogin() { $("main").hidden = true; $("login").hidden = false; }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    try {
      await api("POST", "/api/auth/token", { hall: hall, login: f.login.value.trim(), password: f.password.value });
      start();
    } catch (e) { $("login-error").textContent = e.message; }
  });

  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => {
      tab = button.dataset.tab;
      for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b === button);
      for (const p of document.querySelectorAll("[data-panel]")) p.hidden = p.dataset.panel !== tab;
      load();
    });
  }

  async function load() {
    if (tab === "promised") return loadPromised();
    if (tab === "rectify") return loadRectify();
    if (tab === "special") return loadSpecial();
    if (tab === "door") return loadDoor();
    if (tab === "ratings") return loadRatings();
    return null;
  }

  // --- promised cases --------------------------------------------------------------------------

  const DUE_ZH = { overdue: "已超期", due_soon: "即将到期", on_track: "办理中" };

  async function loadPromised() {
    const data = await guard(() => api("GET", base + "/cases/promised"));
    if (!data) return;
    const box = clear($("promised"));
    if (!data.departments.length) box.append(el("p", { class: "empty", text: "没有未办结的承诺件" }));
    for (const d of data.departments) {
      box.append(el("h3", { text: d.department_name + "　超期 " + d.overdue.length + " 件，即将到期 " + d.due.length + " 件，办理中 " + d.pending.length + " 件" }));
      const body = el("tbody");
      for (const c of [...d.overdue, ...d.due, ...d.pending]) {
        body.append(el("tr", { class: c.state === "overdue" ? "overdue" : c.state === "due_soon" ? "due" : "" },
          el("td", { text: c.case_number }), el("td", { text: c.case_type_label }), el("td", { text: c.matter_name }),
          el("td", { text: dateText(c.accepted_on) }), el("td", { text: dateText(c.deadline) }),
          el("td", { text: DUE_ZH[c.state] + (c.overdue_working_days ? "（" + c.overdue_working_days + "个工作日）" : "") + (c.parts_pending ? "；协办未完成 " + c.parts_pending : "") }),
          el("td", {}, el("button", { class: "small", text: "详情", onclick: () => showCase(c.case_number) }),
            el("button", { class: "small", text: "办结", onclick: () => closeCase(c.case_number) }))));
      }
      box.append(el("table", { class: "list" },
        el("thead", {}, el("tr", {}, ...["办件编号", "类型", "事项", "受理", "期限", "状态", ""].map((h) => el("th", { text: h })))), body));
    }
  }

  async function showCase(number) {
    const c = await guard(() => api("GET", base + "/cases/" + encodeURIComponent(number)));
    if (!c) return;
    const lines = [c.case_number + " " + c.case_type_label + " " + c.matter_name];
    for (const p of c.parts) lines.push("协办：" + p.department_name + (p.state === "done" ? " 已办结" : " 办理中"));
    const pending = c.parts.filter((p) => p.state !== "done");
    if (pending.length && window.confirm(lines.join("\n") + "\n\n将“" + pending[0].department_name + "”标记为已办结？")) {
      await guard(() => api("POST", base + "/cases/" + encodeURIComponent(number) + "/parts/" + pending[0].department + "/done", { note: "" }));
      say(pending[0].department_name + " 已办结");
    } else if (!pending.length) {
      window.alert(lines.join("\n"));
    }
    loadPromised();
  }

  async function closeCase(number) {
    const result = window.prompt("办结结果（可空）", "");
    if (result === null) return;
    if (await guard(() => api("POST", base + "/cases/" + encodeURIComponent(number) + "/close", { result: result }))) say(number + " 已办结");
    loadPromised();
  }

  // --- rectification ---------------------------------------------------------------------------

  const STEP_ZH = { opened: "差评立项", assigned: "指派", note: "进展", closed: "整改完成" };

  async function loadRectify() {
    const data = await guard(() => api("GET", base + "/rectifications?closed=" + $("rectify-closed").checked));
    if (!data) return;
    const box = clear($("rectifications"));
    box.append(el("p", { text: "待整改 " + data.open + " 项，其中超期 " + data.overdue + " 项" }));
    for (const r of data.items) {
      const steps = el("ul", { class: "steps" });
      for (const s of r.steps) {
        steps.append(el("li", { text: timeText(s.ts) + " " + (STEP_ZH[s.kind] || s.kind) + " " + (s.staff || "") + " " + s.text }));
      }
      box.append(el("div", { class: "item" + (r.overdue ? " overdue" : ""), "data-item": r.id },
        el("b", { text: r.ticket + " · " + (r.window ? r.window + "号窗口" : "") + " · " + (r.rated_staff || "") + " · " + r.score_label }),
        el("div", { text: r.state_label + "　整改期限 " + dateText(r.due) + (r.overdue ? "（已超期）" : "") + "　责任人 " + (r.assignee_name || "未指派") }),
        r.measures ? el("div", { text: "整改措施：" + r.measures }) : null,
        steps,
        r.state === "closed" ? null : el("div", {},
          el("button", { class: "small", text: "指派", onclick: () => assign(r.id) }),
          el("button", { class: "small", text: "记录进展", onclick: () => note(r.id) }),
          el("button", { class: "small", text: "整改完成", onclick: () => closeItem(r.id) }))));
    }
  }
  $("rectify-closed").addEventListener("change", loadRectify);

  async function assign(id) {
    const login = window.prompt("指派给（工号）");
    if (login) await guard(() => api("POST", base + "/rectifications/" + id + "/assign", { assignee: login.trim() }));
    loadRectify();
  }
  async function note(id) {
    const text = window.prompt("整改进展");
    if (text) await guard(() => api("POST", base + "/rectifications/" + id + "/notes", { text: text }));
    loadRectify();
  }
  async function closeItem(id) {
    const measures = window.prompt("整改措施（必填）");
    if (measures) await guard(() => api("POST", base + "/rectifications/" + id + "/close", { measures: measures }));
    loadRectify();
  }

  // --- special tickets -------------------------------------------------------------------------

  async function services(select) {
    const state = await guard(() => api("GET", base + "/state"));
    if (!state) return;
    $("hall-name").textContent = state.hall_name;
    const current = select.value;
    clear(select);
    for (const s of state.services) select.append(el("option", { value: s.code, text: s.code + " " + s.name, selected: s.code === current }));
  }

  function today() {
    const now = new Date(Date.now() + 8 * 3600 * 1000);
    return now.toISOString().slice(0, 10);
  }

  async function loadSpecial() {
    await services($("special-service"));
    const list = await guard(() => api("GET", base + "/special-tickets?day=" + today()));
    const box = clear($("special-list"));
    for (const g of list || []) box.append(el("li", { text: g.number + " · " + g.reason + " · " + g.granted_by + " · " + timeText(g.granted_at) + " · " + g.state }));
  }

  $("special-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    // The one issuing route (it records the grant the list above shows); its answer is the ticket.
    const ticket = await guard(() => api("POST", base + "/tickets/special", { service: f.service.value, reason: f.reason.value.trim() }, { idempotent: true }));
    if (ticket) {
      $("special-result").textContent = "特办号 " + ticket.number + "（" + ticket.service_name + "）已发放，将优先呼叫";
      f.reason.value = "";
    }
    loadSpecial();
  });

  // --- door-to-door ----------------------------------------------------------------------------

  async function loadDoor() {
    await services($("door-service"));
    if (!$("door-day").value) $("door-day").value = today();
    const list = await guard(() => api("GET", base + "/door-visits?day=" + $("door-day").value));
    const box = clear($("door-list"));
    for (const v of list || []) {
      box.append(el("li", {},
        timeText(v.start) + "–" + timeText(v.end) + " " + v.applicant_name + " " + v.phone + " " + v.address + " · " +
        (v.matter_name || v.service_name) + " · " + (v.staff_name || "未指派") + " · " + v.state_label +
        (v.case ? " · 办件 " + v.case.case_number : ""),
        v.state === "booked" ? el("button", { class: "small", text: "登记办件", onclick: () => recordVisit(v) }) : null,
        v.state === "booked" ? el("button", { class: "small", text: "取消", onclick: () => cancelVisit(v) }) : null));
    }
  }
  $("door-day").addEventListener("change", loadDoor);

  $("door-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    const at = (t) => f.day.value + "T" + t + ":00+08:00";
    const body = {
      service: f.service.value, matter: f.matter.value.trim() || null, applicant_name: f.applicant_name.value.trim(),
      phone: f.phone.value.trim(), address: f.address.value.trim(), start: at(f.from.value), end: at(f.to.value),
      staff: f.staff.value.trim() || null, note: f.note.value.trim(),
    };
    if (await guard(() => api("POST", base + "/door-visits", body, { idempotent: true }))) {
      say("已预约上门服务");
      $("door-day").value = f.day.value;
    }
    loadDoor();
  });

  async function recordVisit(v) {
    const type = window.prompt("办件类型：immediate 即办件 / promised 承诺件 / approval 报批件 / special 特办件", "immediate");
    if (!type) return;
    const result = await guard(() => api("POST", base + "/door-visits/" + v.id + "/record",
      { case_type: type.trim(), applicant_name: v.applicant_name }, { idempotent: true }));
    if (result && result.case) say("已登记办件 " + result.case.case_number);
    loadDoor();
  }

  async function cancelVisit(v) {
    if (!window.confirm("取消该上门服务？")) return;
    await guard(() => api("POST", base + "/door-visits/" + v.id + "/cancel"));
    loadDoor();
  }

  // --- ratings and printers --------------------------------------------------------------------

  const SOURCE_ZH = { rating_pad: "评价器", citizen_page: "手机页面", console: "窗口录入" };

  async function loadRatings() {
    const rows = await guard(() => api("GET", base + "/ratings"));
    const body = clear($("ratings"));
    for (const r of rows || []) {
      body.append(el("tr", { class: r.bad ? "overdue" : "" },
        el("td", { text: timeText(r.ts) }), el("td", { text: r.ticket }), el("td", { text: r.window || "" }),
        el("td", { text: r.staff || "" }), el("td", { text: r.label }), el("td", { text: SOURCE_ZH[r.source] || r.source })));
    }
  }

  $("printer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target;
    const config = { transport: { kind: "network", host: f.host.value.trim(), port: Number(f.port.value) }, width_mm: Number(f.width.value) };
    if (await guard(() => api("PUT", base + "/windows/" + encodeURIComponent(f.window.value.trim()) + "/printer", config))) {
      say(f.window.value + "号窗口打印机已保存");
    }
  });

  // Managers review and supervise; administrators keep the window printers (settings) and nothing
  // else here: each sees only the tabs the server lets them use (docs/security.md).
  function showRole(role) {
    const admin = role === "admin";
    for (const button of document.querySelectorAll(".tabs button")) {
      button.hidden = (button.dataset.tab === "printers") !== admin;
    }
    const first = document.querySelector(".tabs button:not([hidden])");
    if (first && first.dataset.tab !== tab) first.click();
  }

  async function start() {
    const me = await api("GET", "/api/auth/me").catch(() => null);
    if (!me) return showLogin();
    $("login").hidden = true;
    $("main").hidden = false;
    $("who").textContent = me.name;
    showRole(me.role);
    api("GET", base + "/state").then((s) => { $("hall-name").textContent = s.hall_name; }, () => null);
    live(base + "/live", {
      case: () => tab === "promised" && loadPromised(),
      rectification: () => tab === "rectify" && loadRectify(),
      hello: (d) => d.resync && load(),
    }, (on) => {
      $("live").textContent = on ? "● 实时连接正常" : "● 正在重新连接…";
      $("live").className = "live " + (on ? "on" : "off");
    });
    load();
  }

  start();
})();
