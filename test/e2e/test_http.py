"""HTTP/1.1 behaviour a client sees through real sockets: framing (no smuggling), limits, slow
clients, pipelining, concurrency, streaming bodies and graceful shutdown."""
import concurrent.futures
import signal
import socket
import threading
import time

import pytest
import requests

import manifests as m
from conftest import Gateway, free_port


@pytest.fixture(scope="module")
def gw(claimgate_bin, httpbin, tmp_path_factory):
    port = free_port()
    cfg = tmp_path_factory.mktemp("http") / "config"
    cfg.mkdir()
    (cfg / "c.yaml").write_text("\n---\n".join(
        [m.virtual_gateway(port), m.httpbin_service(httpbin), m.route_table([m.route("r", {})])]))
    g = Gateway(claimgate_bin, cfg, port, extra_args=("--request-head-timeout", "2s"))
    yield g
    g.close()


def raw(gw, data: bytes, timeout=10.0, read_all=True) -> bytes:
    s = socket.create_connection(("127.0.0.1", gw.http_port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if not read_all:
                break
    except socket.timeout:
        pass
    s.close()
    return out


def status_of(resp: bytes) -> int:
    return int(resp.split(b" ", 2)[1])


def test_content_length_with_transfer_encoding_400_and_close(gw):
    req = (b"POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"0\r\n\r\nGET /get HTTP/1.1\r\nHost: x\r\n\r\n")
    out = raw(gw, req)
    assert status_of(out) == 400
    assert out.count(b"HTTP/1.1") == 1  # the smuggled request was never answered: closed


def test_differing_duplicate_content_length_400(gw):
    out = raw(gw, b"POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde")
    assert status_of(out) == 400
    assert out.count(b"HTTP/1.1") == 1


def test_malformed_request_line_400(gw):
    assert status_of(raw(gw, b"GARBAGE\r\n\r\n")) == 400


def test_oversize_head_431(gw):
    big = b"GET /get HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n"
    assert status_of(raw(gw, big)) == 431


def test_slow_client_cut_off(gw):
    s = socket.create_connection(("127.0.0.1", gw.http_port), timeout=15)
    s.sendall(b"GET /get HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
    start = time.time()
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pytest.fail("connection was not closed by the gateway")
    elapsed = time.time() - start
    s.close()
    assert elapsed < 12
    if data:
        assert status_of(data) == 408


def test_hundred_pipelined_requests_in_order(gw):
    req = b"".join(b"GET /anything/%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(100))
    req += b"GET /anything/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    out = raw(gw, req, timeout=60)
    assert out.count(b"HTTP/1.1 200") == 101
    positions = [out.find(b'"url": "http://x/anything/%d"' % i) for i in range(100)]
    if positions[0] == -1:  # httpbin's compact JSON
        positions = [out.find(b'/anything/%d"' % i) for i in range(100)]
    assert all(p >= 0 for p in positions)
    assert positions == sorted(positions)


def test_five_hundred_concurrent_connections(gw):
    socks = []
    try:
        for _ in range(500):
            socks.append(socket.create_connection(("127.0.0.1", gw.http_port), timeout=60))
        for s in socks:
            s.sendall(b"GET /get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answered = 0
        for s in socks:
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"HTTP/1.1 200"):
                answered += 1
        assert answered == 500
    finally:
        for s in socks:
            s.close()


def test_large_bodies_stream_both_ways(gw):
    body = b"x" * (3 * 1024 * 1024)
    r = requests.post(gw.url("/anything"), data=body, timeout=60)
    assert r.status_code == 200
    assert len(r.json()["data"]) == len(body)

    def gen():
        for _ in range(64):
            yield b"y" * 16384
    r = requests.post(gw.url("/anything"), data=gen(), timeout=60)  # chunked request body
    assert r.status_code == 200 and len(r.json()["data"]) == 64 * 16384
    # chunked response (httpbin caps stream-bytes at 100 KiB; still several relay buffers)
    r = requests.get(gw.url("/stream-bytes/102400?chunk_size=4096"), timeout=60)
    assert r.status_code == 200 and len(r.content) == 102400


def test_keep_alive_reuses_client_connection(gw):
    with requests.Session() as s:
        for _ in range(20):
            assert s.get(gw.url("/get"), timeout=30).status_code == 200


def test_hop_by_hop_headers_not_forwarded(gw):
    r = requests.get(gw.url("/headers?show_env=1"), headers={"Connection": "keep-alive, X-Secret", "X-Secret": "s",
                                                  "Proxy-Connection": "x", "TE": "trailers"}, timeout=30)
    h = r.json()["headers"]
    assert "X-Secret" not in h and "Proxy-Connection" not in h and "Te" not in h
    assert h["X-Forwarded-For"].split(",")[-1].strip() == "127.0.0.1"


def test_sigterm_drains_in_flight(claimgate_bin, httpbin, tmp_path):
    port = free_port()
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "c.yaml").write_text("\n---\n".join(
        [m.virtual_gateway(port), m.httpbin_service(httpbin), m.route_table([m.route("r", {})])]))
    g = Gateway(claimgate_bin, cfg, port)
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            futs = [ex.submit(requests.get, g.url("/delay/2"), timeout=30) for _ in range(4)]
            time.sleep(0.8)
            g.proc.send_signal(signal.SIGTERM)
            results = [f.result().status_code for f in futs]
        assert results == [200] * 4
        g.proc.wait(timeout=20)
        assert g.proc.returncode == 0
        with pytest.raises(requests.ConnectionError):
            requests.get(g.url("/get"), timeout=2)
    finally:
        g.close()
