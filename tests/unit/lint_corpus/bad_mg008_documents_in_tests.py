# expect: MG008@19 MG008@26 MG008@33 MG008@41 MG008@47
"""Throwaway documents in tests, fixtures and their helpers: opt-in only.

A test runner calls these when it decides, not once per event or retry, so a
default run reports none of them; a fixture's `request` does not make it a
handler. `--select MG008` lists them.
"""

import pytest
import unittest
from mongoengine import Document, fields

from mg003_project_base import ProjectDocument


@pytest.fixture
def model_class(request):
    """A fixture takes pytest's `request`; it is still a fixture."""
    class Sample(Document):
        name = fields.StringField()

    return Sample


def test_saves_a_throwaway_document():
    class Throwaway(ProjectDocument):
        pass

    assert Throwaway


def make_document(kind):
    class Built(Document):
        pass

    return Built


class AuditTests(unittest.TestCase):
    def setUp(self, request=None):
        class Local(Document):
            pass

        self.local = Local

    def test_built(self):
        class Other(Document):
            pass

        assert make_document(Other)
