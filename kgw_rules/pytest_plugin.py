"""pytest plugin registered through the `pytest11` entry point; fixtures for testing rules in user suites."""
