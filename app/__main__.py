"""`python -m app`: validate settings and chains, then serve with uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from app.chains.registry import load_chains
from app.core.config import load_settings
from app.core.errors import ConfigError
from app.core.logging import configure_logging
from app.main import create_app


def main() -> int:
    """Start the service; exit 2 with a readable message when the configuration is wrong."""
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        chains = load_chains(settings)
    except ConfigError as exc:
        print(f"llmchain: configuration error: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(settings, chains),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
