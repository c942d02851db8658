"""azr-verl: Absolute Zero self-play reasoning as a plugin for veRL.

Importing this package stays light (no torch, no veRL): the heavy pieces register themselves with
veRL from `azr_verl.plugin`, which veRL loads through the `verl.plugins` entry point.
"""

from pathlib import Path

__version__ = (Path(__file__).with_name("VERSION")).read_text().strip()

__all__ = ["__version__"]
