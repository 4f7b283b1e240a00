"""The baselines llmchain is measured against: the same chain on bare FastAPI and on LangServe.

Run as `python -m benchmarks.baselines bare|langserve PORT`. Both serve the very chain
llmchain builds (same YAML, same fake model), so only the serving layer differs.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI

from app.chains.registry import load_chains
from app.core.config import load_settings

CHAIN = "product-description"


def bare_app() -> FastAPI:
    """The least a FastAPI app can do: parse the body, invoke the chain, return the output."""
    chain = load_chains(load_settings())[CHAIN].runnable
    app = FastAPI()

    @app.post(f"/{CHAIN}/invoke")
    async def invoke(body: dict[str, Any]) -> dict[str, Any]:
        return {"output": await chain.ainvoke(body["input"])}

    return app


def langserve_app() -> FastAPI:
    """LangServe's `add_routes` on the same chain."""
    from langserve import add_routes

    chain = load_chains(load_settings())[CHAIN].runnable
    app = FastAPI()
    add_routes(app, chain, path=f"/{CHAIN}")
    return app


def main() -> None:
    """Serve one baseline on 127.0.0.1 with one worker."""
    kind, port = sys.argv[1], int(sys.argv[2])
    app = bare_app() if kind == "bare" else langserve_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
