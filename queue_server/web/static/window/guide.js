/* The guide desk (导办台): find the matter, issue a ticket on the citizen's behalf (priority seen and
   confirmed, who came along, 特事特办 with its reason), record an enquiry, look a ticket up, reprint
   it, void it with a reason. Every act is recorded by the server with the clerk's id. */
"use strict";

(() => {
  const { api, el, clear, timeText } = hallq;
  const { base, $, say, guard, boot, query } = mgr;
  const PRIORITIES = [
    ["", "— 无 —"], ["elderly", "老年人"], ["disabled", "残疾人"], ["military", "军人"],
    ["fire_rescue", "消防救援人员"], ["martyr_family", "烈士遗属"], ["pregnant", "孕妇"],
    ["with_infant", "携带婴幼儿"], ["other", "其他需照顾群众"],
  ];
  let chosen = null;
  let searchTimer = null;

  function choose(hit, button) {
    chosen = hit;
    for (const b of document.querySelectorAll("#matters button")) b.classList.toggle("chosen", b === button);
    const box = clear($("chosen"));
    box.hidden = false;
    box.append(el("strong", { text: hit.name }), " ", el("span", { class: "badge", text: hit.service_name }),
      el("ul", {}, ...hit.materials.map((m) => el("li", { text: m }))));
    $("issue").disabled = false;
    $("enquiry").disabled = false;
  }

  async function search() {
    const q = $("matter-q").value.trim();
    const list = clear($("matters"));
    if (!q) return;
    const hits = await guard(() => api("GET", base + "/guide/matters?" + query({ q: q })));
    if (!hits) return;
    if (!hits.length) list.append(el("li", { class: "none", text: "没有找到该事项" }));
    for (const hit of hits) {
      const button = el("button", { type: "button", "data-matter": hit.code },
        hit.name, el("span", { class: "initials", text: hit.pinyin_initials }));
      button.addEventListener("click", () => choose(hit, button));
      list.append(el("li", {}, button));
    }
  }

  async function issue(event) {
    event.preventDefault();
    if (!chosen) return;
    const special = $("special").checked;
    const body = {
      matter: chosen.code,
      priority: $("priority").value || null,
      accompanied_by: $("accompanied").value.trim(),
      phone: $("phone").value.trim() || null,
      special_reason: special ? $("special-reason").value.trim() : null,
    };
    if (special && !body.special_reason) return say("特事特办须填写原因。", true);
    const done = await guard(() => api("POST", base + "/guide/tickets", body, { idempotent: true }));
    if (!done) return;
    const t = done.ticket;
    const box = clear($("issued"));
    box.hidden = false;
    box.append(
      el("div", { class: "number", id: "issued-number", text: t.number }),
      el("div", { text: (t.matter_name || t.service_name) + (t.priority_label ? " · " + t.priority_label : "") + (done.special ? " · 特事特办" : "") }),
      el("div", { text: "前面 " + t.people_ahead + " 人 · 导办员 " + done.clerk + (done.accompanied_by ? " · 陪同：" + done.accompanied_by : "") }),
      el("button", { type: "button", id: "issued-print", onclick: () => reprint(t.ticket_id) }, "打印号票"));
    say("已为市民取号 " + t.number + "。");
    $("lookup-q").value = t.number;
    lookup();
  }

  async function enquiry() {
    if (!chosen) return;
    const ack = await guard(() => api("POST", base + "/guide/enquiries", { matter: chosen.code }, { idempotent: true }));
    if (ack) say("已记录咨询：" + ack.matter_name + "（今日第 " + ack.today + " 次咨询）");
  }

  async function lookup(event) {
    if (event) event.preventDefault();
    const q = $("lookup-q").value.trim();
    if (!q) return;
    const rows = await guard(() => api("GET", base + "/guide/tickets?" + query({ q: q })));
    if (rows) show(rows);
  }

  function show(rows) {
    const body = clear($("tickets"));
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 6, text: "没有找到号票" })));
    for (const t of rows) {
      const actions = el("td", {},
        el("button", { type: "button", "data-act": "reprint", onclick: () => reprint(t.ticket_id) }, "补打"),
        t.voidable ? el("button", { type: "button", "data-act": "void", onclick: () => voidTicket(t) }, "作废") : null);
      body.append(el("tr", { "data-ticket": t.number, "data-state": t.state },
        el("td", { text: t.number + (t.special ? "（特）" : "") }),
        el("td", { text: (t.matter_name || t.service_name) + (t.priority_label ? " · " + t.priority_label : "") }),
        el("td", { class: "state", text: t.state_label + " " + timeText(t.issued_at) }),
        el("td", { text: t.window_name || "" }),
        el("td", { text: t.guide_clerk || "" }),
        actions));
    }
  }

  async function reprint(ticketId) {
    const slip = await guard(() => api("POST", base + "/guide/tickets/" + encodeURIComponent(ticketId) + "/reprint", undefined, { idempotent: true }));
    if (!slip) return;
    say("已补打号票 " + slip.ticket.number + "。");
    window.open(slip.url, "_blank");
  }

  async function voidTicket(t) {
    const reason = $("void-reason").value.trim();
    if (!reason) { $("void-reason").focus(); return say("请先填写作废原因。", true); }
    const done = await guard(() => api("POST", base + "/guide/tickets/" + encodeURIComponent(t.ticket_id) + "/void", { reason: reason }, { idempotent: true }));
    if (!done) return;
    say("号票 " + done.number + " 已作废。");
    $("void-reason").value = "";
    lookup();
  }

  boot(() => {
    const select = $("priority");
    for (const [code, label] of PRIORITIES) select.append(el("option", { value: code, text: label }));
    $("matter-q").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 200); });
    $("special").addEventListener("change", () => { $("special-row").hidden = !$("special").checked; });
    $("issue-form").addEventListener("submit", issue);
    $("enquiry").addEventListener("click", enquiry);
    $("lookup-form").addEventListener("submit", lookup);
  });
})();
