/* hallq window pages: small shared helpers (no framework, no CDN). */
"use strict";

const hallq = (() => {
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || ("请求失败（" + status + "）"));
      this.status = status;
      this.problem = problem || {};
      this.code = this.problem.code || "";
    }
  }

  function requestId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    return "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  async function api(method, path, body, options) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (options && options.idempotent) headers["Idempotency-Key"] = requestId();
    const response = await fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    if (response.status === 204) return null;
    let data = null;
    const text = await response.text();
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /* el("li", {class: "x", text: "…"}, child, …): text is always set as text, never as HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function dateText(iso) {
    if (!iso) return "";
    const [y, m, d] = iso.split("-").map(Number);
    return y + "年" + m + "月" + d + "日";
  }

  function timeText(seconds) {
    if (!seconds) return "";
    return new Date(seconds * 1000).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" });
  }

  /* An EventSource that is re-created if the browser gives up (it retries network errors itself,
     but not an HTTP error such as a 502 from a restarting proxy). */
  function live(url, handlers, onState) {
    let source = null;
    let timer = null;
    function open() {
      source = new EventSource(url, { withCredentials: true });
      source.onopen = () => onState && onState(true);
      source.onerror = () => {
        onState && onState(false);
        if (source.readyState === EventSource.CLOSED && timer === null) {
          timer = setTimeout(() => { timer = null; open(); }, 2000);
        }
      };
      for (const [name, fn] of Object.entries(handlers)) {
        source.addEventListener(name, (event) => {
          let data = null;
          try { data = JSON.parse(event.data); } catch (e) { return; }
          fn(data, event);
        });
      }
    }
    open();
    return { close: () => source && source.close() };
  }

  return { api, ApiError, el, clear, dateText, timeText, live, requestId };
})();
