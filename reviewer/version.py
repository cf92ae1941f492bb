"""The tool's version (recorded in every review's audit trail); the package re-exports it."""

__version__ = "0.1.0"
