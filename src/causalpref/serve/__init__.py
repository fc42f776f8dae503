"""The HTTP reward server: OpenRLHF's `/get_reward`, our `/rewards`, health, info and metrics.

Needs the optional extra `serve` (`pip install 'causalpref[serve]'`); importing this package
without it raises a ConfigError that says so. See docs/serving.md.
"""

from causalpref.serve.extra import require_serve_extra

require_serve_extra()

from causalpref.serve.app import create_app  # noqa: E402
from causalpref.serve.options import ServeOptions  # noqa: E402
from causalpref.serve.server import load_served_model, run_server  # noqa: E402

__all__ = ["ServeOptions", "create_app", "load_served_model", "run_server"]
