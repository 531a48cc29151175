"""The help widget's launcher script as the embedding site downloads it (webapp/widget.py): bytes and gzipped bytes,
with the repository's content (its theme and languages written in).

    PYTHONPATH=. .venv/bin/python bench/widget_size.py
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from kb.settings import Settings
from webapp import create_app


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        app = create_app(Settings(content_dir=Path("content"), data_dir=Path(data),
                                  widget_origins=("https://shop.example",)))
        body = app.test_client().get("/widget.js").data
    print(f"widget.js: {len(body)} bytes, {len(gzip.compress(body, 9))} gzipped")


if __name__ == "__main__":
    main()
