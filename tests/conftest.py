"""Configuration shared by every test directory.

Pytest (in its default "prepend" import mode) puts the directory of this file on
sys.path, so that suites shared between directories import by their place under
tests/: ``from contract.broker_contract import BrokerContract`` runs one broker
contract against the memory adapter in unit/ and against Kafka in integration/.
"""


def pytest_terminal_summary(terminalreporter):
    """Print the figures a test recorded as its "summary" property (the Mongoose
    differential test's sequence count and time), also from xdist workers."""
    lines = [
        f"{report.nodeid}: {value}"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for key, value in getattr(report, "user_properties", ())
        if key == "summary"
    ]
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
