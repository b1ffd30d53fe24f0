"""`python -m assistant` runs the same CLI as the `reflect` script."""

from assistant.cli import main

raise SystemExit(main())
