"""``python -m ccsim`` and the ``ccsim`` console script.

The console script names this module, not ``ccsim.cli``: a spawned worker of
the local pool re-imports the parent's main script, and this one loads the
command line only when called, so workers never import the CLI stack.
"""


def main():
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
