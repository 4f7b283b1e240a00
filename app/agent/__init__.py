"""The agent: create_agent with safe tools, its memory on the chat store."""
