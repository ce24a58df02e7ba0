"""`python -m objstore` is the `objstore` command."""

from objstore.cli.main import main

raise SystemExit(main())
