"""The kit's root conftest. The gradeschool pytest plugin itself is registered through the
`pytest11` entry point in pyproject.toml (install the kit with `pip install -e .`)."""
