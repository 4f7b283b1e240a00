"""llmchain's CrossGuard policy pack: `guardrails/` holds the rules, `__main__.py` serves them."""
