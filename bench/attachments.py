"""Benchmark: attachment upload and download throughput per storage backend (issue 15) — ``database``,
``directory`` (a temp folder) and ``s3`` (moto's S3-compatible HTTP server on a free loopback port, so the HTTP
round trips are real; a production store adds its network) — for 1 MB and 10 MB files.

Each run goes through the real REST endpoints (``POST /api/v1/attachment/`` multipart, ``GET …/<pk>/content``)
with the Flask test client, so the figures include the upload checks (type sniffing, sha256), the store writes, the
download's sha256 re-check and the streaming. Uploads use distinct bytes (no dedup shortcut). Printed per backend
and size: the median time of an upload and of a download and the throughput in MB/s, plus the peak memory the
download adds (tracemalloc) — flat for the stores, the file's size for the database.

Builds a throw-away SQLite database in a temp dir (``BENCH_DATABASE_URL`` for another one — it is migrated and
seeded, never point it at a database you care about).

Usage: ``.venv/bin/python bench/attachments.py [--sizes 1,10] [--runs 5]``
"""
from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Demo@2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pdf(size: int, marker: int) -> bytes:
    head = b"%PDF-1.4\n% run " + str(marker).encode() + b"\n"
    tail = b"\n%%EOF\n"
    return head + os.urandom(size - len(head) - len(tail)) + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10", help="file sizes in MB, comma separated")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    import boto3
    from moto.server import ThreadedMotoServer

    from bench._common import seeded_app
    from models.base import db
    from tests import factories

    work = Path(tempfile.mkdtemp(prefix="bench-attachments-"))
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
                 region_name="us-east-1").create_bucket(Bucket="bench")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{work / 'bench.db'}"
    app = seeded_app(url)
    app.config.update(UPLOAD_MAX_BYTES=max(sizes) * 1024 * 1024 + 1024, MAX_CONTENT_LENGTH=max(sizes) * 2 ** 21,
                      ATTACHMENT_DIR=str(work / "blobs"), S3_ENDPOINT_URL=endpoint, S3_BUCKET="bench",
                      S3_ACCESS_KEY_ID="bench", S3_SECRET_ACCESS_KEY="bench", S3_REGION="us-east-1")
    with app.app_context():
        filing_id = factories.filing(factories.demo_enterprise("ent_gz").id).id
        db.session.commit()
    client = app.test_client()
    token = client.post("/api/v1/security/login", json={"username": "ent_gz", "password": PASSWORD,
                                                        "provider": "db"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    marker = 0
    print(f"{'backend':<10} {'size':>6} {'upload s':>9} {'MB/s':>7} {'download s':>11} {'MB/s':>7} "
          f"{'download peak MB':>17}")
    try:
        for backend in ("database", "directory", "s3"):
            app.config["ATTACHMENT_STORAGE"] = backend
            for mb in sizes:
                ups, downs = [], []
                for run in range(args.runs + 1):  # the last run measures memory (tracemalloc slows it down)
                    marker += 1
                    data = _pdf(mb * 1024 * 1024, marker)
                    started = time.perf_counter()
                    made = client.post("/api/v1/attachment/", headers=headers, content_type="multipart/form-data",
                                       data={"file": (io.BytesIO(data), "bench.pdf"), "kind": "OTHER",
                                             "filing_id": str(filing_id)})
                    upload_time = time.perf_counter() - started
                    assert made.status_code == 201, made.get_data(as_text=True)[:300]
                    pk = made.get_json()["id"]
                    traced = run == args.runs
                    if traced:
                        tracemalloc.start()
                    started = time.perf_counter()
                    response = client.get(f"/api/v1/attachment/{pk}/content", headers=headers, buffered=False)
                    received = sum(len(chunk) for chunk in response.response)
                    download_time = time.perf_counter() - started
                    response.close()
                    assert received == len(data), (received, len(data))
                    if traced:
                        peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
                        tracemalloc.stop()
                    else:
                        ups.append(upload_time)
                        downs.append(download_time)
                up, down = statistics.median(ups), statistics.median(downs)
                print(f"{backend:<10} {mb:>4}MB {up:>9.3f} {mb / up:>7.1f} {down:>11.3f} {mb / down:>7.1f} "
                      f"{peak:>17.1f}")
        print("download peak: Python memory allocated while the download ran (for s3 it includes the moto server, "
              "which runs in this process and holds the object)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
