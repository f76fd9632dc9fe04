"""Ways in: the command line, the worker process, the lint check and the walkthrough."""
