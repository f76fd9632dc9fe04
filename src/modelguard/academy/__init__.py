"""The demo platform in the seed's terms: an academy with courses, trainers and chat.

`models` holds the platform's models, `services` the allocation service and
`workers` the allocation worker whose retries caused the incident.
"""

from modelguard.extras import require_lab

require_lab(__name__)
