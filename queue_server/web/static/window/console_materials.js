/* The pages captured at the kiosk's document camera (高拍仪), beside the materials checklist of the
   citizen at the window: each page as a picture, "有误" with a reason (it goes into the one-time
   notice), the mark taken back. The server decides who sees them (this window while it serves the
   visit, managers); pictures are fetched with the sign-in cookie and never cached. */
"use strict";

window.hallqMaterials = (() => {
  const { api, el, clear } = hallq;
  const hall = document.body.dataset.hall;
  const $ = (id) => document.getElementById(id);

  let loadedFor = null;   // the ticket number whose pages are loaded
  let pages = [];         // MaterialPage list
  let box = null;         // the panel on screen (re-created by every render of the console)
  let windowNo = null;
  let marking = null;     // the page the reason dialog is for

  /* The panel for the visit at `window` (ticket `number`): drawn from what is loaded, loaded when
     the ticket changed. */
  function panel(window, number) {
    windowNo = window;
    box = el("div", { class: "pages", id: "current-pages" });
    if (loadedFor !== number) {
      loadedFor = number;
      pages = [];
      load();
    }
    draw();
    return box;
  }

  async function load() {
    try {
      const reply = await api("GET", "/api/halls/" + hall + "/windows/" + windowNo + "/materials");
      if (reply.ticket !== loadedFor) return;   // the window moved on meanwhile
      pages = reply.pages;
      draw();
    } catch (e) {
      if (box) clear(box).append(el("p", { class: "error", text: "材料图片读取失败：" + e.message }));
    }
  }

  function draw() {
    if (!box) return;
    clear(box);
    if (!pages.length) {
      box.append(el("p", { class: "empty", text: "取号机未拍摄材料" }));
      return;
    }
    box.append(el("h3", { text: "取号机拍摄的材料（" + pages.length + " 页）" }));
    const grid = el("ul", { class: "page-grid" });
    for (const p of pages) {
      const src = "/api/halls/" + hall + "/materials/" + p.id;
      const item = el("li", { "data-page": p.id, "data-material": p.material, class: p.wrong_reason ? "wrong" : "" },
        el("a", { href: src, target: "_blank" }, el("img", { src: src, alt: p.material_name + " 第" + p.page + "页", loading: "lazy" })),
        el("div", { class: "caption", text: p.material_name + " · 第" + p.page + "页" }));
      if (p.wrong_reason) {
        item.append(el("div", { class: "reason", text: "有误：" + p.wrong_reason }),
          el("button", { class: "small", "data-act": "unmark", text: "撤销", onclick: () => mark(p, "") }));
      } else {
        item.append(el("button", { class: "small", "data-act": "mark", text: "标记有误", onclick: () => ask(p) }));
      }
      grid.append(item);
    }
    box.append(grid);
  }

  function ask(p) {
    marking = p;
    const form = $("wrong-form");
    form.reset();
    $("wrong-what").textContent = p.material_name + " 第" + p.page + "页";
    $("wrong-error").textContent = "";
    $("dlg-wrong").showModal();
    form.reason.focus();
  }

  async function mark(p, reason) {
    const reply = await api("POST", "/api/halls/" + hall + "/materials/" + p.id + "/wrong", { reason: reason }, { idempotent: true });
    pages = pages.map((q) => (q.id === reply.id ? reply : q));
    draw();
  }

  /* The codes of materials with a page marked wrong: the finish dialog offers them as missing. */
  function wrongMaterials() {
    return new Set(pages.filter((p) => p.wrong_reason).map((p) => p.material));
  }

  $("wrong-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = event.target.reason.value.trim();
    if (!reason || !marking) return;
    try {
      await mark(marking, reason);
      $("dlg-wrong").close();
    } catch (e) {
      $("wrong-error").textContent = e.message;
    }
  });
  for (const button of document.querySelectorAll("#dlg-wrong [data-close]")) {
    button.addEventListener("click", () => $("dlg-wrong").close());
  }

  return { panel: panel, wrongMaterials: wrongMaterials };
})();
