"""The service's own page at `/`: try a chain or chat in the browser, no build step.

Plain HTML, CSS and JavaScript from app/web/static, served by the service itself; the
page calls the same /v1 routes as any client, with the API key typed into it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
# Scripts and styles only from the service, nothing inline (inline scripts are refused
# without 'unsafe-inline', a hash or a nonce), fetch() only to the service (connect-src:
# https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy/connect-src,
# read 2026-11-29); `data:` images for the empty favicon the page declares.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def install_web(app: FastAPI) -> None:
    """Serve the page at `/` and its script and style under `/web/`."""

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        """The page; `?chain=NAME` chooses a chain (LangServe's playground/ redirects here)."""
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    app.mount("/web", StaticFiles(directory=STATIC), name="web")
