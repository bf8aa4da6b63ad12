"""dbrun: apply a pure-SQL PostgreSQL schema repository safely."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dbrun")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
