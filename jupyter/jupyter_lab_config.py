# The lab's JupyterLab server: `make lab` starts it with this file, and so do the tests.
# Settings live here, in the repository, so a newcomer's first minutes do not depend on
# what their own ~/.jupyter holds.
from pathlib import Path

here = Path(__file__).resolve().parent
c = get_config()  # noqa: F821 -- provided by Jupyter when it loads this file

# Serve the walkthrough and open its first notebook.
c.ServerApp.root_dir = str(here.parent / "notebooks")
c.LabApp.default_url = "/lab/tree/01-the-incident.ipynb"

# settings/overrides.json: no "get notified about official Jupyter news?" pop-up, and no
# update check. JupyterLab reads default overrides from its app settings folder.
c.LabApp.app_settings_dir = str(here / "settings")
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.news_url = None

# Kernels get CurveZMQ keys from the server, so their traffic is encrypted and they
# print no "Kernel is running over TCP without encryption" warning.
c.KernelManager.transport_encryption = "auto"
