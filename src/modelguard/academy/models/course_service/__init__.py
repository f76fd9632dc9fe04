"""The course service's models: exams, quizzes and course material."""
