"""The viewer's static files through the real server: http.web_root, SPA paths, cache headers, 503 when not built."""
import urllib.error
import urllib.request


def get(server, path, method="GET"):
    request = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serves_the_built_viewer_from_web_root(make_server, tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Systole</title>")
    (root / "assets" / "index-4f2a9c.js").write_text("export {}")
    server = make_server(env={"SYSTOLE_HTTP_WEB_ROOT": str(root)})
    for path in ("/", "/studies", "/viewer/1.2.840.113857.1626.160635", "/no/such/route"):
        status, headers, body = get(server, path)
        assert status == 200, path
        assert body.startswith(b"<!doctype html>"), path
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Cache-Control"] == "no-cache"
    status, headers, body = get(server, "/assets/index-4f2a9c.js")
    assert (status, body) == (200, b"export {}")
    assert headers["Content-Type"].startswith("text/javascript")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    status, headers, body = get(server, "/assets/index-4f2a9c.js", "HEAD")
    assert status == 200 and headers["Content-Length"] == "9" and body == b""
    assert get(server, "/assets/missing-000.js")[0] == 404
    assert get(server, "/%2e%2e/%2e%2e/etc/passwd")[0] == 400
    assert get(server, "/api/nothing")[0] == 404
    assert get(server, "/healthz")[0] == 200
    assert get(server, "/dicomweb/studies")[0] in (200, 204)


def test_a_viewer_url_page_carries_the_study_image(make_server, tmp_path):
    root = tmp_path / "dist"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><body><!--systole:boot-poster--><div id=app></div>")
    server = make_server(env={"SYSTOLE_HTTP_WEB_ROOT": str(root)})
    uid = "1.2.840.113857.1626.160635"
    status, headers, body = get(server, f"/viewer/{uid}")
    assert status == 200
    poster = f'<img id="boot-poster" class="boot-poster" elementtiming="boot-poster" alt="" src="/dicomweb/studies/{uid}/thumbnail?viewport=4096,4096">'
    assert body == f"<!doctype html><body>{poster}<div id=app></div>".encode()
    assert get(server, f"/viewer/{uid}", "HEAD")[1]["Content-Length"] == str(len(body))
    for path in ("/", "/studies", f"/viewer/{uid}?format=png", "/viewer/not-a-uid"):
        assert get(server, path)[2] == b"<!doctype html><body><!--systole:boot-poster--><div id=app></div>", path
    # the image is a DICOMweb request like any other: this study is not stored
    assert get(server, f"/dicomweb/studies/{uid}/thumbnail?viewport=4096,4096")[0] == 404


def test_answers_503_when_the_viewer_is_not_built(make_server, tmp_path):
    server = make_server(env={"SYSTOLE_HTTP_WEB_ROOT": str(tmp_path / "nothing-here")})
    status, headers, body = get(server, "/")
    assert status == 503
    assert b"viewer not built (run make build)" in body
    assert "no viewer in" in server.log()
