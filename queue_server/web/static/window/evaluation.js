/* Staff evaluation (考核) per person and period, one person's printable A4 sheet, the rotation list and
   the qualification-expiry list. */
"use strict";

(() => {
  const { api, el, clear } = hallq;
  const { base, $, load, boot, preset, minutes, percent, count, table, exports, query } = mgr;

  const pauses = (v) => (v ? Object.entries(v).map(([reason, f]) => reason + " " + f.count + "次/" + f.minutes.toFixed(0) + "分钟").join("；") || "无" : "—");
  const levels = (v) => (v ? Object.entries(v).filter(([, n]) => n).sort((a, b) => b[0] - a[0]).map(([level, n]) => level + "星 " + n).join("；") || "无" : "—");
  const text = (v) => (v === null || v === undefined || v === "" ? "—" : String(v));
  const num = (fmt) => ({ fmt: fmt, num: true });

  // The evaluation table: who, how much, how well; the A4 sheet adds the rest (SHEET).
  const EVALUATION = [
    { key: "label", label: "姓名", fmt: text },
    { key: "login", label: "工号", fmt: text },
    { key: "visits", label: "接待人次", ...num(count) },
    { key: "served", label: "办结", ...num(count) },
    { key: "handling_mean_s", label: "平均办理（分）", ...num(minutes) },
    { key: "handling_median_s", label: "办理中位（分）", ...num(minutes) },
    { key: "no_show", label: "过号", ...num(count) },
    { key: "pauses", label: "暂停次数", ...num(count) },
    { key: "pause_minutes", label: "暂停（分钟）", ...num((v) => (v === null || v === undefined ? "—" : v.toFixed(0))) },
    { key: "idle_waiting_minutes", label: "空闲有人等候（分钟）", ...num((v) => (v === null || v === undefined ? "—" : v.toFixed(0))) },
    { key: "enquiries", label: "咨询", ...num(count) },
    { key: "ratings", label: "评价数", ...num(count) },
    { key: "satisfaction", label: "满意率", ...num(percent) },
    { key: "bad_ratings", label: "差评", ...num(count) },
    { key: "rectifications_closed", label: "整改办结", ...num(count) },
    { key: "overdue_cases", label: "超期办件", ...num(count) },
  ];
  const SHEET = [
    ...EVALUATION.slice(0, 4),
    { key: "transferred", label: "转出", fmt: count },
    { key: "handling_mean_s", label: "平均办理时长（分钟）", fmt: minutes },
    { key: "handling_median_s", label: "办理时长中位数（分钟）", fmt: minutes },
    { key: "handling_p90_s", label: "办理时长P90（分钟）", fmt: minutes },
    { key: "no_show", label: "过号", fmt: count },
    { key: "signed_in_minutes", label: "在岗时间（分钟）", fmt: (v) => (v === null || v === undefined ? "—" : v.toFixed(0)) },
    { key: "utilisation", label: "窗口利用率（办理÷在岗）", fmt: percent },
    { key: "pauses", label: "暂停次数", fmt: count },
    { key: "pause_minutes", label: "暂停时长（分钟）", fmt: (v) => (v === null || v === undefined ? "—" : v.toFixed(0)) },
    { key: "pauses_by_reason", label: "暂停原因", fmt: pauses },
    { key: "idle_waiting_minutes", label: "空闲有人等候（分钟）", fmt: (v) => (v === null || v === undefined ? "—" : v.toFixed(1)) },
    { key: "ratings", label: "评价数", fmt: count },
    { key: "ratings_by_level", label: "评价分布", fmt: levels },
    { key: "satisfaction", label: "满意率", fmt: percent },
    { key: "bad_ratings", label: "差评", fmt: count },
    { key: "rectifications_closed", label: "整改办结", fmt: count },
    { key: "rectifications_in_time", label: "按时整改", fmt: count },
    { key: "overdue_cases", label: "超期办件", fmt: count },
  ];
  const STATUS_ZH = { expired: "已过期", expiring: "即将到期", valid: "有效", none: "无证" };
  const ROTATION = [
    { key: "name", label: "姓名", fmt: text }, { key: "login", label: "工号", fmt: text },
    { key: "window_name", label: "窗口", fmt: text }, { key: "since", label: "起始日期", fmt: text },
    { key: "days", label: "在岗天数", ...num(count) },
    { key: "days", label: "年限", ...num((v) => (v === null || v === undefined ? "—" : (v / 365).toFixed(1) + "年")) },
  ];
  const QUALIFICATIONS = [
    { key: "name", label: "姓名", fmt: text }, { key: "login", label: "工号", fmt: text },
    { key: "qualification_no", label: "执法证号", fmt: text }, { key: "expires", label: "有效期至", fmt: text },
    { key: "status", label: "状态", fmt: (v) => STATUS_ZH[v] || text(v) },
    { key: "days_left", label: "剩余天数", ...num(count) },
  ];

  function rowsOf(data) { return data && Array.isArray(data.rows) ? data.rows : null; }

  function range() { return { date_from: $("date-from").value, date_to: $("date-to").value }; }

  function setPreset(name) {
    const [from, to] = preset(name);
    $("date-from").value = from;
    $("date-to").value = to;
    for (const b of document.querySelectorAll("[data-preset]")) b.classList.toggle("active", b.dataset.preset === name);
  }

  async function loadEvaluation() {
    const params = range();
    const url = base + "/stats/evaluation?" + query(params);
    $("print-title").textContent = "工作人员考核汇总　" + params.date_from + " 至 " + params.date_to;
    clear($("evaluation-exports"));
    const box = $("evaluation");
    const data = await load(() => api("GET", url), box, "人员考核", rowsOf);
    if (!data) return;
    $("evaluation-exports").append(exports(url, "evaluation-export"));
    const rows = rowsOf(data);
    const columns = [...EVALUATION, { key: "_sheet", label: "", fmt: () => "" }];
    const t = table(columns, rows, null, (r) => ({ "data-staff": r.login }));
    // The last cell of each row opens that person's A4 sheet.
    t.querySelectorAll("tbody tr").forEach((tr, i) => {
      tr.lastChild.append(el("button", { class: "small", text: "考核表", onclick: () => showSheet(rows[i], params) }));
    });
    clear(box).append(t);
    if (!rows.length) box.append(el("p", { class: "empty", text: "该时段没有考核数据" }));
  }

  function showSheet(row, params) {
    const body = el("tbody");
    for (const c of SHEET) body.append(el("tr", {}, el("th", { text: c.label }), el("td", { text: c.fmt(row[c.key] === undefined ? null : row[c.key], row) })));
    clear($("sheet")).append(
      el("h1", { text: ($("hall-name").textContent || "") + " 窗口工作人员考核表" }),
      el("p", { class: "period", text: "考核期间：" + params.date_from + " 至 " + params.date_to }),
      el("table", {}, body),
      el("div", { class: "signatures" }, el("div", { text: "被考核人签字：" }), el("div", { text: "考核负责人签字：" }),
        el("div", { text: "日期：" }), el("div", { text: "日期：" })));
    $("sheet-panel").hidden = false;
    $("sheet-panel").scrollIntoView();
  }

  /* A list that is not of a period (today's state): no exports unless the API offers them. */
  async function loadList(path, id, what, columns, order, rowAttrs) {
    const box = $(id);
    const data = await load(() => api("GET", base + path), box, what, rowsOf);
    if (!data) return;
    const rows = order ? [...rowsOf(data)].sort(order) : rowsOf(data);
    clear(box).append(table(columns, rows, null, rowAttrs));
    if (!rows.length) box.append(el("p", { class: "empty", text: "无" }));
  }

  function loadAll() {
    $("sheet-panel").hidden = true;
    loadEvaluation();
    loadList("/stats/rotation", "rotation", "轮岗提示", ROTATION);
    // Expired first, then those expiring soon; the rest as the API orders them.
    const urgency = { expired: 0, expiring: 1 };
    loadList("/stats/qualifications", "qualifications", "执法资格到期提示", QUALIFICATIONS,
      (a, b) => (urgency[a.status] ?? 2) - (urgency[b.status] ?? 2),
      (r) => ({ "data-staff": r.login, class: r.status === "expired" ? "bad" : r.status === "expiring" ? "warn" : null }));
  }

  boot(() => {
    $("live").hidden = true; // evaluation is of a period: not live
    setPreset("month");
    for (const b of document.querySelectorAll("[data-preset]")) b.addEventListener("click", () => { setPreset(b.dataset.preset); loadAll(); });
    $("period-form").addEventListener("submit", (event) => {
      event.preventDefault();
      for (const b of document.querySelectorAll("[data-preset]")) b.classList.remove("active");
      loadAll();
    });
    $("sheet-print").addEventListener("click", () => {
      document.body.classList.add("print-sheet");
      window.print();
    });
    window.addEventListener("afterprint", () => document.body.classList.remove("print-sheet"));
    $("sheet-close").addEventListener("click", () => { $("sheet-panel").hidden = true; });
    loadAll();
  });
})();
