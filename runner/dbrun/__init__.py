"""dbrun: apply a pure-SQL PostgreSQL schema repository safely."""

# The single source of the version (pyproject.toml reads it): importlib.metadata would cost
# ~100 ms of start-up on every command.
__version__ = "0.1.0"
