/* The citizen page behind the ticket's QR code: live position and the call, then case and rating. */
"use strict";

(() => {
  const { api, el, clear, dateText, timeText, live } = hallq;
  const token = document.body.dataset.token;
  const $ = (id) => document.getElementById(id);
  const LEVELS = [[5, "非常满意"], [4, "满意"], [3, "基本满意"], [2, "不满意"], [1, "非常不满意"]];
  const probe = { renders: [] };
  window.hallqCitizen = probe;

  function render(v) {
    $("hall-name").textContent = v.hall_name;
    $("hall-address").textContent = v.hall_address ? "地址：" + v.hall_address : "";
    $("hall-phone").textContent = v.hall_phone ? "电话：" + v.hall_phone : "";
    $("hall-contact").hidden = !(v.hall_address || v.hall_phone);
    $("number").textContent = v.number;
    $("service").textContent = v.matter_name || v.service_name;
    $("message").textContent = v.message;
    $("state-card").className = "card state " + v.state;
    const facts = clear($("facts"));
    if (v.state === "waiting") {
      if (v.position !== null) facts.append(el("dt", { text: "当前排位" }), el("dd", { text: "第 " + v.position + " 位" }));
      if (v.people_ahead !== null) facts.append(el("dt", { text: "前面还有" }), el("dd", { id: "ahead", text: v.people_ahead + " 人" }));
      facts.append(el("dt", { text: "预计等候" }), el("dd", { text: v.eta_min === null ? "暂无法估计" : "约 " + v.eta_min + " 分钟" }));
    }
    if ((v.state === "called" || v.state === "serving") && v.window_name) {
      facts.append(el("dt", { text: "办理窗口" }), el("dd", { text: v.window_name }));
    }
    $("case-card").hidden = !v.case_number;
    if (v.case_number) {
      const cf = clear($("case-facts"));
      cf.append(el("dt", { text: "办件编号" }), el("dd", { id: "case-number", text: v.case_number }));
      if (v.case_type_label) cf.append(el("dt", { text: "办件类型" }), el("dd", { text: v.case_type_label }));
      if (v.deadline) cf.append(el("dt", { text: "办结期限" }), el("dd", { text: dateText(v.deadline) }));
      const docs = clear($("documents"));
      for (const d of v.documents) docs.append(el("li", {}, el("a", { href: d.url, target: "_blank", text: d.title + "（可打印/保存）" })));
    }
    details(v);
    $("rating-card").hidden = !(v.can_rate || v.rating);
    const stars = clear($("stars"));
    if (v.can_rate) {
      for (const [score, label] of LEVELS) stars.append(el("button", { type: "button", "data-score": score, text: label, onclick: () => rate(score) }));
    }
    $("rating-result").textContent = v.rating ? "您的评价：" + v.rating_label + "，感谢您的反馈！" : "";
    probe.renders.push({ state: v.state, window: v.window, at: Date.now() });
  }

  /* The visit in detail: the appointment, what to bring, the one-time notice, cancelling. */
  function details(v) {
    const a = v.appointment;
    $("appointment-card").hidden = !a;
    if (a) {
      const slot = timeText(a.slot_start) + "–" + timeText(a.slot_end);
      clear($("appointment-facts")).append(el("dt", { text: "预约号" }), el("dd", { id: "appointment-code", text: a.code }),
        el("dt", { text: "预约时段" }), el("dd", { text: slot }));
    }
    const materials = v.materials || [];
    $("materials-card").hidden = !materials.length && !v.notice_url;
    const list = clear($("materials"));
    for (const m of materials) {
      list.append(el("li", { class: m.checked ? "checked" : null },
        m.name + (m.required ? "" : "（如有）"), m.note ? el("div", { class: "note", text: m.note }) : null));
    }
    $("notice").hidden = !v.notice_url;
    if (v.notice_url) $("notice-link").href = v.notice_url;
    $("cancel-card").hidden = !v.can_cancel;
    if (!v.can_cancel) $("cancel-confirm").hidden = true;
  }

  async function cancel() {
    $("cancel-error").textContent = "";
    try {
      render(await api("POST", "/api/citizen/" + token + "/cancel", undefined, { idempotent: true }));
    } catch (e) {
      $("cancel-error").textContent = e.message;
    }
  }

  $("cancel").addEventListener("click", () => { $("cancel-confirm").hidden = false; });
  $("cancel-no").addEventListener("click", () => { $("cancel-confirm").hidden = true; });
  $("cancel-yes").addEventListener("click", cancel);

  async function rate(score) {
    try {
      await api("POST", "/api/citizen/" + token + "/rating", { score: score });
      render(await api("GET", "/api/citizen/" + token));
    } catch (e) {
      $("rating-result").textContent = e.message;
    }
  }

  async function first() {
    try {
      render(await api("GET", "/api/citizen/" + token));
    } catch (e) {
      $("message").textContent = e.status === 404 ? "未找到该号票，请核对二维码。" : e.message;
      return;
    }
    live("/api/citizen/" + token + "/live", { status: render }, (on) => {
      $("live").textContent = on ? "● 实时更新中" : "● 正在重新连接…";
      $("live").className = "live-note" + (on ? " on" : "");
    });
  }

  first();
})();
