/* The booking pages (预约办事): choose a matter, read its disclosures, pick a slot, identify, get a
   code and QR; find, cancel or reschedule by code and ID. Relative URLs only (a portal may serve the
   page under its own prefix). The ID number stays in this page's memory, is sent only in request
   bodies, and is never written to storage. */
"use strict";

(() => {
  const { api, el, clear } = hallq;
  const body = document.body;
  const hall = body.dataset.hall;
  const tz = body.dataset.tz || "Asia/Shanghai";
  const base = "api/halls/" + encodeURIComponent(hall) + "/appointments";
  const $ = (id) => document.getElementById(id);
  const STEPS = ["step-matter", "step-detail", "step-slot", "step-who", "step-done", "step-find"];
  const DISCLOSURES = [
    ["content", "办理内容"], ["legal_basis", "设定依据"], ["conditions", "申请条件"], ["materials", "申请材料"],
    ["procedure", "办理流程"], ["time_limit", "办理时限"], ["fees", "收费标准"], ["result", "办理结果"],
  ];
  const WEEKDAYS = "日一二三四五六";
  const state = { matters: [], bookable: [], matter: null, day: null, slot: null, booking: null, idNumber: "", moving: false };

  function show(step) {
    for (const id of STEPS) $(id).hidden = id !== step;
    $("tab-book").classList.toggle("on", step !== "step-find");
    $("tab-mine").classList.toggle("on", step === "step-find");
    window.scrollTo(0, 0);
  }

  function when(seconds, options) {
    return new Date(seconds * 1000).toLocaleString("zh-CN", Object.assign({ timeZone: tz }, options));
  }
  const hm = (s) => when(s, { hour: "2-digit", minute: "2-digit", hour12: false });
  const dayText = (s) => when(s, { month: "long", day: "numeric", weekday: "short" });
  const slotText = (start, end) => dayText(start) + " " + hm(start) + "–" + hm(end);

  /* --- large text: remembered on this device (a preference, nothing personal) --- */
  function setLarge(on) {
    body.classList.toggle("large", on);
    $("large").setAttribute("aria-pressed", String(on));
    try { localStorage.setItem("hallq-large", on ? "1" : "0"); } catch (e) { /* private mode */ }
  }
  $("large").addEventListener("click", () => setLarge(!body.classList.contains("large")));
  try { setLarge(localStorage.getItem("hallq-large") === "1"); } catch (e) { /* private mode */ }

  /* --- 1. matters --- */
  function renderMatters() {
    const query = $("search").value.trim().toLowerCase();
    const list = clear($("matters"));
    const shown = state.matters.filter((m) => state.bookable.includes(m.service) &&
      (!query || m.name.toLowerCase().includes(query) || (m.pinyin_initials || "").toLowerCase().startsWith(query)));
    for (const m of shown) {
      list.append(el("li", {}, el("button", { type: "button", "data-matter": m.code, onclick: () => chooseMatter(m) },
        m.name, el("span", { class: "dept", text: m.department }))));
    }
    $("matters-empty").hidden = shown.length > 0;
  }
  $("search").addEventListener("input", renderMatters);

  /* --- 2. the eight disclosures --- */
  function chooseMatter(m) {
    state.matter = m;
    state.moving = false;
    $("matter-name").textContent = m.name;
    const dl = clear($("disclosures"));
    for (const [key, label] of DISCLOSURES) {
      const value = m.disclosures[key];
      let dd;
      if (key === "materials") {
        dd = el("dd", {}, el("ul", {}, ...value.map((line) =>
          el("li", { text: line.name + (line.required ? "" : "（如有）") + (line.note ? "：" + line.note : "") }))));
      } else {
        dd = el("dd", { text: value || "—" });
      }
      dl.append(el("dt", { text: label }), dd);
    }
    show("step-detail");
  }

  /* --- 3. slots from the hall's real capacity --- */
  async function loadSlots(service) {
    const data = await api("GET", base + "/slots?service=" + encodeURIComponent(service) + "&days=14");
    const days = clear($("days"));
    const open = data.days.filter((d) => d.slots.some(usable));
    const first = open.length ? open[0] : data.days[0];
    for (const d of data.days) {
      const [y, m, dd] = d.day.split("-").map(Number);
      const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, dd)).getUTCDay()];
      const button = el("button", { type: "button", "data-day": d.day, onclick: () => pickDay(d, button) },
        m + "月" + dd + "日", el("br"), "周" + weekday, d.rest_day ? el("span", { class: "rest", text: "休" }) : null);
      days.append(button);
      if (d === first) pickDay(d, button);
    }
  }

  /* A slot one may take: places left, and not the booking's own slot when rescheduling. */
  function usable(s) {
    return s.left > 0 && !(state.moving && state.booking && s.start === state.booking.slot_start);
  }

  function pickDay(d, button) {
    for (const b of $("days").children) b.classList.toggle("on", b === button);
    const slots = clear($("slots"));
    for (const s of d.slots) {
      const current = state.moving && state.booking && s.start === state.booking.slot_start;
      const note = current ? "当前预约" : s.left > 0 ? "余" + s.left + "个" : "已约满";
      slots.append(el("button", { type: "button", "data-start": s.start, disabled: !usable(s), onclick: () => pickSlot(s) },
        hm(s.start) + "–" + hm(s.end), el("span", { class: "left", text: note })));
    }
    $("slots-empty").hidden = d.slots.some(usable);
  }

  async function toSlots() {
    $("slot-title").textContent = (state.moving ? "改约：" : "") + "选择预约时段";
    // The slots shown last time (another booking, or before a move) must not be tapped while the
    // new ones load: they would book or move to a slot read for another purpose.
    clear($("days"));
    clear($("slots"));
    $("slots-empty").hidden = true;
    show("step-slot");
    try { await loadSlots(state.moving ? state.booking.service : state.matter.service); }
    catch (e) { $("slots-empty").hidden = false; $("slots-empty").textContent = e.message; }
  }

  function pickSlot(s) {
    state.slot = s;
    if (state.moving) { moveTo(s); return; }
    $("chosen").textContent = state.matter.name + "　" + slotText(s.start, s.end);
    $("book-error").textContent = "";
    show("step-who");
  }

  /* --- 4. book --- */
  async function book(event) {
    event.preventDefault();
    $("book-error").textContent = "";
    const idNumber = $("id-number").value.trim().toUpperCase();
    const form = {
      service: state.matter.service, matter: state.matter.code, name: $("name").value.trim(),
      id_number: idNumber, phone: $("phone").value.trim(),
      slot_start: new Date(state.slot.start * 1000).toISOString(), slot_end: new Date(state.slot.end * 1000).toISOString(),
    };
    $("submit").disabled = true;
    try {
      const booked = await api("POST", base, form, { idempotent: true });
      state.idNumber = idNumber;
      $("id-number").value = "";
      done(booked, "预约成功");
    } catch (e) {
      $("book-error").textContent = e.message;
    } finally {
      $("submit").disabled = false;
    }
  }

  /* --- 5. the code, the QR, and what may follow --- */
  function done(b, title) {
    state.booking = b;
    $("done-title").textContent = title;
    $("code").textContent = b.qr_payload;
    $("qr").src = "data:image/svg+xml;base64," + btoa(b.qr_svg);
    const cancelled = b.state === "cancelled";
    $("step-done").classList.toggle("cancelled", cancelled);
    const facts = clear($("done-facts"));
    const matter = state.matters.find((m) => m.service === b.service && state.matter && m.code === state.matter.code);
    facts.append(el("dt", { text: "业务" }), el("dd", { text: b.service_name + (matter ? "（" + matter.name + "）" : "") }));
    facts.append(el("dt", { text: "时间" }), el("dd", { text: slotText(b.slot_start, b.slot_end) }));
    facts.append(el("dt", { text: "状态" }), el("dd", { text: STATES[b.state] || b.state }));
    const open = b.state === "booked" && b.slot_start * 1000 > Date.now();
    $("reschedule").hidden = !open;
    $("cancel").hidden = !open;
    $("again").hidden = open;
    $("cancel-confirm").hidden = true;
    $("done-error").textContent = "";
    show("step-done");
  }
  const STATES = { booked: "已预约", checked_in: "已签到", walked_in: "已现场取号", cancelled: "已取消" };

  async function cancel() {
    try {
      const b = await api("POST", base + "/cancel", { code: state.booking.code, id_number: state.idNumber }, { idempotent: true });
      done(b, "预约已取消");
    } catch (e) { $("done-error").textContent = e.message; }
  }

  async function moveTo(s) {
    const form = {
      code: state.booking.code, id_number: state.idNumber,
      slot_start: new Date(s.start * 1000).toISOString(), slot_end: new Date(s.end * 1000).toISOString(),
    };
    try {
      const b = await api("POST", base + "/reschedule", form, { idempotent: true });
      state.moving = false;
      done(b, "改约成功");
    } catch (e) {
      $("slots-empty").hidden = false;
      $("slots-empty").textContent = e.message;
    }
  }

  async function find(event) {
    event.preventDefault();
    $("find-error").textContent = "";
    const idNumber = $("find-id").value.trim().toUpperCase();
    try {
      const b = await api("POST", base + "/find", { code: $("find-code").value.trim().toUpperCase(), id_number: idNumber });
      state.idNumber = idNumber;
      state.matter = null;
      $("find-id").value = "";
      done(b, "我的预约");
    } catch (e) { $("find-error").textContent = e.message; }
  }

  $("back-matter").addEventListener("click", () => show("step-matter"));
  $("back-detail").addEventListener("click", () => show(state.moving ? "step-done" : "step-detail"));
  $("back-slot").addEventListener("click", () => show("step-slot"));
  $("to-slots").addEventListener("click", toSlots);
  $("who").addEventListener("submit", book);
  $("find").addEventListener("submit", find);
  $("cancel").addEventListener("click", () => { $("cancel-confirm").hidden = false; });
  $("cancel-no").addEventListener("click", () => { $("cancel-confirm").hidden = true; });
  $("cancel-yes").addEventListener("click", cancel);
  $("reschedule").addEventListener("click", () => { state.moving = true; toSlots(); });
  $("again").addEventListener("click", () => { state.booking = null; state.idNumber = ""; show("step-matter"); });
  $("tab-book").addEventListener("click", () => show("step-matter"));
  $("tab-mine").addEventListener("click", () => show("step-find"));

  (async () => {
    try {
      const [catalog, bookable] = await Promise.all([api("GET", "api/halls/" + encodeURIComponent(hall) + "/catalog"), api("GET", base + "/services")]);
      state.matters = catalog.matters;
      state.bookable = bookable;
      if (catalog.hall_name) { $("hall-name").textContent = catalog.hall_name; document.title = "预约办事 · " + catalog.hall_name; }
      renderMatters();
    } catch (e) {
      $("matters-empty").hidden = false;
      $("matters-empty").textContent = e.message;
    }
  })();

  // Where the hall is and how to call it (hall file [hall] address, phone), below the forms.
  api("GET", "api/halls/" + encodeURIComponent(hall)).then((info) => {
    $("hall-address").textContent = info.address ? "地址：" + info.address : "";
    $("hall-phone").textContent = info.phone ? "咨询电话：" + info.phone : "";
    $("hall-contact").hidden = !(info.address || info.phone);
  }, () => {});
})();
