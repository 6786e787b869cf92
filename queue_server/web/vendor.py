"""Browser libraries installed from the npm registry at set-up and served by the hall's own server.

``package.json`` / ``package-lock.json`` beside this module pin them; ``npm ci`` here (scripts/bootstrap
runs it) puts them in ``node_modules/``, which git ignores. Halls run on a closed network, so a page
never loads a library from a CDN; a server whose set-up skipped ``npm ci`` says so in its log and in the
page, rather than showing a broken one.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from fastapi.responses import FileResponse

from queue_server.errors import NotFoundError

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules"
# Name served under /static/vendor/ → file in node_modules.
ASSETS = {"echarts.min.js": NODE_MODULES / "echarts" / "dist" / "echarts.min.js"}
CHARTS = "echarts.min.js"
INSTALL_HINT = f"run `npm ci` in {HERE} (scripts/bootstrap does it)"
# A year: the URL carries the installed version, so a new version is a new URL.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def asset(name: str) -> Path | None:
    """The installed file of a served name, or None when it is not installed."""
    path = ASSETS.get(name)
    return path if path is not None and path.is_file() else None


@cache
def _warn_missing(name: str) -> None:
    # Once per process and name: every page view would otherwise repeat it.
    log.error("web asset %s is not installed (%s missing): %s", name, ASSETS[name], INSTALL_HINT)


def check() -> bool:
    """Whether every served library is installed; logs each missing one (the server calls this at start)."""
    missing = [name for name in ASSETS if asset(name) is None]
    for name in missing:
        _warn_missing(name)
    return not missing


def chart_tag() -> str:
    """The chart library's script tag for a page, or a visible zh-CN notice when it is missing."""
    if asset(CHARTS) is None:
        _warn_missing(CHARTS)
        return (
            '<p class="vendor-missing" role="alert">图表组件（ECharts）未安装，图表无法显示，'
            "下方数据表与导出不受影响。请管理员在服务器上运行 scripts/bootstrap"
            "（或在 queue_server/web 目录运行 npm ci）。</p>"
        )
    return f'<script src="/static/vendor/{CHARTS}?v={_version(ASSETS[CHARTS])}"></script>'


def _version(path: Path) -> str:
    # The file's size and time stand for its version: cheap, and they change with every install.
    stat = path.stat()
    return f"{stat.st_size:x}{int(stat.st_mtime):x}"


def serve(name: str) -> FileResponse:
    path = asset(name)
    if path is None:
        if name in ASSETS:
            _warn_missing(name)
            raise NotFoundError(f"{name} 未安装：{INSTALL_HINT}", what="asset", name=name)
        raise NotFoundError("未找到该文件。", what="static")
    return FileResponse(path, media_type="text/javascript; charset=utf-8", headers=IMMUTABLE)
