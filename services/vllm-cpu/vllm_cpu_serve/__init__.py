"""Real vLLM on CPU: tiny model maker and launcher."""
