"""The repository cache keeps values another process encoded (``encode`` then ``put_encoded``) as its own."""

from __future__ import annotations

import json
import sqlite3
import zlib

from mldebt.collectors.repo.cache import Cache, encode

SUMMARY = {"lines": 3, "imports": [["os", 1]], "markers": {"count": 0, "kinds": {}, "at": []}, "name": "caf\u00e9"}


def stored(cache: Cache) -> dict[str, bytes]:
    with sqlite3.connect(cache.path) as db:
        return dict(db.execute("select key, value from entries"))


def test_a_value_encoded_elsewhere_is_stored_as_put_many_stores_it(tmp_path):
    here, there = Cache(tmp_path / "here.sqlite"), Cache(tmp_path / "there.sqlite")
    here.put_many({"py:a": SUMMARY})
    there.put_encoded({"py:a": encode(SUMMARY)})
    assert stored(there) == stored(here)
    assert there.get("py:a") == SUMMARY
    assert json.loads(zlib.decompress(stored(there)["py:a"])) == SUMMARY
    here.close()
    there.close()


def test_encoding_writes_what_json_dumps_writes():
    assert zlib.decompress(encode(SUMMARY)) == json.dumps(SUMMARY, separators=(",", ":")).encode()
