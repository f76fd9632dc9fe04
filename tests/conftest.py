"""Configuration shared by every test directory.

Pytest (in its default "prepend" import mode) puts the directory of this file on
sys.path, so that suites shared between directories import by their place under
tests/: ``from contract.broker_contract import BrokerContract`` runs one broker
contract against the memory adapter in unit/ and against Kafka in integration/.
"""
