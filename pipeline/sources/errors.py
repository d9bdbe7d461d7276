"""Errors a maintainer can act on: each names the file or value that was wrong and what to do."""


class SourceFileError(RuntimeError):
    """A source file is corrupt, truncated or not in the expected format."""

    def __init__(self, filename: str, reason: str, hint: str = ""):
        self.filename = filename
        self.reason = reason
        message = f"{filename}: {reason}"
        if hint:
            message += f" {hint}"
        super().__init__(message)


class FetchError(RuntimeError):
    """A source could not be fetched, or the server sent something other than what was asked for."""
