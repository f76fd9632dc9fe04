"""The worker's Prometheus metrics: what an operator would have watched during the incident.

It decides the metric names, labels and units, following Prometheus conventions
(a ``modelguard_`` prefix, counters ending in ``_total``, time in seconds):

- ``modelguard_attempts_total{outcome, error_class}``: every delivery handled, by what
  happened to it (an `Outcome`: succeeded, retrying, dead_lettered) and the error's class
  ("none" when it succeeded);
- ``modelguard_retries_total{error_class}`` and ``modelguard_dead_letters_total{error_class}``:
  records published to the retry topic and to the DLQ;
- ``modelguard_handler_duration_seconds{outcome}``: how long the handler ran, "ok" or "error";
- ``modelguard_service_loads_total``: how often the worker loaded its service;
- ``modelguard_model_compilations_total{model}``: how often code asked the process's model
  registry to compile each model. More than one for a model in one process means a model
  file ran twice: the incident's signal, visible from the first retry on, long before
  the DLQ fills.

The last two are read from their owners (the model registry's ``compilations`` and
the build's ``loads``) at scrape time, so they can never drift from what the process
did. Every ``WorkerMetrics`` registers into the ``CollectorRegistry`` it is given and
nothing registers at import time, so a test, an embedded scenario's simulated process,
or a notebook has metrics of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from modelguard.messaging.consumer import Attempt
from modelguard.messaging.outcome import Outcome

NO_ERROR = "none"

# Handler times run from a few milliseconds (a cached service, an in-memory database)
# to seconds (a per-call load, a database that is away).
HANDLER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_F = TypeVar("_F", bound=Callable[..., Any])


class _ReadAtScrape(Collector):
    """A counter family whose values are read from their owner when scraped: ``read()``
    returns label value to count when ``label`` is given, else one count."""

    def __init__(
        self, name: str, documentation: str, read: Callable[[], Any], label: str | None = None
    ) -> None:
        self._name, self._documentation, self._read, self._label = name, documentation, read, label

    def collect(self) -> Iterator[Metric]:
        if self._label is None:
            yield CounterMetricFamily(self._name, self._documentation, value=self._read())
            return
        family = CounterMetricFamily(self._name, self._documentation, labels=[self._label])
        for value_of_label, count in sorted(dict(self._read()).items()):
            family.add_metric([value_of_label], count)
        yield family

    def describe(self) -> Iterator[Metric]:
        # Without describe(), registering would call collect() to learn the names.
        labels = [] if self._label is None else [self._label]
        yield CounterMetricFamily(self._name, self._documentation, labels=labels)


class WorkerMetrics:
    """One worker process's metrics, registered in ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.attempts = Counter(
            "modelguard_attempts",
            "Deliveries handled, by outcome and error class.",
            ["outcome", "error_class"],
            registry=registry,
        )
        self.retries = Counter(
            "modelguard_retries",
            "Records republished to the retry topic, by error class.",
            ["error_class"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "modelguard_dead_letters",
            "Records published to the dead letter topic, by error class.",
            ["error_class"],
            registry=registry,
        )
        self.handler_duration = Histogram(
            "modelguard_handler_duration_seconds",
            "Time spent in the event handler, by whether it returned or raised.",
            ["outcome"],
            buckets=HANDLER_BUCKETS,
            registry=registry,
        )

    def watch_compilations(self, compilations: Mapping[str, int]) -> None:
        """Expose a model registry's ``compilations`` (model name to count)."""
        self.registry.register(
            _ReadAtScrape(
                "modelguard_model_compilations",
                "Requests to compile each model in this process's model registry, whether "
                "they succeeded or raised; more than one per model means a file ran twice.",
                lambda: compilations,
                "model",
            )
        )

    def watch_service_loads(self, loads: Callable[[], int]) -> None:
        """Expose how often the worker loaded its service, as ``loads()`` reports it."""
        self.registry.register(
            _ReadAtScrape(
                "modelguard_service_loads",
                "Times the worker loaded its allocation service.",
                loads,
            )
        )

    def observe(self, attempt: Attempt) -> None:
        """Count one consumer report; fits RetryingConsumer's ``on_attempt``."""
        error_class = attempt.error_class or NO_ERROR
        self.attempts.labels(attempt.outcome, error_class).inc()
        if attempt.outcome == Outcome.RETRYING:
            self.retries.labels(error_class).inc()
        elif attempt.outcome == Outcome.DEAD_LETTERED:
            self.dead_letters.labels(error_class).inc()

    def timed(self, handler: _F) -> _F:
        """``handler``, timed into the handler histogram."""

        def timed_handler(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            outcome = "error"
            try:
                result = handler(*args, **kwargs)
                outcome = "ok"
                return result
            finally:
                self.handler_duration.labels(outcome).observe(time.perf_counter() - started)

        return timed_handler  # type: ignore[return-value]

    def snapshot(self) -> dict[str, float]:
        """Every sample but histogram buckets and creation times, keyed as Prometheus
        prints them (``name{label="value",...}``): a plain dict a notebook can plot."""
        samples: dict[str, float] = {}
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name.endswith(("_bucket", "_created")):
                    continue
                samples[sample_key(sample.name, sample.labels)] = sample.value
        return samples


def sample_key(name: str, labels: Mapping[str, str]) -> str:
    """``name{a="1",b="2"}`` with labels in name order, or ``name`` without labels."""
    if not labels:
        return name
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}"
