"""Helpers shared by the tests: constants, sample files and queries, never fixtures (those live in
the conftest.py files) and never imported from a test file."""
