"""Helpers the book's notebooks share: read-only warehouse access, number formats, static figures."""
