"""The worker's metrics: names, labels, and that they count what the consumer did."""

from __future__ import annotations

from collections import Counter

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from modelguard.config import dlq_topic, retry_topic
from modelguard.messaging.consumer import Attempt, RetryingConsumer
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.events import PurchaseCreated
from modelguard.ops.metrics import WorkerMetrics, sample_key

TOPIC, GROUP = "purchases", "allocation-worker"


def scraped(metrics: WorkerMetrics) -> dict[str, float]:
    """What a Prometheus server would read: the text exposition, parsed back."""
    text = generate_latest(metrics.registry).decode()
    return {
        sample_key(sample.name, sample.labels): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def metrics():
    return WorkerMetrics(CollectorRegistry())


def test_two_workers_in_one_process_count_separately():
    first, second = WorkerMetrics(CollectorRegistry()), WorkerMetrics(CollectorRegistry())
    first.observe(Attempt("e1", 1, "succeeded"))
    assert scraped(first)['modelguard_attempts_total{error_class="none",outcome="succeeded"}'] == 1
    assert 'modelguard_attempts_total{error_class="none",outcome="succeeded"}' not in scraped(
        second
    )


def test_attempts_retries_and_dead_letters_are_counted_by_error_class(metrics):
    for attempt in (
        Attempt("e1", 1, "retrying", "InjectedFailure"),
        Attempt("e1", 2, "succeeded"),
        Attempt("e2", 5, "dead_lettered", "OverwriteModelError"),
        Attempt(None, 1, "dead_lettered", "MalformedEvent"),
    ):
        metrics.observe(attempt)
    samples = scraped(metrics)
    retrying = 'modelguard_attempts_total{error_class="InjectedFailure",outcome="retrying"}'
    assert samples[retrying] == 1
    assert samples['modelguard_attempts_total{error_class="none",outcome="succeeded"}'] == 1
    assert samples['modelguard_retries_total{error_class="InjectedFailure"}'] == 1
    assert samples['modelguard_dead_letters_total{error_class="OverwriteModelError"}'] == 1
    assert samples['modelguard_dead_letters_total{error_class="MalformedEvent"}'] == 1
    assert 'modelguard_retries_total{error_class="none"}' not in samples


def test_compilations_and_service_loads_are_read_when_scraped(metrics):
    compilations: Counter[str] = Counter()
    loads = [0]
    metrics.watch_compilations(compilations)
    metrics.watch_service_loads(lambda: loads[0])
    assert "modelguard_service_loads_total" in scraped(metrics)
    compilations.update({"User": 3, "Course": 1})
    loads[0] = 3
    samples = scraped(metrics)
    assert samples['modelguard_model_compilations_total{model="User"}'] == 3
    assert samples['modelguard_model_compilations_total{model="Course"}'] == 1
    assert samples["modelguard_service_loads_total"] == 3


def test_the_handler_histogram_times_returns_and_raises(metrics):
    def handler(event, attempt):
        if attempt > 1:
            raise RuntimeError("no")
        return "allocated"

    timed = metrics.timed(handler)
    assert timed(None, 1) == "allocated"
    with pytest.raises(RuntimeError):
        timed(None, 2)
    samples = scraped(metrics)
    assert samples['modelguard_handler_duration_seconds_count{outcome="ok"}'] == 1
    assert samples['modelguard_handler_duration_seconds_count{outcome="error"}'] == 1
    assert samples['modelguard_handler_duration_seconds_bucket{le="+Inf",outcome="ok"}'] == 1
    assert samples['modelguard_handler_duration_seconds_sum{outcome="ok"}'] >= 0


def test_every_name_follows_the_prometheus_conventions(metrics):
    metrics.watch_compilations(Counter({"User": 1}))
    metrics.watch_service_loads(lambda: 1)
    metrics.observe(Attempt("e1", 1, "retrying", "InjectedFailure"))
    metrics.timed(lambda: None)()
    text = generate_latest(metrics.registry).decode()
    # prometheus_client adds a *_created gauge beside each counter and histogram.
    families = {
        f.name: f.type
        for f in text_string_to_metric_families(text)
        if not f.name.endswith("_created")
    }
    assert families == {
        "modelguard_attempts": "counter",
        "modelguard_retries": "counter",
        "modelguard_dead_letters": "counter",
        "modelguard_handler_duration_seconds": "histogram",
        "modelguard_model_compilations": "counter",
        "modelguard_service_loads": "counter",
    }
    counters = [line.split("{")[0].split(" ")[0] for line in text.splitlines()
                if line and not line.startswith("#") and "_created" not in line
                and "duration" not in line]  # fmt: skip
    assert counters and all(name.endswith("_total") for name in counters)


def test_a_consumer_observed_through_its_callbacks_fills_the_metrics(metrics):
    bus = MemoryBroker()
    for topic in (TOPIC, retry_topic(TOPIC), dlq_topic(TOPIC)):
        bus.create_topic(topic)

    def handler(event: PurchaseCreated, attempt: int) -> None:
        if event.event_id == "bad" or attempt < 3:
            raise ValueError(f"attempt {attempt}")

    consumer = RetryingConsumer(
        bus, TOPIC, GROUP, metrics.timed(handler), on_attempt=metrics.observe
    )
    with bus.producer() as producer:
        for event_id in ("good", "bad"):
            producer.publish(TOPIC, PurchaseCreated(event_id, "p", "u", "c").to_bytes(), key=b"k")
        producer.publish(TOPIC, b"not json", key=b"k")
    for _ in range(30):
        consumer.poll_once(0.01)
    consumer.close()

    samples = scraped(metrics)
    assert samples['modelguard_attempts_total{error_class="none",outcome="succeeded"}'] == 1
    # "good" retried twice, "bad" four times before its fifth attempt was dead-lettered.
    assert samples['modelguard_retries_total{error_class="ValueError"}'] == 6
    assert samples['modelguard_dead_letters_total{error_class="ValueError"}'] == 1
    assert samples['modelguard_dead_letters_total{error_class="MalformedEvent"}'] == 1
    assert len(bus.topic_records(dlq_topic(TOPIC))) == 2
    assert samples['modelguard_handler_duration_seconds_count{outcome="error"}'] == 7
    assert samples['modelguard_handler_duration_seconds_count{outcome="ok"}'] == 1
    bus.close()


def test_a_snapshot_leaves_out_buckets_and_creation_times(metrics):
    metrics.observe(Attempt("e1", 1, "succeeded"))
    metrics.timed(lambda: None)()
    snapshot = metrics.snapshot()
    assert snapshot['modelguard_attempts_total{error_class="none",outcome="succeeded"}'] == 1
    assert snapshot['modelguard_handler_duration_seconds_count{outcome="ok"}'] == 1
    assert not [key for key in snapshot if "_bucket" in key or "_created" in key]


def test_the_worker_serves_its_metrics_over_http(metrics):
    import urllib.request

    from modelguard.ops.worker_runtime import serve_metrics

    metrics.observe(Attempt("e1", 1, "dead_lettered", "OverwriteModelError"))
    server = serve_metrics(metrics, "127.0.0.1", 0)
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'modelguard_dead_letters_total{error_class="OverwriteModelError"} 1.0' in body
