"""The REST API and web page over an Annotator (`jointel serve`)."""

from jointel.server.app import create_app

__all__ = ["create_app"]
