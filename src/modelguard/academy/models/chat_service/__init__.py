"""The chat service's models: course-room messages, doubts and their replies."""
