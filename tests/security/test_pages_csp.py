"""The pages run under the server's Content-Security-Policy in a real Chromium: no script, style or
connection of theirs is blocked (the console, the managers' pages with their chart library, the
citizen page), and the A4 document's print button (its one inline script, allowed by hash) still
works."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from harness.factories import PASSWORD
from tests.web.conftest import Web

# Records every violation the page reports, from before its first script runs.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
window.print = () => { window.__printed = true; };
"""


def _document_url(web: Web) -> tuple[str, str]:
    """A served visit's citizen token and the URL of the A4 notice its case produced."""
    zhang = web.login("zhang")
    ticket = web.dh.issue("A", matter="A01")
    base = f"/api/halls/{web.code}/windows/1"
    for step in ("sign-in", "open", "next", "start"):
        assert zhang.post(f"{base}/{step}").status_code == 200
    body = {"case_type": "supplement", "missing_materials": ["A01-M1"], "applicant_name": "李雷"}
    finished = zhang.post(f"{base}/finish", json=body, headers={"Idempotency-Key": "csp-1"})
    assert finished.status_code == 200, finished.text
    return ticket.ticket_id, finished.json()["case"]["documents"][0]["url"]


def _open(page: Page, url: str) -> list[str]:
    page.goto(url, wait_until="networkidle")
    violations: list[str] = page.evaluate("window.__violations")
    return violations


def test_the_pages_run_under_the_policy(web: Web, browser: Browser) -> None:
    token, document = _document_url(web)
    context = browser.new_context(base_url=web.server.url)
    try:
        context.add_init_script(WATCH)
        page = context.new_page()
        signed_in = page.request.post(
            "/api/auth/token", data={"hall": web.code, "login": "manager", "password": PASSWORD}
        )
        assert signed_in.ok
        pages = ["/console", "/console/manage", "/console/overview", "/console/stats", "/console/evaluation"]
        for url in [f"{p}?hall={web.code}" for p in pages] + [f"/t/{token}", document]:
            if page.request.get(url).status == 404:  # a managers' page not in this build
                continue
            assert _open(page, url) == [], url
        page.click(".toolbar button")
        assert page.evaluate("window.__printed === true")
    finally:
        context.close()
