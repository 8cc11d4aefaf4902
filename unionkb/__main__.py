"""``python -m unionkb``: the command-line interface."""

from search_cli import main

if __name__ == "__main__":
    main()
