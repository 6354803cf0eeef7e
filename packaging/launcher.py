"""Entry point of the bundled app: the same command line as the `crm-desktop` script."""

from crm_desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
