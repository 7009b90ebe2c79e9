"""The kit's root conftest: loads the gradeschool pytest plugin for every test run here."""

pytest_plugins = ["gradeschool.pytest_plugin"]
