"""Operability: admin /ready, /stats/prometheus, /config_dump (secrets redacted), JSON access log."""
import json
import time

import pytest
import requests

from conftest import Gateway, free_port, now
from seed import dev_claims, seed_docs


@pytest.fixture(scope="module")
def gw(claimgate_bin, httpbin, keys, tls_files, tmp_path_factory):
    cfg = tmp_path_factory.mktemp("admin") / "config"
    cfg.mkdir()
    port, tls_port = free_port(), free_port()
    (cfg / "c.yaml").write_text("\n---\n".join(seed_docs(keys, port, httpbin, tls_port, tls_files)))
    g = Gateway(claimgate_bin, cfg, port, tls_port)
    yield g
    g.close()


def test_ready(gw):
    assert gw.admin("/ready").status_code == 200


def total(text, family, *needles):
    """Sum of the family's series whose line holds every needle."""
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith(family + "{") and all(n in l for n in needles))


def test_stats_count_requests_by_route_and_outcome(gw, keys):
    before = gw.admin("/stats/prometheus").text
    requests.get(gw.url("/get"), timeout=10)  # 401 missing
    requests.get(gw.url("/get"), headers={"X-Auth": "Bearer " + keys.token(dev_claims(now()))}, timeout=10)
    requests.get(gw.url("/get"), headers={"X-Auth": "Bearer " + keys.token(dev_claims(now(), org="x"))}, timeout=10)
    # A request is counted once its response is written: poll briefly.
    for _ in range(100):
        text = gw.admin("/stats/prometheus").text
        if total(text, "claimgate_requests_total") >= total(before, "claimgate_requests_total") + 3:
            break
        time.sleep(0.01)
    # Each family counts each request once, so that sum() over a family is the request count.
    assert total(text, "claimgate_requests_total") - total(before, "claimgate_requests_total") == 3
    assert total(text, "claimgate_decisions_total") - total(before, "claimgate_decisions_total") == 3
    decisions = "claimgate_decisions_total"
    assert total(text, decisions, 'route="gw/routes/httpbin"', 'outcome="allowed"') >= 1
    assert total(text, decisions, 'route="gw/routes/httpbin"', 'reason="Jwt is missing"') >= 1
    assert total(text, decisions, 'route="gw/routes/httpbin"', 'policy="gw/seed"', 'reason="RBAC: access denied"') >= 1
    assert total(text, "claimgate_requests_total", 'route="gw/routes/httpbin"', 'code="403"') >= 1


def test_config_dump_redacts_secrets(gw, tls_files):
    dump = gw.admin("/config_dump")
    assert dump.status_code == 200
    text = dump.text
    json.loads(text)
    key_body = tls_files[1].read_text().splitlines()[1]
    assert key_body not in text
    assert "jwt-policy" in text or "seed" in text


def test_access_log_json_line(gw, keys):
    requests.get(gw.url("/get?probe=accesslog"), timeout=10)
    time.sleep(0.5)
    entries = []
    for line in gw.logs().splitlines():
        line = line.strip()
        if line.startswith("{") and "accesslog" in line:
            entries.append(json.loads(line))
    assert entries, gw.logs()[-2000:]
    e = entries[-1]
    for field in ("time", "method", "authority", "path", "route", "policy", "status", "decision",
                  "reason", "duration_ms"):
        assert field in e, e
    assert e["status"] == 401 and e["reason"] == "Jwt is missing" and e["policy"] == "gw/seed"
