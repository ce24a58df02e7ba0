"""The storage facade in-process: named bucket settings (the bucket default encryption
will be one), kept with the bucket and gone with it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from objstore.storage.errors import NoSuchBucket
from objstore.storage.store import Store


@pytest.fixture
async def store(tmp_path: Path):
    executor = ThreadPoolExecutor(2)
    opened = Store(tmp_path, executor)
    await opened.open()
    yield opened
    await opened.close()
    executor.shutdown()


async def test_bucket_settings_live_and_die_with_the_bucket(store: Store,
                                                              tmp_path: Path) -> None:
    await store.create_bucket("configured", "arn:aws:iam::111122223333:root", "us-east-1")
    assert store.bucket_config("configured", "encryption") is None
    rule = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/app"}
    await store.put_bucket_config("configured", "encryption", rule)
    assert store.bucket_config("configured", "encryption") == rule
    assert await store.delete_bucket_config("configured", "encryption")
    assert not await store.delete_bucket_config("configured", "encryption")
    await store.put_bucket_config("configured", "encryption", rule)
    await store.delete_bucket("configured")
    with pytest.raises(NoSuchBucket):
        store.bucket_config("configured", "encryption")
    await store.create_bucket("configured", "arn:aws:iam::111122223333:root", "us-east-1")
    assert store.bucket_config("configured", "encryption") is None
    with pytest.raises(NoSuchBucket):
        await store.put_bucket_config("missing", "encryption", rule)


async def test_settings_survive_a_reopen(tmp_path: Path) -> None:
    executor = ThreadPoolExecutor(2)
    first = Store(tmp_path, executor)
    await first.open()
    await first.create_bucket("kept", "arn:aws:iam::111122223333:root", "us-east-1")
    await first.put_bucket_config("kept", "encryption", {"SSEAlgorithm": "AES256"})
    await first.close()
    second = Store(tmp_path, executor)
    await second.open()
    assert second.bucket_config("kept", "encryption") == {"SSEAlgorithm": "AES256"}
    await second.close()
    executor.shutdown()
