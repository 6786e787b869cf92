/* The counter console (窗口工作台): sign in at a window, see its queue and the citizen at it, act with
   buttons or single-key shortcuts, finish a visit as a case and print its documents. Live updates
   come over Server-Sent Events; EventSource reconnects by itself, also after a server restart. */
"use strict";

(() => {
  const { api, el, clear, dateText, timeText, live } = hallq;
  const hall = document.body.dataset.hall;
  const $ = (id) => document.getElementById(id);

  const STATUS_ZH = { idle: "空闲", calling: "呼叫中", serving: "办理中", paused: "暂停", closed: "未开窗" };
  const STATE_ZH = { waiting: "等候中", called: "已呼叫", serving: "办理中", held: "暂挂" };
  // What each window status allows (mirrors the server's state machine; the server still decides).
  const ALLOWED = {
    closed: ["open", "sign_out"],
    idle: ["next", "call", "pause", "close", "sign_out"],
    calling: ["recall", "start", "no_show", "transfer", "hold"],
    serving: ["finish", "transfer", "hold"],
    paused: ["resume", "close", "sign_out"],
  };

  // Observable by tests and by whoever watches the console: when the page last showed a change, how
  // many pictures it showed (snapshots) and how many it dropped as older than the one shown (stale).
  const probe = { renders: [], connected: false, snapshots: 0, stale: 0, version: null };
  window.hallqConsole = probe;

  let me = null;          // StaffInfo
  let windowNo = null;    // the window signed in at
  let view = null;        // ConsoleView
  // Pictures can arrive out of order: a refresh that left before an action may land after the
  // action's answer. Each picture has a version (the server's latest event id when it was read; a
  // later read never has a smaller one). "turn" numbers what the page sends and receives, in order.
  let turn = 0;
  let shownTurn = 0;      // the turn the picture on screen arrived on
  let painted = null;     // this window's state as the live channel last painted it (a WindowState)
  let paintedTurn = 0;    // and the turn it arrived on
  let refreshing = false;
  let again = false;
  let refreshTimer = null;
  let stream = null;

  // --- sign-in -----------------------------------------------------------------------------------

  async function start() {
    try {
      me = await api("GET", "/api/auth/me");
    } catch (e) {
      me = null;
    }
    if (me && me.must_change_password) await changePassword();
    if (me && me.window) {
      windowNo = me.window;
      return showDesk();
    }
    showLogin();
  }

  async function showLogin() {
    $("desk").hidden = true;
    $("login").hidden = false;
    $("live").hidden = true;
    $("who").textContent = "";
    api("GET", "/api/halls/" + hall + "/state").then((s) => { $("hall-name").textContent = s.hall_name; }, () => null);
    const known = !!me;
    $("row-password").hidden = known;
    $("login-password").required = !known;
    $("login-name").readOnly = known;
    if (known) $("login-name").value = me.login;
    const select = clear($("login-window"));
    try {
      const windows = await api("GET", "/api/halls/" + hall + "/windows");
      for (const w of windows) {
        const note = w.staff ? "（" + w.staff + "在岗）" : "";
        select.append(el("option", { value: w.window, text: w.name + note }));
      }
    } catch (e) {
      $("login-error").textContent = e.message;
    }
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    $("login-error").textContent = "";
    $("login-submit").disabled = true;
    try {
      if (!me) {
        const result = await api("POST", "/api/auth/token", {
          hall: hall, login: form.login.value.trim(), password: form.password.value,
        });
        me = result.staff;
        if (me.must_change_password) {  // a new or reset password: changed first, then the sign-in goes on
          form.password.value = "";
          await changePassword();
          $("login").hidden = false;
        }
      }
      const chosen = form.window.value;
      const signed = await api("POST", "/api/halls/" + hall + "/windows/" + chosen + "/sign-in", undefined, { idempotent: true });
      windowNo = chosen;
      if (signed.window.status === "closed") {
        try { await act(ROUTE.open); } catch (e) { /* shown on the desk */ }
      }
      if (signed.rotation_due) say("您在本窗口已连续工作" + signed.days_at_window + "天，已到轮岗期限，请联系中心安排轮岗。");
      form.password.value = "";
      showDesk();
    } catch (e) {
      $("login-error").textContent = e.message;
    } finally {
      $("login-submit").disabled = false;
    }
  });

  // A new or reset password must be changed before anything else (the server refuses the rest).
  function changePassword() {
    return new Promise((resolve) => {
      $("login").hidden = true;
      const error = el("p", { class: "error", role: "alert" });
      const current = el("input", { type: "password", name: "current", id: "pw-current", required: true, maxlength: 256 });
      const fresh = el("input", { type: "password", name: "new", id: "pw-new", required: true, minlength: 8, maxlength: 256 });
      const again = el("input", { type: "password", name: "again", id: "pw-again", required: true, minlength: 8, maxlength: 256 });
      const form = el("form", { id: "password-form", autocomplete: "off" },
        el("label", {}, "原密码 ", current),
        el("label", {}, "新密码（至少8位） ", fresh),
        el("label", {}, "再次输入新密码 ", again),
        el("button", { type: "submit", class: "primary", id: "password-submit", text: "修改密码" }));
      const panel = el("section", { id: "password", class: "panel login" },
        el("h1", { text: "首次登录或密码已重置，请先修改密码" }), form, error);
      $("login").after(panel);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        error.textContent = "";
        if (fresh.value !== again.value) { error.textContent = "两次输入的新密码不一致。"; return; }
        try {
          const result = await api("POST", "/api/auth/password", { current_password: current.value, new_password: fresh.value });
          me = result.staff;
          panel.remove();
          resolve();
        } catch (e) {
          error.textContent = e.message;
        }
      });
    });
  }

  function showDesk() {
    view = null;
    shownTurn = 0;
    painted = null;
    $("login").hidden = true;
    $("desk").hidden = false;
    $("live").hidden = false;
    $("who").textContent = (me ? me.name : "") + " · " + windowNo + "号窗口";
    connect();
    refresh();
  }

  // --- live updates ----------------------------------------------------------------------------

  function connect() {
    if (stream) stream.close();
    stream = live("/api/halls/" + hall + "/live", {
      hello: (data) => { if (data.resync) refresh(); },
      window: (data) => {
        if (data.window !== windowNo) return scheduleRefresh();
        paintWindow(data);
        painted = data;
        paintedTurn = ++turn;
        mark("window", data.ticket, data.status);
        scheduleRefresh();  // asked for after the paint: show() takes it
      },
      call: (data) => {
        if (data.window === windowNo) {
          say((data.kind === "recall" ? "已重呼 " : "已呼叫 ") + data.ticket);
          mark("call", data.ticket, "calling");
        }
        scheduleRefresh();
      },
      hall: () => scheduleRefresh(),
      case: () => scheduleRefresh(),
      document: () => scheduleRefresh(),
      rectification: () => scheduleRefresh(),
    }, (on) => {
      probe.connected = on;
      $("live").textContent = on ? "● 实时连接正常" : "● 正在重新连接…";
      $("live").className = "live " + (on ? "on" : "off");
    });
  }

  function mark(kind, ticket, status) {
    probe.renders.push({ kind: kind, ticket: ticket || null, status: status || null, at: Date.now() });
    if (probe.renders.length > 100) probe.renders.shift();
  }

  function scheduleRefresh() {
    if (refreshTimer !== null) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 60);
  }

  async function refresh() {
    if (!windowNo) return;
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      do {
        again = false;
        const asked = ++turn;
        show(await api("GET", "/api/halls/" + hall + "/windows/" + windowNo + "/console"), asked);
      } while (again);
    } catch (e) {
      if (e.status === 401) { me = null; windowNo = null; return showLogin(); }
      if (e.status === 403) { windowNo = null; return showLogin(); }
      say(e.message, true);
    } finally {
      refreshing = false;
    }
  }

  /* Show a picture asked for on turn `asked`, unless the one on screen is newer. A picture asked
     for after the one on screen arrived was read later by the server: it is never older. One asked
     for before is newer only if its version is greater (the same version may lack what the picture
     on screen shows: a tie on PostgreSQL, or a change made between the two reads). An action's own
     answer was read after the action committed: it wins a tie. The live channel paints the window's
     state as soon as it changes, without a version: a picture asked for before that paint and
     showing the window otherwise may be older, and waits for the refresh the paint set off. */
  function show(next, asked, own) {
    const newer = !view || asked > shownTurn || next.version > view.version || (own && next.version === view.version);
    const unpainted = painted !== null && asked < paintedTurn && !sameWindow(next.window, painted);
    if (!newer || unpainted) {
      probe.stale += 1;
      return false;
    }
    view = next;
    shownTurn = ++turn;
    probe.snapshots += 1;
    probe.version = next.version;
    render();
    return true;
  }

  function sameWindow(a, b) {
    return a.status === b.status && (a.ticket || null) === (b.ticket || null);
  }

  // --- rendering -------------------------------------------------------------------------------

  function paintWindow(w) {
    $("window-name").textContent = w.name;
    const status = $("window-status");
    status.textContent = STATUS_ZH[w.status] || w.status;
    status.className = "status " + w.status;
    status.dataset.status = w.status;
    $("pause-reason").textContent = w.pause_reason ? "（" + w.pause_reason + "）" : "";
    const number = $("current-number");
    if (number && w.ticket && number.textContent !== w.ticket) number.textContent = w.ticket;
    if (!w.ticket && (w.status === "idle" || w.status === "paused" || w.status === "closed")) {
      clear($("current")).append(el("p", { class: "empty", text: "当前没有办理中的群众" }));
    } else if (w.ticket && !number) {
      clear($("current")).append(el("div", { class: "ticket-number", id: "current-number", text: w.ticket }));
    }
    enableActions(w.status);
  }

  function enableActions(status) {
    const allowed = ALLOWED[status] || [];
    for (const button of document.querySelectorAll("#actions button")) {
      button.disabled = !allowed.includes(button.dataset.act);
    }
  }

  function render() {
    document.title = view.window.name + " · 窗口工作台";
    $("hall-name").textContent = view.hall_name;
    paintWindow(view.window);
    renderQueue();
    renderCurrent();
    renderRecent();
    $("rectify").textContent = view.open_rectifications ? "您有 " + view.open_rectifications + " 项整改待办" : "无待办整改";
  }

  function renderQueue() {
    const body = clear($("services"));
    for (const s of view.services) {
      const wait = s.longest_wait_min === null ? "—" : s.longest_wait_min + " 分钟";
      const late = s.longest_wait_min !== null && s.longest_wait_min > s.target_wait_min;
      body.append(el("tr", { class: late ? "late" : "" },
        el("td", { text: s.code + " " + s.name }),
        el("td", { class: "num", text: s.waiting }),
        el("td", { class: "num", text: wait })));
    }
    const next = clear($("next"));
    if (!view.next_tickets.length) next.append(el("li", { class: "empty", text: "暂无等候" }));
    for (const t of view.next_tickets) next.append(ticketItem(t));
    const held = clear($("held"));
    if (!view.held.length) held.append(el("li", { class: "empty", text: "无" }));
    for (const t of view.held) {
      held.append(ticketItem(t, el("button", { class: "small", text: "恢复排队", onclick: () => resumeHeld(t) })));
    }
    const list = clear($("call-numbers"));
    for (const t of [...view.next_tickets, ...view.held]) list.append(el("option", { value: t.number }));
  }

  function ticketItem(t, extra) {
    return el("li", { "data-ticket": t.number },
      el("b", { text: t.number }),
      el("span", { class: "what", text: t.matter_name || t.service_name }),
      t.special ? el("span", { class: "badge bad", text: "特办" }) : null,
      t.priority_label ? el("span", { class: "badge warn", text: t.priority_label }) : null,
      t.appointment ? el("span", { class: "badge", text: "预约" }) : null,
      el("span", { class: "wait", text: t.waited_min + "分" }),
      extra || null);
  }

  function renderCurrent() {
    const box = clear($("current"));
    const c = view.current;
    if (!c) {
      box.append(el("p", { class: "empty", text: "当前没有办理中的群众" }));
      return;
    }
    box.append(el("div", { class: "ticket-number", id: "current-number", text: c.number }));
    box.append(el("div", { class: "ticket-state", text: (STATE_ZH[c.state] || c.state) + " · 已等候 " + c.waited_min + " 分钟" + (c.recall_count ? " · 重呼 " + c.recall_count + " 次" : "") }));
    const facts = el("dl", { class: "facts" });
    facts.append(el("dt", { text: "业务" }), el("dd", { text: c.service + " " + c.service_name }));
    facts.append(el("dt", { text: "事项" }), el("dd", { id: "current-matter", text: c.matter_name || "（未选择事项）" }));
    if (c.appointment) facts.append(el("dt", { text: "预约" }), el("dd", { text: c.appointment }));
    if (c.special_reason) facts.append(el("dt", { text: "特事特办" }), el("dd", { class: "special", text: c.special_reason }));
    if (c.guide) facts.append(el("dt", { text: "导办台" }), el("dd", { id: "current-guide", text: c.guide.clerk_name + " 代取号" + (c.guide.accompanied_by ? "，陪同：" + c.guide.accompanied_by : "") }));
    if (c.priority) facts.append(el("dt", { text: "优先类别" }), el("dd", {}, priorityLine(c.priority)));
    if (c.return_for || c.return_for_number) {
      const r = c.return_for;
      facts.append(el("dt", { text: "补办回访" }), el("dd", { class: "return" },
        "原办件 " + (r ? r.case_number + "（" + r.case_type_label + "，" + dateText(r.accepted_on) + "）" : c.return_for_number),
        r && r.missing.length ? el("div", { text: "当时缺少：" + r.missing.join("、") }) : null));
    }
    box.append(facts);
    if (c.materials.length) {
      const list = el("ul", { class: "materials", id: "current-materials" });
      for (const m of c.materials) {
        list.append(el("li", { class: m.checked ? "checked" : "unchecked" },
          el("span", { class: "mark", text: m.checked ? "✓" : "□" }),
          m.name + (m.required ? "" : "（如有）") + (m.note ? "（" + m.note + "）" : "")));
      }
      box.append(el("h3", { text: "材料（取号机自查，√ 为群众已确认）" }),
        el("div", { class: "materials-pages" }, list, hallqMaterials.panel(windowNo, c.number)));
    }
    if (c.earlier_cases.length) {
      const list = el("ul", { class: "earlier" });
      for (const e of c.earlier_cases) {
        list.append(el("li", {}, e.case_number + " · " + e.case_type_label + " · " + dateText(e.accepted_on),
          e.missing.length ? "（缺：" + e.missing.join("、") + "）" : ""));
      }
      box.append(el("h3", { text: "该群众此前办理本事项" }), list);
    }
  }

  function priorityLine(p) {
    const line = el("span", {}, p.label + "（" + (p.basis_label || "申报") + "）");
    if (p.confirmed === true) line.append(el("span", { class: "badge ok", text: "已核实" }));
    else if (p.confirmed === false) line.append(el("span", { class: "badge bad", text: "未予认定" }));
    else if (p.needs_confirmation) {
      line.append(" ",
        el("button", { class: "small", text: "核实通过", onclick: () => confirmPriority(true) }),
        el("button", { class: "small", text: "不予认定", onclick: () => confirmPriority(false) }));
    }
    return line;
  }

  function renderRecent() {
    const list = clear($("recent"));
    if (!view.recent_cases.length) list.append(el("li", { class: "empty", text: "暂无" }));
    for (const c of view.recent_cases) {
      list.append(el("li", {},
        el("a", { href: "#", text: c.case_number, onclick: (e) => { e.preventDefault(); showCase(c.case_number); } }),
        " " + c.case_type_label + (c.ticket ? " · " + c.ticket : "")));
    }
  }

  function say(text, bad) {
    const box = $("message");
    box.textContent = text;
    box.className = "message" + (bad ? " bad" : "");
  }

  // --- actions ---------------------------------------------------------------------------------

  const ROUTE = {
    next: "next", recall: "recall", start: "start", no_show: "no-show",
    resume: "resume", open: "open", close: "close",
  };

  /* POST an action to /api/halls/{hall}/<path>, the route every caller uses, with ?view=console: its
     answer (a ConsoleReply) carries the window's picture read right after the action committed,
     shown here at once. A refresh already on its way may land later with an older picture: show()
     drops it. */
  async function post(path, body) {
    const asked = ++turn;
    const reply = await api("POST", "/api/halls/" + hall + "/" + path + "?view=console", body, { idempotent: true });
    show(reply.view, asked, true);
    return reply;
  }

  /* An action at this window: …/windows/{window}/<action>. */
  async function act(action, body) {
    return post("windows/" + windowNo + "/" + action, body);
  }

  async function run(name) {
    const button = document.querySelector('#actions button[data-act="' + name + '"]');
    if (!button || button.disabled) return;
    if (name === "finish") return openFinish();
    if (name === "transfer") return openDialog("dlg-transfer", fillTransfer);
    if (name === "call") return openDialog("dlg-call");
    if (name === "pause") return openDialog("dlg-pause");
    if (name === "hold") return hold();
    if (name === "sign_out") return signOut();
    if (name === "close" && !window.confirm("确定关闭本窗口？")) return;
    try {
      button.disabled = true;
      const reply = await act(ROUTE[name]);
      if (name === "next" && reply.op && reply.op.call) say("已呼叫 " + reply.op.call.ticket);
      else say("");
    } catch (e) {
      say(e.message, true);
      refresh();  // refused: the window may not be what the page showed
    }
  }

  async function hold() {
    if (!view || !view.current) return;
    const number = view.current.number;
    try {
      await post("tickets/" + encodeURIComponent(view.current.ticket_id) + "/hold");
      say(number + " 已暂挂，可在左侧恢复排队");
    } catch (e) { say(e.message, true); refresh(); }
  }

  async function resumeHeld(t) {
    try {
      await post("tickets/" + encodeURIComponent(t.ticket_id) + "/resume");
      say(t.number + " 已恢复排队");
    } catch (e) { say(e.message, true); refresh(); }
  }

  async function confirmPriority(confirmed) {
    try {
      await act("priority", { confirmed: confirmed });
    } catch (e) { say(e.message, true); refresh(); }
  }

  async function signOut() {
    if (!window.confirm("确定签退？")) return;
    try {
      await api("POST", "/api/halls/" + hall + "/sign-out", undefined, { idempotent: true });
      if (stream) stream.close();
      windowNo = null;
      me = await api("GET", "/api/auth/me").catch(() => null);
      showLogin();
    } catch (e) { say(e.message, true); }
  }

  for (const button of document.querySelectorAll("#actions button")) {
    button.addEventListener("click", () => run(button.dataset.act));
  }

  const KEYS = {};
  for (const button of document.querySelectorAll("#actions button")) KEYS[button.dataset.key] = button.dataset.act;

  document.addEventListener("keydown", (event) => {
    if ($("desk").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest("input, textarea, select, dialog[open]") || document.querySelector("dialog[open]")) return;
    const name = KEYS[event.key.toUpperCase()];
    if (!name) return;
    event.preventDefault();
    run(name);
  });

  // --- dialogs ---------------------------------------------------------------------------------

  function openDialog(id, fill) {
    const dialog = $(id);
    const form = dialog.querySelector("form");
    form.reset();
    for (const p of dialog.querySelectorAll(".error")) p.textContent = "";
    if (fill) fill(form);
    dialog.showModal();
    const first = form.querySelector("input:not([type=radio]):not([type=checkbox]), select, textarea");
    if (first) first.focus();
  }

  for (const button of document.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }

  function fillTransfer(form) {
    const fill = () => {
      const kind = form.kind.value;
      const select = clear($("transfer-target"));
      const options = kind === "service" ? view.transfer_services : kind === "window" ? view.transfer_windows : view.transfer_staff;
      for (const o of options) {
        const label = (kind === "service" ? o.code + " " : "") + o.name + (o.note ? "（" + o.note + "）" : "");
        select.append(el("option", { value: o.code, text: label }));
      }
    };
    for (const radio of form.querySelectorAll("input[name=kind]")) radio.onchange = fill;
    fill();
  }

  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { note: form.note.value };
    body["to_" + form.kind.value] = form.target.value;
    try {
      await act("transfer", body);
      $("dlg-transfer").close();
      say("已转移");
    } catch (e) { $("transfer-error").textContent = e.message; refresh(); }
  });

  $("call-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const reply = await act("call", { number: form.number.value.trim().toUpperCase(), reason: form.reason.value });
      $("dlg-call").close();
      say("已点名呼叫 " + (reply.op && reply.op.call ? reply.op.call.ticket : ""));
    } catch (e) { $("call-error").textContent = e.message; refresh(); }
  });

  $("pause-preset").addEventListener("change", () => { $("pause-reason-input").value = $("pause-preset").value; });

  $("pause-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = ($("pause-reason-input").value || $("pause-preset").value).trim();
    if (!reason) { $("pause-error").textContent = "请填写暂停原因"; return; }
    try {
      await act("pause", { reason: reason });
      $("dlg-pause").close();
      say("已暂停：" + reason);
    } catch (e) { $("pause-error").textContent = e.message; refresh(); }
  });

  // --- finishing as a case ---------------------------------------------------------------------

  function openFinish() {
    if (!view || !view.current) return;
    openDialog("dlg-finish", (form) => {
      const c = view.current;
      const types = clear($("case-types"));
      types.append(el("legend", { text: "办件类型" }));
      const preferred = c.matter_case_type || "immediate";
      for (const t of view.case_types) {
        const id = "type-" + t.code;
        types.append(el("label", { for: id, class: "case-type" },
          el("input", { type: "radio", name: "case_type", id: id, value: t.code, checked: t.code === preferred }),
          t.label));
      }
      const lead = clear($("lead-department"));
      const co = clear($("co-departments"));
      co.append(el("legend", { text: "协办部门" }));
      for (const d of view.departments) {
        lead.append(el("option", { value: d.code, text: d.name, selected: d.code === c.department }));
        co.append(el("label", {}, el("input", { type: "checkbox", name: "co", value: d.code }), d.name));
      }
      const missing = clear($("missing"));
      missing.append(el("legend", { text: "缺少的材料（一次性告知，全部列出）" }));
      const wrong = hallqMaterials.wrongMaterials();  // a page marked wrong: its material is missing
      for (const m of c.materials) {
        missing.append(el("label", {},
          el("input", { type: "checkbox", name: "missing", value: m.code, checked: (!m.checked && m.required) || wrong.has(m.code) }),
          m.name));
      }
      if (!c.materials.length) missing.append(el("p", { class: "error", text: "该号票未选择办理事项，无法登记缺件材料" }));
      form.special_reason.value = c.special_reason || "";
      for (const radio of form.querySelectorAll("input[name=case_type]")) radio.onchange = () => showCaseFields(form);
      showCaseFields(form);
    });
  }

  function showCaseFields(form) {
    const type = form.case_type.value;
    for (const part of form.querySelectorAll("[data-for]")) part.hidden = part.dataset.for !== type;
    const meta = view.case_types.find((t) => t.code === type);
    const deadline = view.current ? view.current.deadlines[type] : null;
    const parts = [];
    if (meta && meta.has_deadline && deadline) parts.push("办结期限：" + dateText(deadline));
    if (meta && meta.documents.length) parts.push("将出具：" + meta.documents.join("、"));
    $("case-deadline").textContent = parts.join("　");
  }

  $("finish-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const type = form.case_type.value;
    const body = { case_type: type, applicant_name: form.applicant_name.value.trim(), note: form.note.value.trim() };
    if (type === "immediate") body.result = form.result.value.trim();
    if (type === "joint") {
      body.lead_department = form.lead_department.value || null;
      body.co_departments = [...form.querySelectorAll("input[name=co]:checked")].map((i) => i.value);
    }
    if (type === "approval") body.approval_authority = form.approval_authority.value.trim();
    if (type === "returned") body.reasons = form.reasons.value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (type === "supplement") body.missing_materials = [...form.querySelectorAll("input[name=missing]:checked")].map((i) => i.value);
    if (type === "special") body.special_reason = form.special_reason.value.trim();
    $("finish-submit").disabled = true;
    try {
      const reply = await act("finish", body);
      $("dlg-finish").close();
      showFinished(reply.finished);
    } catch (e) {
      $("finish-error").textContent = e.message;
      refresh();
    } finally {
      $("finish-submit").disabled = false;
    }
  });

  function showFinished(result) {
    const printing = {};
    for (const p of result.printing || []) printing[p.document_id] = p;
    showCaseBox(result.case, printing);
    say("已办结 " + (result.op.ticket ? result.op.ticket.number : "") + "，办件编号 " + result.case.case_number);
  }

  async function showCase(number) {
    try {
      showCaseBox(await api("GET", "/api/halls/" + hall + "/cases/" + encodeURIComponent(number)), {});
    } catch (e) { say(e.message, true); }
  }

  function showCaseBox(c, printing) {
    const box = clear($("last-case"));
    box.hidden = false;
    box.dataset.case = c.case_number;
    box.append(el("h3", { text: "办件 " + c.case_number }));
    const facts = el("dl", { class: "facts" });
    facts.append(el("dt", { text: "类型" }), el("dd", { text: c.case_type_label }));
    facts.append(el("dt", { text: "事项" }), el("dd", { text: c.matter_name }));
    if (c.deadline) facts.append(el("dt", { text: "办结期限" }), el("dd", { text: dateText(c.deadline) }));
    if (c.missing.length) facts.append(el("dt", { text: "缺件材料" }), el("dd", { text: c.missing.map((m) => m.name).join("、") }));
    if (c.reasons.length) facts.append(el("dt", { text: "退回理由" }), el("dd", { text: c.reasons.join("；") }));
    if (c.parts.length) facts.append(el("dt", { text: "协办部门" }), el("dd", { text: c.parts.map((p) => p.department_name + (p.state === "done" ? "（已办结）" : "（办理中）")).join("、") }));
    box.append(facts);
    const docs = el("ul", { class: "documents" });
    for (const d of c.documents) {
      const p = printing[d.id];
      const status = p ? (p.printed ? "已打印" : "未打印：" + p.error) : (d.print_count ? "已打印 " + d.print_count + " 次" : (d.print_error ? "未打印：" + d.print_error : "未打印"));
      docs.append(el("li", { "data-document": d.kind },
        el("b", { text: d.title }), " ",
        el("span", { class: "print-status", text: status }), " ",
        el("a", { href: d.url, target: "_blank", class: "a4", text: "A4打印版" }), " ",
        el("button", { class: "small", text: "重新打印", onclick: () => reprint(d.id) })));
    }
    if (c.documents.length) box.append(docs);
  }

  async function reprint(id) {
    try {
      const outcome = await api("POST", "/api/halls/" + hall + "/documents/" + id + "/print");
      say(outcome.printed ? "已打印" : "未打印：" + outcome.error, !outcome.printed);
      const box = $("last-case");
      if (box.dataset.case) showCase(box.dataset.case);
    } catch (e) { say(e.message, true); }
  }

  start();
})();
