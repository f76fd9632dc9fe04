"""Tables and plots of what the lab measured; nothing here runs an experiment."""

from modelguard.extras import require_lab

require_lab(__name__)
