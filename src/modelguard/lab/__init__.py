"""The experiments: the incident report's scenarios, the soak, growth and the bench.

Each runs the real worker over a broker port and a database and counts what happened;
no figure is written down in advance.
"""

from modelguard.extras import require_lab

require_lab(__name__)
