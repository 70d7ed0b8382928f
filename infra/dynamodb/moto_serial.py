"""moto's DynamoDB in server mode, one request at a time.

`moto_server` hands concurrent requests to threads that change its in-memory
tables without a lock, so two UpdateItem calls on one item can lose an update
(measured here: 50 concurrent increments of one cart line ended at 46).
DynamoDB applies each single-item write atomically. This launcher runs the
same moto application (the one `moto_server` runs) behind a lock, so the
emulator keeps DynamoDB's per-item atomicity and the concurrency tests test
our code, not moto's threads.

Usage: .venv/bin/python infra/dynamodb/moto_serial.py [-H 127.0.0.1] [-p 5000]
"""

import argparse
import os
import signal
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def serialised(app):
    """Wrap a WSGI app so that one request at a time runs inside it."""
    lock = threading.Lock()

    def wsgi(environ, start_response):
        with lock:
            # Consume the body inside the lock: the app may build it lazily.
            return list(app(environ, start_response))

    return wsgi


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        serialised(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
