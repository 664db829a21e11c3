"""``python -m jmedllm`` runs the CLI."""

from jmedllm.cli import main

if __name__ == "__main__":
    main()
