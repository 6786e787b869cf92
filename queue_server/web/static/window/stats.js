/* Statistics: a date range (presets day, week, month, year), a grouping, the charts (ECharts, served
   by the hall's server from node_modules) and the numbers behind them, exported by the API itself
   (format=xlsx|csv). Without the chart library the tables still work. */
"use strict";

(() => {
  const { api, el, clear } = hallq;
  const { base, $, load, boot, preset, minutes, percent, count, table, exports, query } = mgr;
  const charts = typeof window.echarts === "undefined" ? null : window.echarts;

  const GROUP_ZH = { day: "日期", week: "周", month: "月份", hour: "时段", weekday: "星期", service: "业务", window: "窗口",
    staff: "工作人员", department: "部门", channel: "取号渠道", priority: "优先类别", hall: "大厅" };
  const WEEKDAY_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
  const COLUMNS = [
    { key: "issued", label: "取号", fmt: count, num: true },
    { key: "served", label: "办结", fmt: count, num: true },
    { key: "no_show", label: "过号", fmt: count, num: true },
    { key: "transferred", label: "转移", fmt: count, num: true },
    { key: "voided", label: "作废", fmt: count, num: true },
    { key: "abandoned", label: "未办离开", fmt: count, num: true },
    { key: "wait_mean_s", label: "平均等候（分）", fmt: minutes, num: true },
    { key: "wait_median_s", label: "等候中位（分）", fmt: minutes, num: true },
    { key: "wait_p90_s", label: "等候P90（分）", fmt: minutes, num: true },
    { key: "wait_p95_s", label: "等候P95（分）", fmt: minutes, num: true },
    { key: "handling_mean_s", label: "平均办理（分）", fmt: minutes, num: true },
    { key: "handling_median_s", label: "办理中位（分）", fmt: minutes, num: true },
    { key: "handling_p90_s", label: "办理P90（分）", fmt: minutes, num: true },
    { key: "handling_p95_s", label: "办理P95（分）", fmt: minutes, num: true },
    { key: "service_level", label: "等候达标率", fmt: percent, num: true },
    { key: "idle_waiting_minutes", label: "空闲有人等候（分）", fmt: tenths, num: true },
    { key: "enquiries", label: "咨询", fmt: count, num: true },
    { key: "enquiries_by_matter", label: "咨询事项", fmt: matters },
  ];

  // Minutes as the API gives them (idle with people waiting): absent where the figure does not exist.
  function tenths(v) { return v === null || v === undefined ? "—" : v.toFixed(1); }
  function matters(v) {
    if (!v) return "—";
    return Object.entries(v).sort((a, b) => b[1] - a[1]).map(([m, n]) => (m || "未选事项") + " " + n).join("；") || "无";
  }

  const volume = charts && charts.init($("chart-volume"), null, { renderer: "svg" });
  const heat = charts && charts.init($("chart-heatmap"), null, { renderer: "svg" });
  const FONT = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';

  function range() { return { date_from: $("date-from").value, date_to: $("date-to").value }; }

  function setPreset(name) {
    const [from, to] = preset(name);
    $("date-from").value = from;
    $("date-to").value = to;
    for (const b of document.querySelectorAll("[data-preset]")) b.classList.toggle("active", b.dataset.preset === name);
  }

  async function loadStats() {
    const params = { ...range(), group: $("group").value };
    const url = base + "/stats?" + query(params);
    const box = $("stats-table");
    $("print-title").textContent = "统计报表　" + params.date_from + " 至 " + params.date_to + "（按" + (GROUP_ZH[params.group] || params.group) + "）";
    const data = await load(() => api("GET", url), box, "统计数据", (d) => d && Array.isArray(d.rows));
    clear($("stats-exports"));
    $("chart-volume").hidden = !data;
    if (!data) return;
    $("stats-exports").append(exports(url, "stats-export"));
    const columns = [{ key: "label", label: GROUP_ZH[data.group] || "分组", fmt: (v, r) => v || r.key }, ...COLUMNS];
    const attrs = (r) => (r.halls ? { "data-subtotal": r.key, class: "subtotal" } : { "data-key": r.key });
    clear(box).append(table(columns, withSubtotals(data.rows, data.subtotals || []), data.total, attrs));
    if (!data.rows.length) box.append(el("p", { class: "empty", text: "该时段没有数据" }));
    drawVolume(data);
  }

  /* A city's comparison of halls: each county's subtotal (小计) after the last of its halls' rows, as in
     the downloads. */
  function withSubtotals(rows, subtotals) {
    const after = new Map();
    for (const sub of subtotals) {
      const members = rows.filter((r) => sub.halls.includes(r.key));
      const last = members.length ? members[members.length - 1].key : "";
      after.set(last, [...(after.get(last) || []), sub]);
    }
    const out = [];
    for (const r of rows) out.push(r, ...(after.get(r.key) || []));
    return out.concat(after.get("") || []);
  }

  function drawVolume(data) {
    if (!volume) return;
    volume.resize();
    const labels = data.rows.map((r) => r.label || r.key);
    const series = (key, name) => ({ name: name, type: "bar", data: data.rows.map((r) => r[key] || 0) });
    volume.setOption({
      color: ["#1b5fae", "#1f7a3a", "#8a94a3", "#6a4c93", "#d9822b"],
      textStyle: { fontFamily: FONT },
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 60, top: 40, bottom: 60 },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 12 ? 45 : 0 } },
      yAxis: [{ type: "value", name: "人次" }, { type: "value", name: "分钟", splitLine: { show: false } }],
      series: [
        series("issued", "取号"), series("served", "办结"), series("no_show", "过号"), series("enquiries", "咨询"),
        { name: "平均等候（分）", type: "line", yAxisIndex: 1, data: data.rows.map((r) => r.wait_mean_s === null ? null : +(r.wait_mean_s / 60).toFixed(1)) },
      ],
    }, true);
  }

  // --- hour × weekday heatmap -----------------------------------------------------------------------

  function weekdayLabel(value) {
    if (typeof value === "string") return value;
    return WEEKDAY_ZH[value] || String(value);
  }

  /* The hours with data, widened to a working day (8–17 时) so that a short range still reads as a day. */
  function workingHours(hours) {
    if (!hours.every((h) => typeof h === "number")) return hours;
    const first = Math.min(8, ...hours), last = Math.max(17, ...hours);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }

  function position(list, value) { const i = list.indexOf(value); return i >= 0 ? i : value; }

  async function loadHeatmap() {
    const measure = $("heat-measure").value;
    const url = base + "/stats/heatmap?" + query({ ...range(), measure: measure });
    const box = $("heat-table");
    const data = await load(() => api("GET", url), box, "热力图", (d) => d && Array.isArray(d.cells));
    $("chart-heatmap").hidden = !data;
    if (!data) return;
    const scale = measure === "wait_mean" ? (v) => (v === null ? null : +(v / 60).toFixed(1)) : (v) => v;
    const weekdays = data.weekdays.map(weekdayLabel);
    const hourValues = workingHours(data.hours);
    const hours = hourValues.map((h) => (typeof h === "number" ? h + "时" : String(h)));
    const cells = data.cells.map(([d, h, v]) => [position(hourValues, h), position(data.weekdays, d), scale(v)]);
    // The numbers behind the chart: a weekday per row, an hour per column.
    const grid = data.weekdays.map(() => hourValues.map(() => null));
    for (const [h, d, v] of cells) if (grid[d]) grid[d][h] = v;
    const columns = [{ key: "day", label: "星期" }, ...hours.map((label, i) => ({ key: i, label: label, num: true, fmt: (v) => (v === null ? "" : v) }))];
    const rows = weekdays.map((label, d) => Object.assign({ day: label }, grid[d]));
    clear(box).append(table(columns, rows));
    if (!heat) return;
    heat.resize();
    const values = cells.map((c) => c[2]).filter((v) => v !== null);
    heat.setOption({
      textStyle: { fontFamily: FONT },
      animation: false,
      tooltip: { position: "top" },
      grid: { left: 60, right: 20, top: 10, bottom: 90 },
      xAxis: { type: "category", data: hours, splitArea: { show: true } },
      yAxis: { type: "category", data: weekdays, inverse: true, splitArea: { show: true } }, // 周一 on top, as in the table
      visualMap: { min: 0, max: Math.max(1, ...values), calculable: true, orient: "horizontal", left: "center", bottom: 0,
        inRange: { color: ["#f3f7fc", "#8fb8e8", "#1b5fae", "#b3261e"] } },
      series: [{ name: measure === "wait_mean" ? "平均等候（分）" : "取号量", type: "heatmap", data: cells, label: { show: true, fontSize: 10 } }],
    }, true);
  }

  function loadAll() { loadStats(); loadHeatmap(); }

  boot(() => {
    setPreset("month");
    for (const b of document.querySelectorAll("[data-preset]")) b.addEventListener("click", () => { setPreset(b.dataset.preset); loadAll(); });
    $("range-form").addEventListener("submit", (event) => {
      event.preventDefault();
      for (const b of document.querySelectorAll("[data-preset]")) b.classList.remove("active");
      loadAll();
    });
    $("group").addEventListener("change", loadStats);
    $("heat-measure").addEventListener("change", loadHeatmap);
    $("live").hidden = true; // statistics are of closed days and today so far: not live
    loadAll();
  });

  // Charts are redrawn to the paper's width for printing, and back after.
  function resize() { if (volume) volume.resize(); if (heat) heat.resize(); }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();
