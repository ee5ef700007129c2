"""``python -m ansedu``: the ``ansedu`` command (see :mod:`ansedu.cli`)."""

from ansedu.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
