"""QR codes as inline SVG (pure: a payload in, markup out), for every page and document that carries one.

The first code drawn imports ``qrcode``, not the server's start: the package and the XML writer it
loads hold about 5 MB of resident memory for good, which a server that never renders a slip, a notice
or a booking's code (a hall whose kiosks print on thermal paper) need not pay (``stats_rss_mb``,
docs/managers.md).
"""

from __future__ import annotations


def qr_svg(payload: str) -> str:
    """``payload`` as one SVG path, 10 px per module."""
    import qrcode.image.svg  # here, not at the top: see the module doc

    image = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return str(image.to_string(encoding="unicode"))
