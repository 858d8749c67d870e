"""Plumbing shared by every package: the user-facing error type, atomic file writes, devices."""
