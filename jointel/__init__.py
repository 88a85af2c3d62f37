"""jointel: joint named-entity recognition and entity linking for English text, on a CPU.

>>> import jointel
>>> annotator = jointel.load()  # the bundled model and KB, or jointel.load("runs/joint/model")
>>> annotator.annotate("Germany beat Argentina in Rio de Janeiro.")
"""

from jointel.annotate import Annotator, Mention, load

__all__ = ["Annotator", "Mention", "load"]
