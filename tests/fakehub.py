"""A local stand-in for the Hugging Face hub's HTTP API, serving one folder as every repository, so that
`models pull` runs end to end (huggingface_hub's own client, real sockets) where the real hub is out of reach.

It answers the requests a snapshot download makes: the model info (`/api/models/REPO/revision/REV`, giving
the commit), the file tree (`/api/models/REPO/tree/COMMIT`), and HEAD and GET of `/REPO/resolve/COMMIT/FILE`.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from pathlib import Path
from typing import Self
from urllib.parse import unquote


class FakeHub:
    """Serve `folder` as any repository at `commit`; `stall` names a file whose download stops half-way until
    `release` is set (`stalled` is set once it has started)."""

    def __init__(self, folder: Path, commit: str, stall: str | None = None):
        self.folder, self.commit, self.stall = Path(folder), commit, stall
        self.stalled, self.release = threading.Event(), threading.Event()
        self.requests: list[str] = []
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self):
                hub.answer(self, body=False)

            def do_GET(self):
                hub.answer(self, body=True)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def files(self) -> list[str]:
        """The repository's files."""
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file())

    def answer(self, handler, body: bool) -> None:
        """One request of the hub's API."""
        path = unquote(handler.path.split("?")[0])
        self.requests.append(f"{handler.command} {path}")
        if path.startswith("/api/models/") and "/tree/" in path:
            tree = [
                {
                    "type": "file",
                    "path": f,
                    "size": (self.folder / f).stat().st_size,
                    "oid": hashlib.sha1(f.encode()).hexdigest(),
                }
                for f in self.files()
            ]
            self.send(handler, 200, json.dumps(tree).encode(), {"Content-Type": "application/json"}, body)
            return
        if path.startswith("/api/models/"):
            repo = path[len("/api/models/") :].split("/revision/")[0]
            data = {"id": repo, "sha": self.commit, "siblings": [{"rfilename": f} for f in self.files()]}
            self.send(handler, 200, json.dumps(data).encode(), {"Content-Type": "application/json"}, body)
            return
        parts = path.split("/resolve/", 1)
        name = parts[1].split("/", 1)[1] if len(parts) == 2 and "/" in parts[1] else ""
        file = self.folder / name
        if not name or not file.is_file():
            self.send(handler, 404, b"", {"X-Error-Code": "EntryNotFound"}, body)
            return
        content = file.read_bytes()
        headers = {
            "X-Repo-Commit": self.commit,
            "ETag": f'"{hashlib.sha256(content).hexdigest()}"',
            "Content-Type": "application/octet-stream",
        }
        if body and name == self.stall:
            handler.send_response(200)
            for key, value in {**headers, "Content-Length": str(len(content))}.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(content[: len(content) // 2])
            handler.wfile.flush()
            self.stalled.set()
            self.release.wait(120)
            return
        self.send(handler, 200, content, headers, body)

    @staticmethod
    def send(handler, status: int, content: bytes, headers: dict, body: bool) -> None:
        handler.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(content))}.items():
            handler.send_header(key, value)
        handler.end_headers()
        if body:
            handler.wfile.write(content)
