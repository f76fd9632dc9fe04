"""Operating the worker: what it exposes to Prometheus, and what a DLQ says about it."""

from modelguard.extras import require_lab

require_lab(__name__)
