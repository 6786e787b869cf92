/* Hall settings for administrators: the hall itself, departments, services, windows, staff and roles,
   delegations (充分授权), hours and holidays, appointment capacities, devices, the supervision and
   booking thresholds, the policies. Each section is read and saved whole (the hall
   file's section, /api/halls/{hall}/admin/sections/…), validated by the server as the hall file is;
   a refused save names every field, and each message (zh-CN from the server, its English detail as
   the title) is shown beside its field. */
"use strict";

(() => {
  const { api, el, clear } = hallq;
  const { base, $, say, boot, dateTime } = mgr;
  const admin = base + "/admin";
  const state = {}; // section -> { data, etag, rows }

  const ROLES = [["staff", "窗口人员"], ["manager", "值班长"], ["admin", "管理员"], ["guide", "导办员"]];
  const SERVICES = [
    { key: "code", label: "字母", kind: "text" },
    { key: "name", label: "名称", kind: "text" },
    { key: "description", label: "说明（取号机）", kind: "optional" },
    { key: "target_wait_min", label: "目标等候（分）", kind: "number" },
    { key: "max_wait_min", label: "最长等候（分）", kind: "number" },
    { key: "daily_cap", label: "每日上限", kind: "number" },
    { key: "cutoff_min", label: "闭厅前停止取号（分）", kind: "number" },
    { key: "interleave", label: "优先号间隔", kind: "number" },
    { key: "weekend", label: "双休日", kind: "check" },
  ];
  const WINDOWS = [
    { key: "number", label: "窗口号", kind: "text" },
    { key: "name", label: "名称", kind: "optional" },
    { key: "zone", label: "区域", kind: "optional" },
    { key: "department", label: "部门", kind: "text" },
    { key: "primary", label: "主办业务", kind: "list" },
    { key: "secondary", label: "协办业务", kind: "list" },
    { key: "licensing", label: "行政许可", kind: "check" },
    { key: "extended_hours", label: "延时服务", kind: "check" },
    { key: "weekend", label: "双休日", kind: "check" },
    { key: "military_priority", label: "军人优先", kind: "check" },
  ];
  const PERSON = [
    { key: "name", label: "姓名", kind: "text" },
    { key: "role", label: "角色", kind: "select", options: ROLES },
    { key: "department", label: "部门", kind: "optional" },
    { key: "windows", label: "可登录窗口", kind: "list" },
    { key: "qualification.number", label: "执法证号", kind: "optional" },
    { key: "qualification.expires", label: "执法证有效期至", kind: "date" },
  ];
  const DAYS = [["mon", "周一"], ["tue", "周二"], ["wed", "周三"], ["thu", "周四"], ["fri", "周五"], ["rest_day", "双休日、节假日"]];
  const HOURS = [
    ...DAYS.map(([key, label]) => ({ key: key, label: label + "（时段）", kind: "lines" })),
    { key: "extra_holidays", label: "另加休息日", kind: "lines" },
    { key: "extra_workdays", label: "调休上班日", kind: "lines" },
    { key: "confirmed_years", label: "已按国务院通知录入的年份", kind: "years" },
  ];
  const SUPERVISION = [
    { key: "max_waiting_per_window", label: "每窗口等候人数上限", kind: "number" },
    { key: "max_pause_min", label: "暂停最长（分）", kind: "number" },
    { key: "pause_limits_min", label: "按原因的暂停上限（每行：原因=分钟）", kind: "map" },
    { key: "case_due_within_working_days", label: "承诺件到期前提醒（工作日）", kind: "number" },
    { key: "idle_with_waiting_min", label: "有人等候时窗口空闲上限（分）", kind: "number" },
    { key: "no_show_streak", label: "连续过号提醒（次）", kind: "number" },
    { key: "device_offline_after_s", label: "设备离线判定（秒）", kind: "number" },
  ];
  const BOOKING = [
    { key: "slot_minutes", label: "预约时段长度（分，0为半天）", kind: "number" },
    { key: "days_ahead", label: "可提前预约（天）", kind: "number" },
    { key: "max_open_per_id", label: "每证件未到期预约数", kind: "number" },
    { key: "max_per_id_per_day", label: "每证件每日预约数", kind: "number" },
    { key: "no_show_limit", label: "爽约次数上限（0不限）", kind: "number" },
    { key: "no_show_window_days", label: "爽约统计期（天）", kind: "number" },
    { key: "no_show_ban_days", label: "限制预约期（天）", kind: "number" },
    { key: "remind_before_min", label: "提前提醒（分，0不提醒）", kind: "number" },
  ];
  const POLICIES = [
    { key: "id_daily_limit", label: "每证件每日取号数（0不限）", kind: "number" },
    { key: "elderly_age", label: "老年人优先年龄", kind: "number" },
    { key: "priority_classes", label: "优先类别", kind: "list" },
    { key: "no_show", label: "过号处理", kind: "select", options: [["void", "作废"], ["requeue", "重新排队"]] },
    { key: "no_show_requeues", label: "重新排队次数", kind: "number" },
    { key: "recalls_before_no_show", label: "过号前重呼次数", kind: "number" },
    { key: "checkin_early_min", label: "预约提前签到（分）", kind: "number" },
    { key: "checkin_late_min", label: "预约迟到签到（分）", kind: "number" },
    { key: "lunch_windows", label: "午间不休窗口", kind: "list" },
    { key: "lunch_services", label: "午间不休业务", kind: "list" },
  ];
  const LEVELS = [["city", "市"], ["county", "县（区）"], ["township", "乡（镇）"]];
  const HALL = [
    { key: "code", label: "大厅编码（只读）", kind: "static" },
    { key: "tz", label: "时区（只读）", kind: "static" },
    { key: "name", label: "大厅名称", kind: "text" },
    { key: "short_name", label: "简称", kind: "optional" },
    { key: "level", label: "层级", kind: "select", options: LEVELS },
    { key: "parent", label: "上级大厅编码", kind: "optional" },
    { key: "address", label: "地址", kind: "text" },
    { key: "phone", label: "电话", kind: "text" },
    { key: "notice", label: "大厅屏滚动公告", kind: "long" },
  ];
  const DEPARTMENTS = [
    { key: "code", label: "部门编码", kind: "text" },
    { key: "name", label: "名称", kind: "text" },
    { key: "short_name", label: "简称（窗口屏）", kind: "optional" },
  ];
  const SLOTS = [
    { key: "service", label: "业务字母", kind: "text" },
    { key: "morning", label: "上午可约数", kind: "number" },
    { key: "afternoon", label: "下午可约数", kind: "number" },
    { key: "rest_day", label: "双休日每时段可约数", kind: "number" },
  ];
  const KINDS = [["kiosk", "取号机"], ["hall_display", "大厅综合屏"], ["window_display", "窗口屏"], ["window_agent", "窗口终端"]];
  const DEVICES = [
    { key: "id", label: "设备编号", kind: "text" },
    { key: "kind", label: "类型", kind: "select", options: KINDS },
    { key: "name", label: "名称", kind: "text" },
    { key: "window", label: "窗口", kind: "optional" },
    { key: "printer_width_mm", label: "打印纸宽", kind: "width", options: [["", "无"], ["58", "58毫米"], ["80", "80毫米"]] },
    { key: "services", label: "取号业务（空为全部）", kind: "list" },
    { key: "printer", label: "打印机连接（取号机）", kind: "optional" },
  ];
  const CASE_TYPES = [["immediate", "即办件"], ["promised", "承诺件"], ["joint", "联办件"], ["approval", "报批件"], ["returned", "退回件"], ["supplement", "补办件"], ["special", "特办件"]];
  const DECISIONS = [["immediate", "当场办结"], ["refuse", "不予受理（说明理由）"], ["receipt", "受理并签发受理通知书"]];
  const DELEGATIONS = [
    { key: "login", label: "工号（个人）", kind: "optional" },
    { key: "role", label: "角色（全体）", kind: "select", options: [["", "—"], ["staff", "窗口人员"], ["guide", "导办员"]] },
    { key: "window", label: "窗口（岗位）", kind: "optional" },
    { key: "case_types", label: "可独立办结的办件类型", kind: "multi", options: CASE_TYPES },
    { key: "decisions", label: "可独立作出的决定", kind: "multi", options: DECISIONS },
  ];
  const EDITORS = {
    hall: { columns: HALL },
    departments: { columns: DEPARTMENTS, list: true },
    appointment_slots: { columns: SLOTS, list: true },
    devices: { columns: DEVICES, list: true },
    delegations: { columns: DELEGATIONS, list: true, path: "policies.delegations" },
    services: { columns: SERVICES, list: true },
    windows: { columns: WINDOWS, list: true },
    hours: { columns: HOURS },
    supervision: { columns: SUPERVISION },
    booking: { columns: BOOKING },
    policies: { columns: POLICIES },
  };
  // Field names in the change messages and history, as the forms label them.
  const FIELD_ZH = Object.fromEntries([...SERVICES, ...WINDOWS, ...PERSON, ...HOURS, ...SUPERVISION, ...BOOKING, ...POLICIES,
    ...HALL, ...DEPARTMENTS, ...SLOTS, ...DEVICES, ...DELEGATIONS]
    .map((c) => [c.key.split(".")[0], c.label.replace(/（.*$/, "")]));
  FIELD_ZH.qualification = "执法证";
  FIELD_ZH.delegations = "充分授权";
  const SECTION_ZH = { services: "业务", windows: "窗口", staff: "人员", hours: "作息与节假日", supervision: "监察阈值", booking: "预约规则", policies: "办事规则",
    hall: "大厅信息", departments: "部门", appointment_slots: "预约容量", devices: "设备" };
  const pathOf = (section) => (EDITORS[section] && EDITORS[section].path) || section; // the hall-file path of a section's inputs

  // --- values in and out of the inputs --------------------------------------------------------------

  const get = (item, key) => key.split(".").reduce((v, k) => (v === null || v === undefined ? undefined : v[k]), item);
  function put(item, key, value) {
    const keys = key.split(".");
    let target = item;
    for (const k of keys.slice(0, -1)) {
      if (target[k] === null || typeof target[k] !== "object") target[k] = {};
      target = target[k];
    }
    const last = keys[keys.length - 1];
    if (value === undefined) delete target[last]; else target[last] = value;
  }
  const split = (text, pattern) => text.split(pattern).map((x) => x.trim()).filter(Boolean);

  function shown(c, value) {
    if (value === null || value === undefined) return "";
    if (c.kind === "list" || c.kind === "years") return value.join(", ");
    if (c.kind === "lines") return value.join(", ");
    if (c.kind === "map") return Object.entries(value).map(([k, v]) => k + "=" + v).join("\n");
    return String(value);
  }

  function read(node, c) {
    if (c.kind === "check") return node.checked;
    if (c.kind === "multi") return [...node.querySelectorAll("input:checked")].map((box) => box.value);
    const text = node.value.trim();
    if (c.kind === "select") return text === "" ? undefined : text;
    if (c.kind === "width") return text === "" ? undefined : Number(text);
    if (c.kind === "number") return text === "" ? undefined : Number(text);
    if (c.kind === "list") return split(text, /[,，、\s]+/);
    if (c.kind === "lines") return split(text, /[,，;；\n]+/);
    if (c.kind === "years") return split(text, /[,，\s]+/).map(Number);
    if (c.kind === "map") {
      const out = {};
      for (const line of split(text, /\n+/)) {
        const [k, v] = line.split(/[=＝]/);
        out[(k || "").trim()] = Number((v || "").trim());
      }
      return out;
    }
    return text === "" && c.kind !== "text" ? undefined : text;
  }

  function input(path, c, value) {
    const attrs = { "data-path": path, "aria-label": c.label, "data-key": c.key };
    if (c.kind === "check") return el("input", { ...attrs, type: "checkbox", checked: !!value });
    if (c.kind === "select" || c.kind === "width") {
      const now = value === null || value === undefined ? "" : String(value);
      return el("select", attrs, ...c.options.map(([v, t]) => el("option", { value: v, text: t, selected: v === now })));
    }
    if (c.kind === "multi") {
      const on = new Set(value || []);
      return el("span", { ...attrs, class: "multi" }, ...c.options.map(([v, t]) =>
        el("label", {}, el("input", { type: "checkbox", value: v, checked: on.has(v) }), t)));
    }
    if (c.kind === "map" || c.kind === "long") return el("textarea", attrs, shown(c, value));
    if (c.kind === "static") return el("input", { ...attrs, type: "text", value: shown(c, value), readonly: true });
    const type = c.kind === "number" ? "number" : c.kind === "date" ? "date" : "text";
    return el("input", { ...attrs, type: type, value: shown(c, value) });
  }

  // --- editors: a table of items (services, windows, staff) or a form of fields ----------------------

  function renderList(section, columns, rows, extra) {
    const box = clear($(section + "-editor"));
    const head = el("tr", {}, ...columns.map((c) => el("th", { text: c.label })), el("th"));
    const body = el("tbody");
    rows.forEach((item, i) => {
      const cells = columns.map((c) => el("td", {}, input(pathOf(section) + "[" + i + "]." + c.key, c, get(item, c.key))));
      body.append(el("tr", { "data-index": i }, ...cells, el("td", {}, ...extra(i, item))));
    });
    box.append(el("table", { class: "edit" }, el("thead", {}, head), body));
  }

  function renderFields(section, columns, data) {
    const box = clear($(section + "-editor"));
    const fields = el("div", { class: "fields" });
    for (const c of columns) fields.append(el("label", {}, c.label, input(pathOf(section) + "." + c.key, c, get(data, c.key))));
    box.append(fields);
  }

  function render(section) {
    const editor = EDITORS[section];
    const s = state[section];
    if (!editor.list) return renderFields(section, editor.columns, s.data);
    renderList(section, editor.columns, s.rows, (i) => [
      el("button", { type: "button", text: "删除", onclick: () => { collect(section); s.rows.splice(i, 1); render(section); } }),
    ]);
  }

  /* The section as the inputs say it; fields the page does not show are kept as read. */
  function collect(section) {
    const editor = EDITORS[section];
    const s = state[section];
    const box = $(section + "-editor");
    const fill = (item, prefix) => {
      for (const c of editor.columns) {
        const node = box.querySelector('[data-path="' + prefix + c.key + '"]');
        if (node) put(item, c.key, read(node, c));
      }
      return item;
    };
    if (!editor.list) return (s.data = fill(structuredClone(s.data), pathOf(section) + "."));
    s.rows = s.rows.map((item, i) => fill(structuredClone(item), pathOf(section) + "[" + i + "]."));
    return s.rows;
  }

  // --- errors beside their fields -------------------------------------------------------------------

  const parent = (path) => (path.endsWith("]") ? path.replace(/\[\d+\]$/, "") : path.includes(".") ? path.replace(/\.[^.[\]]+$/, "") : "");

  function clearErrors(panel, problems) {
    for (const node of panel.querySelectorAll(".field-error")) node.remove();
    for (const node of panel.querySelectorAll(".invalid")) node.classList.remove("invalid");
    clear(problems);
  }

  function showErrors(panel, problems, errors) {
    for (const e of errors) {
      let path = e.path;
      let node = null;
      while (path && !node) {
        node = panel.querySelector('[data-path="' + path + '"]');
        if (!node) path = parent(path);
      }
      const text = e.message;
      const title = e.detail || e.message; // as `hallq hall validate` says it
      if (node) {
        node.classList.add("invalid");
        node.insertAdjacentElement("afterend", el("span", { class: "field-error", "data-error-for": e.path, title: title, text: text }));
      } else {
        problems.append(el("li", { "data-error-for": e.path, title: title, text: (e.path ? e.path + "：" : "") + text }));
      }
    }
  }

  function failed(section, e) {
    const panel = $(section + "-editor").closest(".tab");
    const problems = $(section + "-problems");
    clearErrors(panel, problems);
    if (e.status === 422 && e.problem.data && e.problem.data.errors) {
      showErrors(panel, problems, e.problem.data.errors);
      say(e.message, true);
    } else if (e.status === 409) {
      say("该设置已被他人修改，已重新读取，请重新修改后保存。", true);
      reload(section);
    } else say(e.message, true);
  }

  // --- reading and saving ---------------------------------------------------------------------------

  /* The policies section feeds two tabs: the rules (through /policies) and the delegations. */
  function takePolicies(data, etag) {
    take("policies", { policies: data, etag: etag });
    take("delegations", { data: data.delegations || [], etag: etag, whole: data });
  }

  function take(section, view) {
    const data = section === "policies" ? view.policies : view.data;
    state[section] = { data: data, etag: view.etag, rows: Array.isArray(data) ? structuredClone(data) : null, whole: view.whole };
    if (section === "staff") renderStaff(); else render(section);
    if (section === "hours") {
      const box = clear($("hours-warnings"));
      for (const w of view.warnings || []) {
        const year = (/ for (\d{4}) /.exec(w) || [])[1];
        const text = year ? year + "年的国务院节假日安排尚未正式确认：请按通知录入另加休息日和调休上班日，并把 " + year + " 加入已录入年份（或升级 chinese-calendar）。" : w;
        box.append(el("li", { text: text, title: w }));
      }
    }
  }

  async function reload(section) {
    try {
      if (section === "policies" || section === "delegations") {
        const view = await api("GET", admin + "/sections/policies");
        return takePolicies(view.data, view.etag);
      }
      take(section, await api("GET", admin + "/sections/" + section));
    } catch (e) {
      if (e.status === 403) { $("not-admin").hidden = false; $("tabs").hidden = true; return; }
      if (!(section === "policies" && mgr.missing(e))) say(e.message, true);
    }
  }

  async function save(section) {
    const data = collect(section);
    const s = state[section];
    try {
      const saved = section === "policies"
        ? await api("PUT", base + "/policies", { policies: data, etag: s.etag }, { idempotent: true })
        : section === "delegations"
          ? await api("PUT", admin + "/sections/policies", { data: { ...s.whole, delegations: data }, etag: s.etag }, { idempotent: true })
          : await api("PUT", admin + "/sections/" + section, { data: data, etag: s.etag }, { idempotent: true });
      done(section, saved);
    } catch (e) { failed(section, e); }
  }

  function done(section, saved) {
    const panel = $(section + "-editor").closest(".tab");
    clearErrors(panel, $(section + "-problems"));
    if (section === "policies" || section === "delegations") takePolicies(saved.view.data, saved.view.etag);
    else take(section, saved.view);
    say(saved.changes.length ? "已保存并生效：" + saved.changes.map(change).join("；") : "没有更改。");
    history();
  }

  // --- staff: one person at a time, new accounts, passwords -----------------------------------------

  function renderStaff() {
    const s = state.staff;
    renderList("staff", [{ key: "login", label: "工号", kind: "static" }, ...PERSON], s.rows, (i, person) => [
      el("button", { type: "button", text: "保存", onclick: () => staffSave(i, person.login) }),
      el("button", { type: "button", text: "停用", onclick: () => staffRetire(person.login) }),
      el("button", { type: "button", text: "重置密码", onclick: () => staffPassword(person.login) }),
    ]);
    for (const node of $("staff-editor").querySelectorAll('[data-key="login"]')) node.readOnly = true;
    const box = clear($("staff-create"));
    const index = s.rows.length;
    const columns = [{ key: "login", label: "工号", kind: "text" }, ...PERSON, { key: "password", label: "初始密码（留空则生成一次性密码）", kind: "optional" }];
    const fields = el("div", { class: "fields" });
    for (const c of columns) fields.append(el("label", {}, c.label, input("staff[" + index + "]." + c.key, c, c.key === "role" ? "staff" : undefined)));
    box.append(fields, el("p", {}, el("button", { type: "button", class: "primary", id: "staff-create-button", text: "创建账号", onclick: staffCreate })));
  }

  function person(prefix, columns) {
    const item = {};
    for (const c of columns) {
      const node = $("tab-staff").querySelector('[data-path="' + prefix + c.key + '"]');
      if (node) put(item, c.key, read(node, c));
    }
    if (item.qualification && !item.qualification.number && !item.qualification.expires) delete item.qualification;
    if (!item.windows) item.windows = [];
    return item;
  }

  async function staffCall(method, path, body, after) {
    try { after(await api(method, admin + path, body, { idempotent: true })); } catch (e) { failed("staff", e); }
  }

  function staffSave(i, login) {
    staffCall("PUT", "/staff/" + encodeURIComponent(login), person("staff[" + i + "].", PERSON), (saved) => done("staff", saved));
  }

  function staffRetire(login) {
    if (!window.confirm("停用 " + login + "？其登录将立即失效。")) return;
    staffCall("POST", "/staff/" + encodeURIComponent(login) + "/deactivate", undefined, (saved) => done("staff", saved));
  }

  function oneTime(password) {
    $("one-time").hidden = !password;
    $("one-time-password").textContent = password || "";
  }

  function staffPassword(login) {
    const typed = window.prompt("为 " + login + " 设置新密码（至少8位）；留空则生成一次性密码：", "");
    if (typed === null) return;
    staffCall("POST", "/staff/" + encodeURIComponent(login) + "/password", typed ? { password: typed } : {}, (reply) => {
      oneTime(reply.one_time_password);
      say(login + " 的密码已重置，须在下次登录时修改。");
    });
  }

  function staffCreate() {
    const index = state.staff.rows.length;
    const body = person("staff[" + index + "].", [{ key: "login", label: "", kind: "text" }, ...PERSON, { key: "password", kind: "optional" }]);
    staffCall("POST", "/staff", body, (created) => {
      done("staff", created.saved);
      oneTime(created.password.one_time_password);
    });
  }

  // --- history and calendar -------------------------------------------------------------------------

  const value = (v) => (v === null || v === undefined ? "（无）" : typeof v === "object" ? JSON.stringify(v) : String(v));
  function change(c) {
    if (!c.field && c.old === null) return "新增 " + c.item;
    if (!c.field && c.new === null) return "删除 " + c.item;
    return (c.item ? c.item + " " : "") + (FIELD_ZH[c.field] || c.field) + "：" + value(c.old) + " → " + value(c.new);
  }

  async function history() {
    const rows = await api("GET", admin + "/history?limit=20").catch(() => null);
    const box = clear($("history"));
    if (!rows) return;
    const body = el("tbody", {}, ...rows.map((h) => el("tr", {},
      el("td", { text: dateTime(Date.parse(h.ts) / 1000) }), el("td", { text: h.actor.replace(/^[a-z]+:/, "") }),
      el("td", { text: SECTION_ZH[h.section] || h.section }), el("td", { text: h.changes.map(change).join("；") }))));
    box.append(el("table", { class: "list", id: "history-table" },
      el("thead", {}, el("tr", {}, el("th", { text: "时间" }), el("th", { text: "修改人" }), el("th", { text: "设置" }), el("th", { text: "内容" }))), body));
  }

  async function calendar(year) {
    const box = clear($("calendar"));
    try {
      const c = await api("GET", admin + "/calendar?year=" + year);
      const days = (list) => el("div", { class: "days" }, ...(list.length ? list.map((d) => el("span", { text: d })) : [el("span", { text: "无" })]));
      box.append(el("p", { text: "来源：" + ({ official: "国务院通知（chinese-calendar）", provisional: "法定节日（尚无调休安排）", weekdays: "仅按周一至周五", confirmed: "本厅已录入" }[c.source] || c.source) }),
        el("h4", { text: "工作日休息（节假日）" }), days(c.holidays), el("h4", { text: "周末上班（调休）" }), days(c.workdays));
    } catch (e) { say(e.message, true); }
  }

  // --- the page -------------------------------------------------------------------------------------

  function tab(name) {
    for (const b of $("tabs").querySelectorAll("button")) b.classList.toggle("active", b.dataset.tab === name);
    for (const section of document.querySelectorAll("section.tab")) section.hidden = section.id !== "tab-" + name;
  }

  boot((me) => {
    $("live").hidden = true; // this page follows no live channel: it reads and saves on request
    if (me.role !== "admin") { $("not-admin").hidden = false; $("tabs").hidden = true; for (const s of document.querySelectorAll("section.tab")) s.hidden = true; return; }
    $("tabs").addEventListener("click", (event) => { if (event.target.dataset.tab) tab(event.target.dataset.tab); });
    for (const b of document.querySelectorAll("[data-save]")) b.addEventListener("click", () => save(b.dataset.save));
    for (const b of document.querySelectorAll("[data-add]")) {
      b.addEventListener("click", () => { const s = b.dataset.add; collect(s); state[s].rows.push({}); render(s); });
    }
    $("calendar-form").addEventListener("submit", (event) => { event.preventDefault(); calendar($("calendar-year").value); });
    $("calendar-year").value = new Date().getFullYear();
    for (const section of ["hall", "departments", "services", "windows", "staff", "hours", "appointment_slots", "devices", "supervision", "booking", "policies"]) reload(section);
    history();
  });
})();
