"""The platform's models; importing this package registers all of them.

Each model lives in its own module and registers itself through the guard
`registry.models.get(NAME) or registry.model(NAME, Schema)`, so running a model
file a second time returns the model compiled the first time.

The seed had two models called "Message": the shared direct message and the
chat service's message in a course room. Under one name the guard would hand
one service the other's schema without a word, so the chat service's model is
`ChatMessage`, stored in its own collection.
"""

from modelguard.academy.models.allocation.allocation import Allocation
from modelguard.academy.models.allocation.processed_event import ProcessedEvent
from modelguard.academy.models.chat_service.doubt import Doubt
from modelguard.academy.models.chat_service.doubt_reply import DoubtReply
from modelguard.academy.models.chat_service.media_attachment import MediaAttachment
from modelguard.academy.models.chat_service.message import ChatMessage
from modelguard.academy.models.course_service.course_video import CourseVideo
from modelguard.academy.models.course_service.exam import Exam
from modelguard.academy.models.course_service.pdf_material import PdfMaterial
from modelguard.academy.models.course_service.quiz import Quiz
from modelguard.academy.models.shared.analytics import Analytics
from modelguard.academy.models.shared.course import Course
from modelguard.academy.models.shared.device_token import DeviceToken
from modelguard.academy.models.shared.message import Message
from modelguard.academy.models.shared.notification import Notification
from modelguard.academy.models.shared.user import User

__all__ = [
    "Allocation",
    "Analytics",
    "ChatMessage",
    "Course",
    "CourseVideo",
    "DeviceToken",
    "Doubt",
    "DoubtReply",
    "Exam",
    "MediaAttachment",
    "Message",
    "Notification",
    "PdfMaterial",
    "ProcessedEvent",
    "Quiz",
    "User",
]
