"""The REST API and web page over an Annotator (`jointel serve`)."""

from jointel.server.app import create_app
from jointel.server.limits import ServerLimits

__all__ = ["ServerLimits", "create_app"]
