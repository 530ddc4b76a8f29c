"""The CJK font the tests use when it is installed (fonts-wqy-microhei; CI installs it)."""

from pathlib import Path

import pytest

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
needs_cjk_font = pytest.mark.skipif(
    not Path(WQY).exists(), reason=f"{WQY} missing: apt-get install fonts-wqy-microhei"
)
