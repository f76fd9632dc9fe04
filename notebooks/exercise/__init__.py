"""Notebook 07's exercise: the platform's notification worker, which you fix here.

`notification_worker.py` is the worker and `notifications.py` the service it calls.
Edit them in place; notebook 07's last cell checks your version. `solution/` holds
one way to fix them.
"""
