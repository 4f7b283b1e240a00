"""llmchain: a LangChain service with declarative chains, chat memory and compatible APIs."""

__version__ = "0.1.0"
