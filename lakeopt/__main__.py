import sys

from lakeopt.cli import main

sys.exit(main())
