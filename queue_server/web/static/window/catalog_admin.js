/* Catalog administration (目录化动态管理): edit a matter as a draft, submit it, and have another
   administrator publish it or send it back; versions, a diff between any two, and who did what when.
   Every problem the server finds is shown next to its field (the hall file's validation). */
"use strict";

(() => {
  const { api, el, clear } = hallq;
  const { base, $, say, boot } = mgr;
  const admin = base + "/catalog/admin";
  const STATE_ZH = { draft: "草稿", review: "待审核", rejected: "已退回", published: "已发布", withdrawn: "已撤回" };
  const ACTION_ZH = { created: "起草", edited: "修改草稿", submitted: "提交审核", rejected: "退回", withdrawn: "撤回", published: "发布", retired: "停用" };
  const TEXT_FIELDS = ["name", "service", "department", "case_type", "content", "legal_basis", "conditions", "procedure", "time_limit", "fees", "result"];
  const OPEN = ["draft", "review", "rejected"];
  const page = { me: null, choices: null, matter: null, draft: null, code: null };
  const form = () => $("matter-form");
  // By name through ``elements``: ``form.name`` is the form's own name, not its "name" input.
  const field = (key) => form().elements.namedItem(key);
  const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "");

  // --- the list ------------------------------------------------------------------------------------

  async function loadList() {
    const data = await api("GET", admin + "/matters").catch(fail);
    if (!data) return;
    page.choices = data;
    fillSelect(field("service"), data.services);
    fillSelect(field("department"), data.departments);
    fillSelect(field("case_type"), data.case_types);
    const rows = [...data.matters.map((m) => ({ code: m.code, name: m.name, service: m.service, version: "v" + m.version,
      status: m.published ? "已公开" : "已停用", draft: m.open_draft })),
      ...data.new_drafts.map((d) => ({ code: d.code, name: d.spec.name || d.code, service: d.spec.service || "", version: "新建",
        status: "未公开", draft: d }))];
    const body = el("tbody");
    for (const r of rows) {
      body.append(el("tr", { "data-code": r.code, class: r.code === page.code ? "current" : null, onclick: () => openMatter(r.code) },
        el("td", { text: r.code }), el("td", {}, el("a", { href: "#", text: r.name })), el("td", { text: r.service }),
        el("td", { text: r.version }), el("td", { text: r.status }),
        el("td", { class: "draft", text: r.draft ? STATE_ZH[r.draft.state] + "（" + r.draft.author_name + "）" : "" })));
    }
    clear($("matters")).append(el("table", { class: "list" },
      el("thead", {}, el("tr", {}, ...["编码", "名称", "业务", "版本", "状态", "草稿"].map((t) => el("th", { text: t })))), body));
  }

  function fillSelect(select, choices) {
    const value = select.value;
    clear(select).append(el("option", { value: "", text: "请选择" }), ...choices.map((c) => el("option", { value: c.value, text: c.label })));
    select.value = value;
  }

  function fail(e) {
    if (e.status === 403) { $("not-admin").hidden = false; $("list-panel").hidden = true; }
    else say(e.message, true);
    return null;
  }

  // --- the editor ----------------------------------------------------------------------------------

  async function openMatter(code, event) {
    if (event) event.preventDefault();
    const detail = await api("GET", admin + "/matters/" + encodeURIComponent(code)).catch(fail);
    if (!detail) return;
    page.code = code;
    page.matter = detail;
    page.draft = detail.drafts.find((d) => OPEN.includes(d.state)) || null;
    for (const tr of document.querySelectorAll("#matters tr")) tr.classList.toggle("current", tr.dataset.code === code);
    show(page.draft ? page.draft.spec : detail.spec, code);
    renderVersions(detail);
    renderHistory(detail.history);
    renderPending();
  }

  function newMatter() {
    page.code = null; page.matter = null; page.draft = null;
    show({ materials: [] }, null);
    clear($("versions")); clear($("history")); clear($("diff"));
    $("pending-diff").hidden = true;
  }

  function show(spec, code) {
    $("editor").hidden = false;
    clearErrors();
    const f = form();
    $("code-field").hidden = code !== null;
    field("code").value = code || "";
    for (const key of TEXT_FIELDS) field(key).value = spec[key] === undefined || spec[key] === null ? "" : spec[key];
    field("co_departments").value = (spec.co_departments || []).join(",");
    field("promised_days").value = spec.promised_days === undefined ? 0 : spec.promised_days;
    field("licensing").checked = !!spec.licensing;
    clear($("materials"));
    for (const m of spec.materials || []) addMaterial(m);
    $("editor-title").textContent = code ? code + " " + (spec.name || "") : "新建事项";
    const editable = mayEdit();
    for (const input of f.querySelectorAll("input, textarea, select")) input.disabled = !editable;
    $("add-material").disabled = !editable;
    renderState();
    renderActions();
  }

  function addMaterial(m) {
    const forms = page.choices ? page.choices.forms : [];
    const i = $("materials").children.length;
    const cell = (key, input) => el("td", { class: key, "data-path": "materials[" + i + "]." + key }, input, el("span", { class: "field-error" }));
    const select = el("select", { "data-key": "form" }, ...forms.map((c) => el("option", { value: c.value, text: c.label })));
    select.value = m.form || "original";
    $("materials").append(el("tr", { class: "material" },
      cell("code", el("input", { "data-key": "code", value: m.code || "", maxlength: 32 })),
      cell("name", el("input", { "data-key": "name", value: m.name || "", maxlength: 100 })),
      cell("copies", el("input", { "data-key": "copies", type: "number", min: 0, max: 20, value: m.copies === undefined ? 1 : m.copies })),
      cell("form", select),
      cell("required", el("input", { "data-key": "required", type: "checkbox", checked: m.required !== false })),
      cell("note", el("input", { "data-key": "note", value: m.note || "", maxlength: 300 })),
      el("td", {}, el("button", { type: "button", class: "remove", text: "删除", onclick: (e) => { e.target.closest("tr").remove(); renumber(); } }))));
  }

  function renumber() {
    [...$("materials").children].forEach((tr, i) => {
      for (const td of tr.querySelectorAll("td[data-path]")) td.dataset.path = "materials[" + i + "]." + td.className.split(" ")[0];
    });
  }

  function number(value) { const n = Number(value); return value === "" ? 0 : Number.isInteger(n) ? n : value; }

  function specOfForm() {
    const spec = {};
    for (const key of TEXT_FIELDS) spec[key] = field(key).value;
    spec.co_departments = field("co_departments").value.split(/[,，\s]+/).filter(Boolean);
    spec.promised_days = number(field("promised_days").value);
    spec.licensing = field("licensing").checked;
    spec.materials = [...$("materials").children].map((tr) => {
      const v = (key) => tr.querySelector("[data-key=" + key + "]");
      return { code: v("code").value, name: v("name").value, copies: number(v("copies").value), form: v("form").value,
        required: v("required").checked, note: v("note").value };
    });
    return spec;
  }

  function mine(d) { return d && page.me && d.author === page.me.login; }
  function mayEdit() { return !page.draft || (mine(page.draft) && ["draft", "rejected"].includes(page.draft.state)); }

  function renderState() {
    const d = page.draft;
    let text = "";
    if (d) {
      text = (d.kind === "retire" ? "停用申请" : "草稿") + " #" + d.id + "：" + STATE_ZH[d.state] + "，起草人 " + d.author_name;
      if (d.reviewer_name) text += "，审核人 " + d.reviewer_name;
      if (d.review_note) text += "，意见：" + d.review_note;
    } else if (page.matter) text = page.matter.published ? "现行版本已公开。修改后保存为草稿，须由另一位管理员审核发布。" : "该事项已停用。";
    $("draft-state").textContent = text;
  }

  function renderActions() {
    const box = clear($("actions"));
    const d = page.draft;
    const button = (id, text, fn, cls) => box.append(el("button", { type: "button", id: id, class: cls || null, text: text, onclick: fn }));
    $("review-box").hidden = true;
    if (!d) {
      button("save-draft", "保存为草稿", saveNew, "primary");
      if (page.matter && page.matter.published) button("retire", "申请停用", retire);
      return;
    }
    if (mine(d)) {
      if (["draft", "rejected"].includes(d.state)) {
        if (d.kind === "edit") button("save-draft", "保存草稿", saveEdit);
        button("submit", "提交审核", () => step("submit"), "primary");
      }
      button("withdraw", "撤回草稿", () => step("withdraw"));
      return;
    }
    if (d.state === "review") {
      $("review-box").hidden = false;
      button("publish", "审核通过并发布", () => step("publish", { note: $("review-note").value }), "primary");
      button("reject", "退回修改", () => step("reject", { note: $("review-note").value }));
    }
  }

  async function write(method, path, body) {
    clearErrors();
    try {
      const draft = await api(method, admin + path, body, { idempotent: true });
      return draft;
    } catch (e) {
      if (e.status === 401) location.reload();
      showErrors(e);
      return null;
    }
  }

  async function saveNew() {
    const code = page.code || field("code").value.trim();
    if (!code) return showErrors({ message: "请填写事项编码。", problem: { data: { errors: [{ path: "code", message: "必填" }] } } });
    const draft = await write("POST", "/drafts", { code: code, kind: "edit", spec: specOfForm() });
    if (draft) done("草稿已保存，可提交审核。", draft.code);
  }

  async function saveEdit() {
    const draft = await write("PUT", "/drafts/" + page.draft.id, { spec: specOfForm() });
    if (draft) done("草稿已保存。", draft.code);
  }

  async function retire() {
    const draft = await write("POST", "/drafts", { code: page.code, kind: "retire", spec: {} });
    if (draft) done("停用申请已起草，请提交审核。", draft.code);
  }

  async function step(action, body) {
    const draft = await write("POST", "/drafts/" + page.draft.id + "/" + action, body);
    const said = { submit: "已提交审核，须由另一位管理员审核。", withdraw: "草稿已撤回。", reject: "已退回起草人。",
      publish: "已发布：自助机与公开目录即时更新。" };
    if (draft) done(said[action], draft.code);
  }

  async function done(text, code) {
    say(text);
    await loadList();
    await openMatter(code);
  }

  // --- errors next to their fields -----------------------------------------------------------------

  function clearErrors() {
    for (const node of document.querySelectorAll("#matter-form .invalid")) node.classList.remove("invalid");
    for (const node of document.querySelectorAll("#matter-form .field-error")) node.textContent = "";
  }

  function showErrors(e) {
    const errors = (e.problem && e.problem.data && e.problem.data.errors) || [];
    say(e.message, true);
    for (const err of errors) {
      const path = err.path.replace(/^co_departments\[\d+\]$/, "co_departments");
      let box = document.querySelector('#matter-form [data-path="' + CSS.escape(path) + '"]');
      if (!box && path.startsWith("materials")) box = document.querySelector('#matter-form [data-path="materials"]');
      if (!box) { say(e.message + " " + err.path + "：" + err.message, true); continue; }
      box.classList.add("invalid");
      const slot = box.querySelector(".field-error");
      slot.textContent = (slot.textContent ? slot.textContent + "；" : "") + err.message;
    }
  }

  // --- versions, diff, history ---------------------------------------------------------------------

  function renderVersions(detail) {
    const refs = detail.versions.map((v) => ({ value: String(v.version), label: "v" + v.version + (v.published ? "（现行）" : "") + " " + when(v.updated_at) + " " + v.by }));
    for (const d of detail.drafts.filter((x) => OPEN.includes(x.state))) refs.unshift({ value: "d" + d.id, label: "草稿 #" + d.id + "（" + STATE_ZH[d.state] + "）" });
    const pick = (id, i) => el("select", { id: id }, ...refs.map((r) => el("option", { value: r.value, text: r.label, selected: refs.indexOf(r) === i })));
    clear($("versions")).append(el("div", { class: "diff-pick" }, "比较", pick("diff-a", Math.min(1, refs.length - 1)), "与", pick("diff-b", 0),
      el("button", { type: "button", id: "diff-go", text: "比较", onclick: compare })));
    clear($("diff"));
  }

  function changesTable(changes) {
    if (!changes.length) return el("p", { text: "两个版本内容相同。" });
    const text = (v) => (v === null || v === undefined ? "—" : Array.isArray(v) ? v.join("、") : String(v));
    return el("table", { class: "list diff" }, el("thead", {}, el("tr", {}, el("th", { text: "项目" }), el("th", { text: "修改前" }), el("th", { text: "修改后" }))),
      el("tbody", {}, ...changes.map((c) => el("tr", { "data-field": c.field }, el("td", { text: c.label }),
        el("td", { class: "before", text: text(c.before) }), el("td", { class: "after", text: text(c.after) })))));
  }

  async function compare() {
    const url = admin + "/matters/" + encodeURIComponent(page.code) + "/diff?a=" + $("diff-a").value + "&b=" + $("diff-b").value;
    const diff = await api("GET", url).catch(fail);
    if (diff) clear($("diff")).append(changesTable(diff.changes));
  }

  async function renderPending() {
    const d = page.draft;
    const newest = page.matter && page.matter.versions[0];
    $("pending-diff").hidden = true;
    if (!d || !newest || d.kind !== "edit") return;
    const diff = await api("GET", admin + "/matters/" + encodeURIComponent(page.code) + "/diff?a=" + newest.version + "&b=d" + d.id).catch(() => null);
    if (!diff) return;
    clear($("pending-changes")).append(changesTable(diff.changes));
    $("pending-diff").hidden = false;
  }

  function renderHistory(steps) {
    const body = el("tbody");
    for (const s of steps) {
      body.append(el("tr", { class: "step" }, el("td", { text: when(s.at) }), el("td", { class: "action", text: ACTION_ZH[s.action] || s.action }),
        el("td", { class: "actor", text: s.actor_name }), el("td", { text: s.version ? "v" + s.version : "" }),
        el("td", { text: s.draft_id ? "#" + s.draft_id : "" }), el("td", { text: s.note })));
    }
    clear($("history")).append(el("table", { class: "list" },
      el("thead", {}, el("tr", {}, ...["时间", "操作", "操作人", "版本", "草稿", "说明"].map((t) => el("th", { text: t })))), body));
  }

  boot(async (me) => {
    page.me = me;
    const hall = document.body.dataset.hall;
    $("public-link").href = "/catalog?hall=" + encodeURIComponent(hall);
    $("notice-link").href = "/catalog/notice?hall=" + encodeURIComponent(hall);
    $("new-matter").addEventListener("click", newMatter);
    $("add-material").addEventListener("click", () => addMaterial({}));
    if (me.role !== "admin") { $("not-admin").hidden = false; $("list-panel").hidden = true; return; }
    await loadList();
  });
})();
