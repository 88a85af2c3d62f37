"""Text every output can encode: lone surrogates, which JSON may escape (`"Ab\\ud800cd"`) and Python reads from
argv bytes that are not UTF-8, replaced by U+FFFD.

Python keeps such a code point in a string but no UTF-8 output can hold it, so a file, an HTTP answer or a table
quoting it failed. Replacing rather than refusing keeps every offset: one code point for one, and offsets count
code points. The CLI's readers, the corpus shards and the server all read texts through `valid_unicode`.
"""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads joins each escaped pair: what is left is alone


def valid_unicode(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)
