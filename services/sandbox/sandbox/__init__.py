"""Execution sandbox: untrusted candidate code against its tests, one unprivileged uid per slot."""

__version__ = "0.1.0"
