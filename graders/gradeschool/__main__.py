import sys

from gradeschool.cli import main

sys.exit(main())
