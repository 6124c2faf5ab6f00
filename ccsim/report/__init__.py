"""Study reports: one self-contained plotly HTML file per study."""
from .html import render_html, write_html

__all__ = ["render_html", "write_html"]
