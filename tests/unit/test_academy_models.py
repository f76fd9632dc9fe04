"""The platform's models: every one registered through the guard, and the two messages apart."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest

import modelguard
from modelguard import SchemaConflictError
from modelguard.bootstrap import fresh_process
from modelguard.registry.loading import execute_file

PLATFORM = {
    "User", "Course", "Message", "Notification", "DeviceToken", "Analytics",
    "Exam", "Quiz", "CourseVideo", "PdfMaterial",
    "ChatMessage", "Doubt", "DoubtReply", "MediaAttachment",
    "Allocation", "ProcessedEvent",
}  # fmt: skip


@pytest.fixture(autouse=True)
def platform():
    """The platform as a new process imports it, whatever earlier tests did to this one."""
    fresh_process()
    load = importlib.import_module
    yield SimpleNamespace(
        academy=load("modelguard.academy.models"),
        user=load("modelguard.academy.models.shared.user"),
        shared_message=load("modelguard.academy.models.shared.message"),
        chat_message=load("modelguard.academy.models.chat_service.message"),
    )
    fresh_process()


def test_importing_the_models_registers_the_whole_platform_in_the_default_registry(platform):
    academy = platform.academy
    assert PLATFORM <= set(modelguard.models)
    for name in PLATFORM:
        assert getattr(academy, name) is modelguard.models[name]


def test_running_a_model_file_again_returns_the_model_compiled_first(platform):
    academy, user_module = platform.academy, platform.user
    again = execute_file(user_module.__file__, "admin_service_build_user")
    assert again.User is academy.User
    assert again.UserSchema is not user_module.UserSchema


def test_the_two_message_models_have_their_own_names_and_collections(platform):
    academy = platform.academy
    assert academy.Message._get_collection_name() == "messages"
    assert academy.ChatMessage._get_collection_name() == "chat_messages"


def test_the_guard_would_hand_the_chat_service_the_shared_message_schema_silently(platform):
    academy, chat_message = platform.academy, platform.chat_message
    guarded = modelguard.models.get("Message") or modelguard.model(
        "Message", chat_message.ChatMessageSchema
    )
    assert guarded is academy.Message
    assert "room_id" not in guarded._fields  # the chat service would get no room at all


def test_define_refuses_the_chat_message_schema_under_the_shared_name(platform):
    academy = platform.academy
    chat_message, shared_message = platform.chat_message, platform.shared_message
    with pytest.raises(SchemaConflictError) as raised:
        modelguard.define("Message", chat_message.ChatMessageSchema)
    differences = raised.value.differences
    assert "field `room_id` is new" in differences
    assert "field `recipient_id` is missing from the new schema" in differences
    assert "collection 'messages' became 'chat_messages'" in differences
    assert modelguard.define("Message", shared_message.MessageSchema) is academy.Message


def test_trainers_have_skills_and_a_load(mongo, platform):
    academy = platform.academy
    trainer = academy.User(
        name="Grace", email="grace@example.com", role="trainer", skills=["python"]
    ).save()
    assert academy.User.objects.get(id=trainer.id).load == 0
