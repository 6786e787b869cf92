/* The managers' live overview: windows, waiting per service, today's totals, open supervision alerts
   (acknowledged here with a note by the hall's own managers; read only from a hall above) and devices.
   Refetched on every live event (a burst makes one fetch); minutes are counted here from the server's
   times, so they grow without a refetch. */
"use strict";

(() => {
  const { api, el, clear, live } = hallq;
  const { base, $, say, guard, load, boot, ownHall, dateTime } = mgr;

  const STATUS_ZH = { idle: "空闲", calling: "呼叫中", serving: "办理中", paused: "暂停", closed: "关闭" };
  const MODE_ZH = { open: "办公中", extended: "延时服务", closed: "非办公时间", weekend: "周末服务", lunch_break: "午休" };
  const DEVICE_ZH = { online: "在线", offline: "离线", unknown: "未上报" };
  const KIND_ZH = { kiosk: "取号机", hall_display: "大厅屏", window_display: "窗口屏", agent: "窗口终端", window_agent: "窗口终端", display: "显示屏" };
  const PAPER_ZH = { ok: "正常", low: "纸将尽", out: "缺纸", unknown: "—" };
  const SEVERITY_ZH = { critical: "严重", warning: "警告", info: "提示" };
  const TOTALS = [["issued", "今日取号"], ["waiting", "等候中"], ["at_window", "窗口办理中"], ["served", "已办结"],
    ["no_show", "过号"], ["transferred", "转移"], ["voided", "作废"]];

  let view = null;
  let skew = 0; // browser clock − server clock, seconds

  function minutesSince(since) {
    if (!since) return null;
    return Math.max(0, Math.floor((Date.now() / 1000 - skew - since) / 60));
  }

  function render() {
    if (!view) return;
    $("mode").textContent = MODE_ZH[view.mode] || view.mode;
    $("updated").textContent = "更新于 " + dateTime(view.ts);
    const totals = clear($("totals"));
    for (const [key, label] of TOTALS) {
      totals.append(el("div", { class: "card", "data-total": key }, el("div", { class: "value", text: view.totals[key] }), el("div", { class: "label", text: label })));
    }
    renderWindows();
    renderServices();
    renderDevices();
  }

  function renderWindows() {
    const body = clear($("windows"));
    for (const w of view.windows) {
      const counted = ["calling", "serving", "paused"].includes(w.status);
      const minutes = counted ? minutesSince(w.since) : null;
      const note = w.status === "paused" ? (w.pause_reason || "") : "";
      body.append(el("tr", { "data-window": w.window, class: w.status === "closed" ? "off" : null },
        el("td", { text: w.name || w.window + "号窗口" }),
        el("td", {}, el("span", { class: "status " + w.status, "data-status": w.status, text: STATUS_ZH[w.status] || w.status })),
        el("td", { class: "ticket", text: w.ticket || "" }),
        el("td", { text: w.service || "" }),
        el("td", { text: w.staff ? w.staff + "（" + w.staff_id + "）" : "" }),
        el("td", { class: "num", text: minutes === null ? "" : minutes }),
        el("td", { text: note })));
    }
  }

  function renderServices() {
    const body = clear($("services"));
    for (const s of view.services) {
      const longest = s.longest_wait_min === null ? null : Math.max(s.longest_wait_min, 0);
      body.append(el("tr", { "data-service": s.code, class: s.over_target ? "bad" : null },
        el("td", { text: s.code + " " + s.name }),
        el("td", { class: "num", text: s.waiting }),
        el("td", { class: "num", text: longest === null ? "—" : longest }),
        el("td", { class: "num", text: s.target_wait_min }),
        el("td", { class: "num", text: s.windows_open })));
    }
  }

  function renderDevices() {
    const body = clear($("devices"));
    if (!view.devices.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "empty", text: "尚无设备" })));
    for (const d of view.devices) {
      // Online is the server's verdict (its newest status and a recent heartbeat), not the last word alone.
      const state = d.online ? "online" : d.state === "unknown" ? "unknown" : "offline";
      body.append(el("tr", { "data-device": d.id, class: state === "offline" ? "bad" : null },
        el("td", { class: "device-name", title: d.id, text: d.name ? d.name + "（" + d.id + "）" : d.id }),
        el("td", { text: KIND_ZH[d.kind] || d.kind }),
        el("td", { text: d.window ? d.window + "号" : "" }),
        el("td", {}, el("span", { class: "status " + state, "data-state": state, text: DEVICE_ZH[state] })),
        el("td", { class: "num", text: d.boot_count }),
        el("td", { class: d.paper === "low" || d.paper === "out" ? "bad" : null, "data-paper": d.paper, text: PAPER_ZH[d.paper] || d.paper }),
        el("td", { text: dateTime(d.last_seen) })));
    }
  }

  // What was drawn when (window → ticket), for the browser tests and for measuring the live delay.
  const renders = [];
  window.hallqOverview = { renders: renders };

  async function refresh() {
    const data = await guard(() => api("GET", base + "/overview"));
    if (!data) return;
    skew = Date.now() / 1000 - data.ts;
    view = data;
    render();
    renders.push({ at: Date.now(), tickets: Object.fromEntries(data.windows.map((w) => [w.window, w.ticket])) });
    if (renders.length > 200) renders.shift();
  }

  // --- alerts (电子监察) ---------------------------------------------------------------------------

  async function refreshAlerts() {
    const box = $("alerts");
    const data = await load(() => api("GET", base + "/alerts?state=open"), box, "电子监察告警", (d) => d && Array.isArray(d.alerts));
    if (!data) { $("alert-count").textContent = ""; return; }
    clear(box);
    const open = data.alerts.filter((a) => !a.resolved_at);
    $("alert-count").textContent = open.length ? open.length + " 条" : "";
    $("alert-count").className = "badge" + (open.some((a) => !a.acknowledged_at) ? " bad" : "");
    if (!open.length) box.append(el("p", { class: "empty", text: "当前没有告警" }));
    for (const a of open) box.append(alertItem(a));
  }

  function alertItem(a) {
    const where = [a.window ? a.window + "号窗口" : "", a.service ? "业务 " + a.service : "", a.device ? "设备 " + a.device : ""].filter(Boolean).join(" · ");
    const item = el("div", { class: "alert " + (a.severity || "warning"), "data-alert": a.id, "data-kind": a.kind },
      el("span", { class: "badge " + (a.severity === "critical" ? "bad" : "warn"), text: SEVERITY_ZH[a.severity] || a.severity || "告警" }),
      el("div", {}, el("span", { class: "title", text: a.title }), a.detail ? el("span", { text: "　" + a.detail }) : null));
    item.append(el("div", { class: "meta", text: "发生于 " + dateTime(a.raised_at) + (where ? " · " + where : "") }));
    if (a.acknowledged_at) {
      item.append(el("div", { class: "acked", text: "已确认：" + (a.acknowledged_by || "") + " " + dateTime(a.acknowledged_at) + (a.note ? " · " + a.note : "") }));
    } else if (!ownHall()) {
      // A hall below one's own: its own managers acknowledge (they act on the floor); read only here.
      item.append(el("div", { class: "meta pending", text: "待该大厅值班长确认" }));
    } else {
      const form = el("form", { class: "ack" },
        el("input", { name: "note", placeholder: "处理说明", maxlength: 500, required: true, size: 24 }),
        el("button", { class: "primary small", type: "submit", text: "确认" }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const note = form.note.value.trim();
        if (!note) return;
        try {
          await api("POST", base + "/alerts/" + encodeURIComponent(a.id) + "/acknowledge", { note: note }, { idempotent: true });
          say("告警已确认：" + a.title);
        } catch (e) { say(e.message, true); }
        refreshAlerts();
      });
      item.append(form);
    }
    return item;
  }

  // --- live -----------------------------------------------------------------------------------------

  // A burst of events (a call changes the window, the hall and maybe an alert) makes one refetch.
  let pending = null;
  function soon(what) {
    if (pending === null) {
      pending = new Set();
      setTimeout(() => {
        const todo = pending;
        pending = null;
        if (todo.has("overview")) refresh();
        if (todo.has("alerts")) refreshAlerts();
      }, 100);
    }
    pending.add(what);
  }

  boot(() => {
    live(base + "/live", {
      call: () => soon("overview"),
      window: () => soon("overview"),
      hall: () => soon("overview"),
      device: () => soon("overview"),
      devices: () => soon("overview"),
      alerts: () => { soon("alerts"); soon("overview"); },
      alert: () => soon("alerts"),
      hello: (d) => { if (d.resync) { soon("overview"); soon("alerts"); } },
    }, (on) => {
      $("live").textContent = on ? "● 实时连接正常" : "● 正在重新连接…";
      $("live").className = "live " + (on ? "on" : "off");
    });
    refresh();
    refreshAlerts();
    // Minutes grow by themselves; devices' "last seen" and the totals are refetched now and then.
    setInterval(() => view && renderWindows(), 15000);
    setInterval(() => soon("overview"), 60000);
  });
})();
