"""A real help-center server for the fault tests, run as its own process (python -m ...).

Serves the app built from the environment (KB_CONTENT_DIR, KB_DATA_DIR) with werkzeug's threaded
server on 127.0.0.1, printing the port it got. With KB_FAULT_PAUSE=<file>, every unit of work
that has inserted a ticket stops after its INSERTs reached the database and before COMMIT,
creating <file> first: the moment a test kills the process with SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from desk.models import Ticket
from kb.settings import Settings
from webapp import create_app


def main() -> None:
    settings = Settings.from_env()
    app = create_app(settings)
    pause = sys.argv[1] if len(sys.argv) > 1 else ""
    if pause:

        @event.listens_for(Session, "after_flush")
        def stop_before_commit(session: Session, _context: object) -> None:
            if any(isinstance(row, Ticket) for row in session.new):  # still pre-flush state here
                Path(pause).write_text("in transaction")
                time.sleep(120)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
