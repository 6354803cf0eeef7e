"""`python -m crm_desktop` runs the command line (no sub-command opens the window)."""

from crm_desktop.cli import main

raise SystemExit(main())
