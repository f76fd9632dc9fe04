"""Operating the worker: what it exposes to Prometheus, and what a DLQ says about it."""
