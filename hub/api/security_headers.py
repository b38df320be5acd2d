"""The headers every answer carries (issue 11): a Content-Security-Policy that allows no
inline script or style and no framing, X-Content-Type-Options, a Referrer-Policy, HSTS when
the hub is served over https (its issuer says so), and `Cache-Control: no-store` on every
answer that does not say otherwise (the console, the API's answers, anything that may carry
personal data). Static assets, and the few public answers that set their own caching (the
JWKS, the transparency page, the LSOA points), keep theirs.

create_app registers it; the pages keep their scripts and styles in hub/web/static.
"""

from __future__ import annotations

from flask import Flask, Response, request

from hub.settings import Settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
# Files that are the same for everyone: the pages' assets and the API browser's.
_STATIC_PREFIXES = ("/static/", "/openapi/swagger/")


def init_app(app: Flask, settings: Settings) -> None:
    https = settings.effective_issuer.lower().startswith("https://")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for old browsers
        headers.setdefault("Referrer-Policy", "no-referrer")
        if https:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if "Cache-Control" not in headers and not request.path.startswith(_STATIC_PREFIXES):
            headers["Cache-Control"] = "no-store"
        return response
