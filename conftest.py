"""Repository-level pytest configuration: make the package importable from a plain checkout."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
