"""The CJK font the tests use when it is installed (fonts-wqy-microhei; CI installs it)."""

from pathlib import Path

from tests.prereq import requires

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
needs_cjk_font = requires(Path(WQY).exists(), WQY, "apt-get install fonts-wqy-microhei")
