"""Quality-verifying LLM router and evaluation harness."""

__version__ = "0.1.0"
