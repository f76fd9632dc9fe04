import sys

from modelguard.entrypoints.cli import main

sys.exit(main())
