"""Session-wide test settings.

The validated knowledge base is cached in the user's cache folder between commands
(:mod:`kneecoach.knowledge.cache`). Tests use a folder of their own, so a test run never reads or
writes the developer's cache; the CLI subprocesses the tests start inherit the setting.
"""

from __future__ import annotations

import os
import tempfile

os.environ["KNEECOACH_CACHE_DIR"] = tempfile.mkdtemp(prefix="kneecoach-test-cache-")
