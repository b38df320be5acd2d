def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ok"


def test_unknown_path_is_problem_json(client):
    r = client.get("/nope")
    assert r.status_code == 404
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["code"] == "not_found"
