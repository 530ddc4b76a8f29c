"""vLLM OpenAI-compatible server simulator."""
