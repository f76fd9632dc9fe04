import sys

from modelguard.cli import main

sys.exit(main())
