"""Drives Gongshu's Open311 GeoReport v2 endpoint with the `georeport` client from PyPI.

georeport wraps the four reads (services, a service definition, requests, one request); the
discovery document and posting a request go through `requests`, which georeport depends on.
Prints `ok <service_request_id>` on success; any failed check raises.

Environment: OPEN311_BASE (e.g. http://127.0.0.1:8080/open311/v2/) and OPEN311_API_KEY (a
Gongshu API token, sent as `api_key`).
"""
import os

import requests
from georeport import GeoReport

BASE = os.environ["OPEN311_BASE"]
API_KEY = os.environ["OPEN311_API_KEY"]
TIMEOUT = 30

client = GeoReport(BASE, api_key=API_KEY, output_format="json")
root = client.root_address

# Discovery.
r = requests.get(f"{root}/discovery.json", timeout=TIMEOUT)
r.raise_for_status()
assert any("GeoReport_v2" in e["specification"] for e in r.json()["endpoints"])

# Services and the definition of one with questions.
services = client.get_service_list()
service = next(s for s in services if s["metadata"])
code = service["service_code"]
definition = client.get_service_definition(code)
assert definition["service_code"] == code
attribute = definition["attributes"][0]
value = attribute["values"][0]["key"] if attribute["values"] else "1"

# Post a request, form-encoded, with the API token as api_key.
form = {
    "api_key": API_KEY,
    "service_code": code,
    "lat": "30.2799",
    "long": "120.129",
    "address_string": "文三路学院路口",
    "description": "Open311 client test: a pothole",
    f"attribute[{attribute['code']}]": value,
}
r = requests.post(f"{root}/requests.json", data=form, timeout=TIMEOUT)
r.raise_for_status()
created = r.json()[0]
request_id = created["service_request_id"]

# Read it back, and find it among the open requests.
one = client.get_service_request(request_id)
assert one["service_request_id"] == request_id, one
assert one["service_code"] == code and one["status"] == "open", one
assert one["description"] == "Open311 client test: a pothole", one
open_requests = client.get_service_requests(status="open")
assert any(x["service_request_id"] == request_id for x in open_requests)
closed = client.get_service_requests(status="closed", service_code=code)
assert all(x["service_request_id"] != request_id for x in closed)

# Errors: a missing request is a 404 with the specification's error list; a wrong key is a 403.
try:
    client.get_service_request("does-not-exist")
    raise AssertionError("expected 404")
except requests.HTTPError as e:
    assert e.response.status_code == 404
    assert {"code", "description"} <= e.response.json()[0].keys()
r = requests.post(f"{root}/requests.json", data={**form, "api_key": "wrong"}, timeout=TIMEOUT)
assert r.status_code == 403, r.status_code

print("ok", request_id)
