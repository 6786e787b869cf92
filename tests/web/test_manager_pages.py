"""The managers' pages and the chart library behind them, over real HTTP: the library comes from
node_modules (installed by ``npm ci`` at set-up), and a server without it says so in the page and the
log instead of serving a broken page."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from queue_server.web import vendor
from tests.web.conftest import Web

PAGES = {"/console/overview": "大厅总览", "/console/stats": "统计分析", "/console/evaluation": "人员考核"}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_managers_page_is_a_shell_for_its_hall_with_the_navigation(web: Web, path: str) -> None:
    response = web.anonymous().get(path, params={"hall": web.code})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert f'data-hall="{web.code}"' in html
    assert f"<title>{PAGES[path]} — hallq</title>" in html
    for link in ("/console/manage", "/console/overview", "/console/stats", "/console/evaluation"):
        assert f'href="{link}?hall={web.code}"' in html
    assert "{{" not in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_the_statistics_page_loads_echarts_from_the_hall_server(web: Web) -> None:
    assert vendor.check(), "run scripts/bootstrap (npm ci in queue_server/web)"
    client = web.anonymous()
    html = client.get("/console/stats").text
    start = html.index('<script src="/static/vendor/echarts.min.js?v=')
    src = html[start + len('<script src="') : html.index('"', start + len('<script src="'))]
    script = client.get(src)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.content == vendor.ASSETS[vendor.CHARTS].read_bytes()
    assert b"echarts" in script.content[:4096]


def test_a_server_without_the_chart_library_says_so(
    web: Web, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(vendor.ASSETS, vendor.CHARTS, tmp_path / "node_modules" / "echarts.min.js")
    vendor._warn_missing.cache_clear()
    client = web.anonymous()
    with caplog.at_level(logging.ERROR, logger="queue_server.web.vendor"):
        assert not vendor.check()  # what `hallq server` logs at start
        html = client.get("/console/stats").text
        script = client.get("/static/vendor/echarts.min.js")
    assert "图表组件（ECharts）未安装" in html
    assert "/static/vendor/echarts.min.js" not in html
    assert script.status_code == 404
    assert "npm ci" in script.json()["detail"]
    assert any(
        "echarts.min.js is not installed" in r.getMessage() and "npm ci" in r.getMessage()
        for r in caplog.records
    )
    vendor._warn_missing.cache_clear()


def test_only_known_vendor_files_are_served(web: Web) -> None:
    client = web.anonymous()
    assert client.get("/static/vendor/package.json").status_code == 404
    assert client.get("/static/vendor/..%2Fpackage.json").status_code == 404
