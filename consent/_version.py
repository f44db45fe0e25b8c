"""The package version: this literal is its one source (packaging reads it, so does the code)."""

__version__ = "0.2.0"
