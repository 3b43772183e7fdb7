"""The storage error, apart from ``dataset`` (pyarrow's dataset machinery, 30 ms to import):
a command catches it without loading what raises it."""


class StorageError(RuntimeError):
    """A dataset that cannot be read or written; the message names the file."""
