"""Response headers for the HTML pages the service serves (console, GraphiQL, Swagger UI).

The Content-Security-Policy lets a page load and connect only to this service: every asset is
shipped in the package, so nothing may come from another host (also no CDN by accident).
"""

from __future__ import annotations


def page_headers(*, inline_styles: bool = False) -> dict[str, str]:
    """Headers for an HTML page; ``inline_styles`` for React-rendered UIs that set style attributes."""
    style = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    policy = "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src {style}",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            # 'self' covers the same-origin websocket (graphql-transport-ws) too.
            "connect-src 'self'",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }
