"""The targets blueprint, with its command-line group `campaign officials`.

Its routes are in campaign.targets.routes (the public pages: the letter
preview, the routed officials, the reply question) and, imported there,
campaign.targets.pages (the pages of organizers and staff).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("targets", __name__, cli_group="officials")
