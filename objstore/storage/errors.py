"""Domain errors raised by storage; the HTTP layer maps each to its S3 wire error."""


class StorageError(Exception):
    """Base class: something the caller asked for cannot be done."""


class NoSuchBucket(StorageError):
    def __init__(self, bucket: str) -> None:
        super().__init__(bucket)
        self.bucket = bucket


class BucketAlreadyOwnedByYou(StorageError):
    def __init__(self, bucket: str) -> None:
        super().__init__(bucket)
        self.bucket = bucket


class BucketAlreadyExists(StorageError):
    def __init__(self, bucket: str) -> None:
        super().__init__(bucket)
        self.bucket = bucket


class BucketNotEmpty(StorageError):
    def __init__(self, bucket: str) -> None:
        super().__init__(bucket)
        self.bucket = bucket


class NoSuchKey(StorageError):
    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(key)
        self.bucket = bucket
        self.key = key


class NoSuchUpload(StorageError):
    def __init__(self, upload_id: str) -> None:
        super().__init__(upload_id)
        self.upload_id = upload_id


class InvalidPart(StorageError):
    def __init__(self, part_number: int, etag: str) -> None:
        super().__init__(part_number)
        self.part_number = part_number
        self.etag = etag


class InvalidPartOrder(StorageError):
    pass


class EntityTooSmall(StorageError):
    def __init__(self, part_number: int, size: int, min_size: int) -> None:
        super().__init__(part_number)
        self.part_number = part_number
        self.size = size
        self.min_size = min_size


class PreconditionFailed(StorageError):
    """A conditional write (If-Match / If-None-Match) found the key in another state."""

    def __init__(self, condition: str) -> None:
        super().__init__(condition)
        self.condition = condition


class ObjectChanged(StorageError):
    """The object was replaced or deleted between reading it and updating it in place."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(key)
        self.bucket = bucket
        self.key = key
